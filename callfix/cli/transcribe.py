"""`callfix transcribe AUDIO -o DIR`."""
from __future__ import annotations

from callfix.cli.flags import add_asr_flags, add_config_flags, asr_overrides, options_from_args
from callfix.pipeline import transcribe_call
from callfix.progress import cli_hook


def add_parser(sub) -> None:
    p = sub.add_parser("transcribe", help="re-transcribe call audio with Whisper (asr.json, .txt, .srt, .vtt)")
    p.add_argument("audio")
    p.add_argument("-o", "--out", required=True, help="output folder")
    add_asr_flags(p)
    p.add_argument("--glossary", action="append", help="glossary name or YAML path for decoder hotwords")
    p.add_argument("--vendor", help="the call's vendor transcript: hotwords from its own glossary, as `callfix run` uses")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    cfg = options_from_args(args, asr_overrides(args))
    with cli_hook(args.quiet) as hook:
        t, paths = transcribe_call(args.audio, args.out, cfg, hook, vendor_path=args.vendor)
    print(f"{len(t.words)} words, {len(t.segments)} segments, languages {','.join(t.languages) or '-'} → "
          + ", ".join(str(p) for p in paths))
    return 0
