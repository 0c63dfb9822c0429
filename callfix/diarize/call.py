"""Diarize one call file: turns, refined by the call's structure when there are words to label, and speaker names."""
from __future__ import annotations

from pathlib import Path

from callfix.audio import decode
from callfix.diarize.assign import assign_speakers
from callfix.diarize.naming import name_speakers
from callfix.errors import InputError
from callfix.model import Transcript
from callfix.options import Options
from callfix.progress import Hook, silent


def diarize_call(audio_path, out_dir, cfg: Options | dict, asr_path=None, participants: list[dict] | None = None,
                 hook: Hook = silent) -> Transcript:
    """Who spoke when in ``audio_path`` (decoded into ``out_dir``). With ``asr_path`` (an asr.json) its words get
    their speakers; either way the speakers are named from the cues found. The turns are ``result.turns``."""
    # torch and pyannote load in seconds: only when a call is diarized
    from callfix.diarize.pipeline import diarize_audio

    opts = Options.of(cfg)
    t = Transcript.load(asr_path) if asr_path else None  # before any model runs: a bad file fails fast
    audio = decode(audio_path, Path(out_dir), opts.audio.max_duration_hours)
    turns = diarize_audio(audio, opts.diarize, hook)
    if t is None:
        t = Transcript(audio=str(audio_path), duration=audio.duration)
    elif t.duration and abs(t.duration - audio.duration) > max(2.0, 0.05 * audio.duration):
        raise InputError(f"{asr_path}: transcript covers {t.duration:.1f} s but {audio_path} lasts {audio.duration:.1f} s")
    t.turns = turns
    if t.segments or t.paragraphs:
        assign_speakers(t, opts.diarize.structure_options())  # the turns are refined by the call's structure
    name_speakers(t, participants)
    t.meta.setdefault("diarize", {})["pipeline"] = opts.diarize.pipeline
    return t
