"""Short audio clips of each edit, embedded in the review page when the call audio cannot travel with it."""
from __future__ import annotations

import base64
from pathlib import Path

import ffmpeg

from callfix.audio import probe
from callfix.errors import InputError
from callfix.model import Edit

PAD = 0.75  # seconds of context either side of the edit
MAX_CLIP = 30.0


def edit_clips(audio: str | Path, edits: list[Edit], bitrate: str = "32k") -> dict[str, str]:
    """``{edit id: "data:audio/mpeg;base64,…"}`` for every edit with a time span."""
    info = probe(audio)
    clips: dict[str, str] = {}
    for e in edits:
        if e.start is None:
            continue
        end = e.end if e.end is not None and e.end >= e.start else e.start
        a = max(0.0, e.start - PAD)
        b = min(info.duration or end + PAD, end + PAD, a + MAX_CLIP)
        if b <= a:
            continue
        clips[e.id] = "data:audio/mpeg;base64," + base64.b64encode(_mp3(audio, a, b - a, bitrate)).decode()
    return clips


def _mp3(audio: str | Path, start: float, duration: float, bitrate: str) -> bytes:
    try:
        out, _ = (
            ffmpeg.input(str(audio), ss=f"{start:.3f}", t=f"{duration:.3f}")
            .output("pipe:", format="mp3", acodec="libmp3lame", audio_bitrate=bitrate, ac=1, ar=22050, map="0:a:0")
            .run(capture_stdout=True, capture_stderr=True)
        )
    except ffmpeg.Error as e:
        tail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        raise InputError(f"{audio}: ffmpeg could not cut a clip at {start:.1f} s ({tail[-1] if tail else 'unknown error'})") from None
    return out
