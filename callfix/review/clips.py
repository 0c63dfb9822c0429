"""Short audio clips of the edits, embedded in the review page when the call audio cannot travel with it.

Edits close in time share one clip (windows that overlap are merged up to MAX_CLIP seconds), and
clips are cut by parallel ffmpeg processes: a call with hundreds of edits still renders in seconds.
"""
from __future__ import annotations

import base64
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import ffmpeg

from callfix.audio import probe
from callfix.errors import InputError
from callfix.model import Edit

PAD = 0.75  # seconds of context either side of the edit
MAX_CLIP = 30.0


def edit_clips(audio: str | Path, edits: list[Edit], bitrate: str = "32k") -> tuple[dict[str, str], dict[str, list], dict[str, list]]:
    """``({clip id: "data:audio/mpeg;base64,…"}, {edit id: [clip id, seconds into the clip]},
    {clip id: [start, end] in the call})``: the spans let a click on any word inside a clip play it."""
    duration = probe(audio).duration
    windows = []
    for e in edits:
        if e.start is None:
            continue
        end = e.end if e.end is not None and e.end >= e.start else e.start
        a = max(0.0, e.start - PAD)
        b = min(end + PAD, a + MAX_CLIP, duration or end + PAD)
        if b > a:
            windows.append((a, b, e.id))
    groups: list[list] = []  # [start, end, [(edit id, edit window start)]]
    for a, b, eid in sorted(windows):
        g = groups[-1] if groups else None
        if g is not None and a <= g[1] and max(b, g[1]) - g[0] <= MAX_CLIP:
            g[1] = max(g[1], b)
            g[2].append((eid, a))
        else:
            groups.append([a, b, [(eid, a)]])
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        data = list(pool.map(lambda g: _mp3(audio, g[0], g[1] - g[0], bitrate), groups))
    clips = {f"c{n}": "data:audio/mpeg;base64," + base64.b64encode(d).decode() for n, d in enumerate(data)}
    where = {eid: [f"c{n}", round(a - g[0], 3)] for n, g in enumerate(groups) for eid, a in g[2]}
    spans = {f"c{n}": [round(g[0], 3), round(g[1], 3)] for n, g in enumerate(groups)}
    return clips, where, spans


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
