"""`callfix` command line: parses flags, calls the stages. Each stage registers its own subcommand."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from callfix.errors import CallfixError

# Set before torch / pyannote import: user audio never leaves the machine, and there is no network here.
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Each module defines add_parser(subparsers) and sets args.func.
COMMAND_MODULES = [
    "callfix.models_cli",
    "callfix.asr.cli",
    "callfix.diarize.cli",
    "callfix.align.cli",
    "callfix.pipeline",
    "callfix.review.cli",
    "callfix.bench.cli",
    "callfix.corpus.cli",
    "callfix.batch.cli",
]


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """Flags every model-running command shares."""
    p.add_argument("--config", help="profile name (cpu, gpu) or a YAML file merged over callfix/configs/default.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key, e.g. --set asr.beam_size=1 (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")


def config_from_args(args, overrides: dict | None = None) -> dict:
    from callfix.config import load_config, set_dotted

    cfg = load_config(getattr(args, "config", None), overrides)
    for item in getattr(args, "set", []) or []:
        if "=" not in item:
            raise CallfixError(f"--set {item}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        set_dotted(cfg, k.strip(), v)
    return cfg


def asr_overrides(args) -> dict:
    asr = {k: v for k, v in {
        "backend": args.backend, "model": args.model, "device": args.device, "compute_type": args.compute_type,
        "languages": [x.strip() for x in args.languages.split(",") if x.strip()] if args.languages else None,
    }.items() if v}
    over: dict = {"asr": asr} if asr else {}
    if getattr(args, "glossary", None):
        over["align"] = {"glossaries": args.glossary}
    return over


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="callfix", description=__doc__.split(":")[0])
    parser.add_argument("--version", action="version", version=f"callfix {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMAND_MODULES:
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:
                continue  # stage not built into this installation
            raise
        m.add_parser(sub)
    return parser


def _version() -> str:
    from callfix import __version__

    return __version__


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


if __name__ == "__main__":
    sys.exit(main())
