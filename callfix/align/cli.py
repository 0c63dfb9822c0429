"""`callfix align --asr asr.json --transcript VENDOR.txt -o DIR`: correct a vendor transcript
from existing audio evidence (no audio model needed)."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    from callfix.cli import add_config_flags

    p = sub.add_parser("align", help="align a vendor transcript to ASR evidence and correct it (no audio model)")
    p.add_argument("--asr", required=True, help="Transcript JSON written by `callfix transcribe` (may carry speakers)")
    p.add_argument("--transcript", required=True, help="the vendor transcript (plain or EarningsCall text, \"Speaker: text\", SRT, VTT, .docx)")
    p.add_argument("-o", "--out", help="output folder (default: the folder of --asr)")
    p.add_argument("--glossary", action="append", metavar="NAME_OR_PATH",
                   help="glossary name under callfix/configs/glossaries or a YAML path (repeatable; replaces the configured list)")
    p.add_argument("--no-review", action="store_true", help="do not render review.html")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from callfix.align import align_call, read_vendor
    from callfix.cli import config_from_args
    from callfix.io.writers import write_outputs
    from callfix.model import Transcript

    over = {"align": {"glossaries": args.glossary}} if args.glossary else None
    cfg = config_from_args(args, over)
    vendor = read_vendor(args.transcript)
    evidence = Transcript.load(args.asr)
    out_dir = Path(args.out) if args.out else Path(args.asr).resolve().parent
    result = align_call(evidence, vendor, cfg)
    paths = write_outputs(result, out_dir)
    if not args.no_review:
        try:
            from callfix.review import render_review
        except ImportError:
            render_review = None
        if render_review is not None:
            paths.append(render_review(out_dir, audio=None))
    a = result.meta["align"]
    print(f"coverage {a['coverage']:.1%} of {a['vendor_units']} vendor words; edits: {a['applied']} applied, "
          f"{a['suggested']} suggested, {a['kept']} kept ({a['seconds']:.2f} s)", file=sys.stderr if args.quiet else sys.stdout)
    if not args.quiet:
        for p in paths:
            print(p)
    return 0
