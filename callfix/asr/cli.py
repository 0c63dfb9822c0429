"""`callfix transcribe AUDIO -o DIR`."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    from callfix.cli import add_config_flags

    p = sub.add_parser("transcribe", help="re-transcribe call audio with Whisper (asr.json, .txt, .srt, .vtt)")
    p.add_argument("audio")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--backend", choices=["faster-whisper", "openai-whisper"])
    p.add_argument("--model", help="store name (whisper-base), local model path, or hub name")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--compute-type", help="int8, float16, float32 … (faster-whisper)")
    p.add_argument("--languages", help="allowed languages, comma-separated (default en,zh)")
    p.add_argument("--glossary", action="append", help="glossary name or YAML path for decoder hotwords")
    add_config_flags(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from callfix.audio import decode
    from callfix.cli import asr_overrides, config_from_args
    from callfix.pipeline import stage_transcribe
    from callfix.io.subtitles import write_asr_outputs

    cfg = config_from_args(args, asr_overrides(args))
    out = Path(args.out)
    audio = decode(args.audio, out, cfg["audio"]["max_duration_hours"])
    t = stage_transcribe(audio, cfg, cache_dir=None, progress=not args.quiet)
    paths = write_asr_outputs(t, out)
    print(f"{len(t.words)} words, {len(t.segments)} segments, languages {','.join(t.languages) or '-'} → "
          + ", ".join(str(p) for p in paths))
    return 0
