"""`callfix run AUDIO --transcript VENDOR -o DIR`: every stage of one call, cached."""
from __future__ import annotations

from callfix.cli.flags import (add_asr_flags, add_config_flags, add_output_flags, add_speaker_flags, asr_overrides,
                               options_from_args, output_overrides, speaker_overrides)
from callfix.config import merge
from callfix.io.participants import load_participants
from callfix.model import DECISIONS
from callfix.pipeline import run_call
from callfix.progress import cli_hook


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="transcribe, diarize, align and correct one call")
    p.add_argument("audio")
    p.add_argument("--transcript", required=True, help="the vendor transcript to correct")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--cache", help="stage cache folder (default OUT/.cache)")
    p.add_argument("--participants", help="YAML/JSON list of {name, role, organization, aliases}")
    p.add_argument("--glossary", action="append", help="glossary name or YAML path (repeatable)")
    add_asr_flags(p)
    add_speaker_flags(p)
    add_output_flags(p)
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    over = merge(asr_overrides(args), output_overrides(args))
    dia = speaker_overrides(args)
    if dia:
        over = merge(over, {"diarize": dia})
    cfg = options_from_args(args, over)
    participants = load_participants(args.participants)
    with cli_hook(args.quiet) as hook:
        t = run_call(args.audio, args.transcript, args.out, cfg, cache_dir=args.cache, hook=hook,
                     participants=participants)
    n = {c: sum(e.decision == c for e in t.edits) for c in DECISIONS}
    cov = t.meta.get("align", {}).get("coverage")
    print(f"{args.out}: {len(t.paragraphs)} paragraphs, edits applied {n['applied']}, suggested {n['suggested']}, "
          f"kept {n['kept']}" + (f", alignment coverage {cov:.0%}" if isinstance(cov, (int, float)) else "")
          + f"; timings {t.meta['timings']}")
    return 0
