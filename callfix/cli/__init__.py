"""`callfix` command line: parses flags, calls the library. One module per command; flags.py holds the flag
groups they share."""
from __future__ import annotations

import argparse
import os
import sys

# Set before torch / pyannote import: user audio never leaves the machine, and there is no network here.
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from callfix import __version__  # noqa: E402
from callfix.cli import align, batch, bench, corpus, diarize, models, review, run, transcribe  # noqa: E402
from callfix.errors import CallfixError  # noqa: E402

# Each module defines add_parser(subparsers), which sets args.func; in the order `callfix --help` lists them.
COMMANDS = [models, transcribe, diarize, align, run, review, bench, corpus, batch]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callfix", description=__doc__.split(":")[0])
    parser.add_argument("--version", action="version", version=f"callfix {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        rc = args.func(args)
        return int(rc or 0)
    except CallfixError as e:
        print(f"callfix: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("callfix: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("CALLFIX_DEBUG"):
            raise
        print(f"callfix: internal error: {e.__class__.__name__}: {e} (set CALLFIX_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 70
