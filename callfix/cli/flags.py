"""Flag groups the commands share, defined once, and the config they build."""
from __future__ import annotations

import argparse

from callfix.config import load_config, set_dotted
from callfix.errors import CallfixError
from callfix.io.writers import WRITERS, check_formats
from callfix.options import Options

BACKENDS = ["faster-whisper", "openai-whisper"]
DEVICES = ["auto", "cpu", "cuda"]


def add_config_flags(p: argparse.ArgumentParser) -> None:
    """Flags every model-running command shares."""
    p.add_argument("--config", help="profile name (cpu, gpu) or a YAML file merged over callfix/configs/default.yaml")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key, e.g. --set asr.beam_size=1 (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")


def add_asr_flags(p: argparse.ArgumentParser) -> None:
    """--backend/--model/--device/--compute-type/--languages: the Whisper a command runs."""
    p.add_argument("--backend", choices=BACKENDS)
    p.add_argument("--model", help="store name (whisper-base), local model path, or hub name")
    p.add_argument("--device", choices=DEVICES)
    p.add_argument("--compute-type", help="int8, float16, float32 … (faster-whisper)")
    p.add_argument("--languages", help="allowed languages, comma-separated (default en,zh)")


def add_speaker_flags(p: argparse.ArgumentParser) -> None:
    """--num-speakers/--min-speakers/--max-speakers: what diarization may find."""
    p.add_argument("--num-speakers", type=int, help="exact number of speakers, when known")
    p.add_argument("--min-speakers", type=int)
    p.add_argument("--max-speakers", type=int)


def add_output_flags(p: argparse.ArgumentParser, default: str = "run.formats") -> None:
    """--formats: which transcript files a command writes (``default``: what the help names as the default)."""
    p.add_argument("--formats", help=f"output formats, comma-separated, from {', '.join(WRITERS)} (default: "
                                     f"{default}; transcript.json is always written)")


def output_overrides(args) -> dict:
    if not getattr(args, "formats", None):
        return {}
    return {"run": {"formats": list(check_formats(args.formats))}}


def asr_overrides(args) -> dict:
    asr = {k: v for k, v in {
        "backend": args.backend, "model": args.model, "device": args.device, "compute_type": args.compute_type,
        "languages": [x.strip() for x in args.languages.split(",") if x.strip()] if args.languages else None,
    }.items() if v}
    over: dict = {"asr": asr} if asr else {}
    if getattr(args, "glossary", None):
        over["align"] = {"glossaries": args.glossary}
    return over


def speaker_overrides(args, keep_zero: bool = False) -> dict:
    """The diarize section the speaker flags set (``keep_zero``: a 0 given is kept, as `callfix diarize` does)."""
    given = {"num_speakers": args.num_speakers, "min_speakers": args.min_speakers, "max_speakers": args.max_speakers}
    return {k: v for k, v in given.items() if (v is not None if keep_zero else v)}


def config_from_args(args, overrides: dict | None = None) -> dict:
    """default.yaml, the --config profile, the flags' ``overrides`` and every --set, merged and checked (an unknown
    key or a value of the wrong kind is a one-line error); a dict, for a batch to merge each call's own over."""
    cfg = load_config(getattr(args, "config", None), overrides)
    for item in getattr(args, "set", []) or []:
        if "=" not in item:
            raise CallfixError(f"--set {item}: expected KEY=VALUE")
        k, v = item.split("=", 1)
        set_dotted(cfg, k.strip(), v)
    Options.from_dict(cfg)
    return cfg


def options_from_args(args, overrides: dict | None = None) -> Options:
    """The typed options of a command, built once from the merged config."""
    return Options.from_dict(config_from_args(args, overrides))

