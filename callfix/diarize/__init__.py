"""Diarization: who spoke when (pyannote.audio), speaker → word, speaker names from cues."""
from callfix.diarize.assign import assign_speakers
from callfix.diarize.naming import name_speakers
from callfix.turns import exclusive_turns
from callfix.options import DiarizeOptions, Options
from callfix.progress import Hook, silent


def diarize_audio(audio, cfg: DiarizeOptions | Options | dict, hook: Hook = silent):
    """Turns of a decoded call (see callfix.diarize.pipeline)."""
    # torch and pyannote take seconds to import: only a call that is diarized loads them
    from callfix.diarize.pipeline import diarize_audio as _run

    return _run(audio, cfg, hook)


__all__ = ["diarize_audio", "assign_speakers", "exclusive_turns", "name_speakers"]
