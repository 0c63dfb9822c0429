"""`callfix align --asr asr.json --transcript VENDOR.txt -o DIR`: correct a vendor transcript
from existing audio evidence (no audio model needed)."""
from __future__ import annotations

import sys
from pathlib import Path

from callfix.cli.flags import add_config_flags, add_output_flags, options_from_args, output_overrides
from callfix.config import merge
from callfix.pipeline import correct_transcript


def add_parser(sub) -> None:
    p = sub.add_parser("align", help="align a vendor transcript to ASR evidence and correct it (no audio model)")
    p.add_argument("--asr", required=True, help="Transcript JSON written by `callfix transcribe` (may carry speakers)")
    p.add_argument("--transcript", required=True, help="the vendor transcript (plain or EarningsCall text, \"Speaker: text\", SRT, VTT, .docx)")
    p.add_argument("-o", "--out", help="output folder (default: the folder of --asr)")
    p.add_argument("--glossary", action="append", metavar="NAME_OR_PATH",
                   help="glossary name under callfix/configs/glossaries or a YAML path (repeatable; replaces the configured list)")
    p.add_argument("--no-review", action="store_true", help="do not render review.html")
    add_output_flags(p)
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    over = merge({"align": {"glossaries": args.glossary}} if args.glossary else {}, output_overrides(args))
    cfg = options_from_args(args, over)
    out_dir = Path(args.out) if args.out else Path(args.asr).resolve().parent
    result, paths = correct_transcript(args.asr, args.transcript, out_dir, cfg, review=not args.no_review)
    a = result.meta["align"]
    print(f"coverage {a['coverage']:.1%} of {a['vendor_units']} vendor words; edits: {a['applied']} applied, "
          f"{a['suggested']} suggested, {a['kept']} kept ({a['seconds']:.2f} s)", file=sys.stderr if args.quiet else sys.stdout)
    if not args.quiet:
        for p in paths:
            print(p)
    return 0
