"""Turn geometry below every stage: overlapping diarization turns made exclusive, and who speaks over a span of
time (diarize labels words with it, io writes speaker runs with it)."""
from __future__ import annotations

import bisect
from collections import Counter

from callfix.model import Turn


def exclusive_turns(turns: list[Turn]) -> list[Turn]:
    """Non-overlapping turns covering the same speech.

    Where turns overlap, the span goes to the speaker whose own turn there is longest: a short
    interjection over a long answer keeps the answer's words with the answerer, while speech that
    only the interjector covers stays theirs. Adjacent pieces of one speaker are merged.
    """
    turns = [t for t in turns if t.end > t.start]
    if not turns:
        return []
    bounds = sorted({b for t in turns for b in (t.start, t.end)})
    out: list[Turn] = []
    for a, b in zip(bounds, bounds[1:]):
        active = [t for t in turns if t.start < b and t.end > a]
        if not active:
            continue
        best = max(active, key=lambda t: (t.end - t.start, -t.start, t.speaker))
        if out and out[-1].speaker == best.speaker and abs(out[-1].end - a) < 1e-9:
            out[-1] = Turn(best.speaker, out[-1].start, b)
        else:
            out.append(Turn(best.speaker, a, b))
    return out


def speaker_at(excl: list[Turn], starts: list[float], start: float, end: float) -> str:
    """Speaker with the largest overlap with [start, end]; in a gap, the nearest turn."""
    i = bisect.bisect_right(starts, end)
    best, best_ov = None, 0.0
    j = i - 1
    while j >= 0 and excl[j].end > start:
        ov = min(end, excl[j].end) - max(start, excl[j].start)
        if ov > best_ov:
            best, best_ov = excl[j].speaker, ov
        j -= 1
    if best is not None:
        return best
    mid = (start + end) / 2
    cands = [excl[k] for k in (i - 1, i) if 0 <= k < len(excl)]
    if not cands:
        cands = [excl[0] if i == 0 else excl[-1]]
    return min(cands, key=lambda t: max(t.start - mid, mid - t.end, 0.0)).speaker


def time_held(excl: list[Turn], starts: list[float], spans) -> Counter:
    """Seconds of the spans' speech each speaker holds (exclusive turns), spans merged first.

    A segment or paragraph belongs to whoever holds most of this time: a speaker who holds the
    middle of a long word outweighs one who holds the edges of several short ones."""
    held: Counter[str] = Counter()
    merged: list[list[float]] = []
    for a, b in sorted((float(a), float(b)) for a, b in spans if b > a):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    for a, b in merged:
        j = bisect.bisect_left(starts, b) - 1
        while j >= 0 and excl[j].end > a:
            ov = min(b, excl[j].end) - max(a, excl[j].start)
            if ov > 0:
                held[excl[j].speaker] += ov
            j -= 1
    return held


def turns_to_annotation(turns: list[Turn], uri: str = "call"):
    """pyannote.core Annotation of the turns (for pyannote.metrics)."""
    from pyannote.core import Annotation, Segment  # pyannote.core imports in a second: only scoring needs it

    ann = Annotation(uri=uri)
    for i, t in enumerate(turns):
        if t.end > t.start:
            ann[Segment(t.start, t.end), i] = t.speaker
    return ann
