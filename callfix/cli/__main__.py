"""`python -m callfix.cli`."""
import sys

from callfix.cli import main

sys.exit(main())
