"""`callfix review DIR` and `callfix apply-review DIR decisions.json`."""
from __future__ import annotations

import sys

from callfix.cli.flags import add_output_flags
from callfix.io.writers import DEFAULT_FORMATS
from callfix.review import apply_review, render_review


def add_parser(sub) -> None:
    p = sub.add_parser("review", help="render review.html, edits.csv and transcript.diff for an output folder")
    p.add_argument("dir", help="output folder of callfix run (holds transcript.json)")
    p.add_argument("--audio", help="call audio (default: the audio named in transcript.json, if found)")
    p.add_argument("--embed-audio", action="store_true",
                   help="embed a short clip of each edit in the page instead of referencing the audio file")
    p.set_defaults(func=review)

    a = sub.add_parser("apply-review", help="write the final transcript (every format, or --formats) from an editor's decisions.json")
    a.add_argument("dir", help="output folder holding transcript.json")
    a.add_argument("decisions", help="decisions.json exported from review.html (choices, own texts, speaker names)")
    add_output_flags(a, default=",".join(DEFAULT_FORMATS))
    a.set_defaults(func=apply)


def review(args) -> int:
    path = render_review(args.dir, audio=args.audio, embed_audio=args.embed_audio,
                         warn=lambda msg: print(f"callfix: warning: {msg}", file=sys.stderr))
    print(path)
    return 0


def apply(args) -> int:
    for path in apply_review(args.dir, args.decisions, args.formats or DEFAULT_FORMATS):
        print(path)
    return 0
