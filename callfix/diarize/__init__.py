"""Diarization: who spoke when (pyannote.audio), speaker → word, speaker names from cues."""
from callfix.diarize.assign import assign_speakers
from callfix.diarize.naming import name_speakers
from callfix.diarize.turns import exclusive_turns


def diarize_audio(audio, cfg, progress=None, cancel=None):
    """Turns of a decoded call (see callfix.diarize.pipeline); torch/pyannote load on first use."""
    from callfix.diarize.pipeline import diarize_audio as _run

    return _run(audio, cfg, progress=progress, cancel=cancel)


__all__ = ["diarize_audio", "assign_speakers", "exclusive_turns", "name_speakers"]
