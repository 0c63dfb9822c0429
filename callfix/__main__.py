"""`python -m callfix`."""
import sys

from callfix.cli import main

sys.exit(main())
