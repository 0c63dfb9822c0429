"""Timed-text formats shared by every writer: SRT and WebVTT cues, plain text."""
from __future__ import annotations

from pathlib import Path

from callfix.io.atomic import atomic_write_text
from callfix.model import Transcript


def clock(seconds: float, sep: str = ",") -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt(cues: list[tuple[float, float, str]]) -> str:
    return "".join(f"{i}\n{clock(s)} --> {clock(e)}\n{text}\n\n" for i, (s, e, text) in enumerate(cues, 1))


def vtt(cues: list[tuple[float, float, str]]) -> str:
    return "WEBVTT\n\n" + "".join(f"{clock(s, '.')} --> {clock(e, '.')}\n{text}\n\n" for s, e, text in cues)


def segment_cues(t: Transcript) -> list[tuple[float, float, str]]:
    cues = []
    for s in t.segments:
        if s.suspect:  # likely made up by the decoder: kept in the JSON as weak evidence, not shown as text
            continue
        who = t.speaker_label(s.speaker)
        cues.append((s.start, s.end, f"{who}: {s.text}" if who else s.text))
    return cues


def write_asr_outputs(t: Transcript, out_dir: str | Path, stem: str = "asr") -> list[Path]:
    out = Path(out_dir)
    cues = segment_cues(t)
    return [
        t.save(out / f"{stem}.json"),
        atomic_write_text(out / f"{stem}.txt", "".join(f"[{clock(s)[:8]}] {text}\n" for s, _, text in cues)),
        atomic_write_text(out / f"{stem}.srt", srt(cues)),
        atomic_write_text(out / f"{stem}.vtt", vtt(cues)),
    ]
