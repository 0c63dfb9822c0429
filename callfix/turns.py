"""Turn geometry below every stage: overlapping diarization turns made exclusive, and who speaks over a span of
time (diarize labels words with it, io writes speaker runs with it)."""
from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from functools import cached_property

from callfix.model import Turn


def merge_spans(spans: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Disjoint, sorted spans covering the same time as ``spans``."""
    out: list[tuple[float, float]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


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


def nearest_speaker(turns: list[Turn], t: float) -> str | None:
    """The speaker of the turn holding time ``t``, else of the nearest one (ties: the earliest listed)."""
    if not turns:
        return None
    best, dist = None, float("inf")
    for tr in turns:
        d = 0.0 if tr.start <= t <= tr.end else min(abs(tr.start - t), abs(tr.end - t))
        if d < dist:
            best, dist = tr.speaker, d
    return best


class _TurnIndex:
    """``nearest_speaker`` in logarithmic time for turns sorted by start (diarization's order).

    The nearest turn, ties to the earliest in the list, exactly as the linear scan: among turns
    starting at or before ``t`` the best is the first whose end reaches the running maximum of
    ends (a prefix maximum, so it is found by bisection); after ``t`` it is the next to start."""

    def __init__(self, turns):
        self.turns = list(turns or [])
        self.starts = [tr.start for tr in self.turns]
        self.sorted = all(a <= b for a, b in zip(self.starts, self.starts[1:])) and all(
            tr.start <= tr.end for tr in self.turns)
        self.max_end: list[float] = []
        for tr in self.turns:
            self.max_end.append(max(tr.end, self.max_end[-1]) if self.max_end else tr.end)

    def __call__(self, t: float) -> str | None:
        if not self.turns:
            return None
        if not self.sorted:
            return nearest_speaker(self.turns, t)
        k = bisect.bisect_right(self.starts, t)
        if k and self.max_end[k - 1] >= t:  # a turn holds t: the first one that reaches it
            return self.turns[bisect.bisect_left(self.max_end, t, 0, k)].speaker
        left = right = None
        if k:
            left = (t - self.max_end[k - 1], bisect.bisect_left(self.max_end, self.max_end[k - 1], 0, k))
        if k < len(self.turns):
            right = (self.starts[k] - t, k)
        if right is None or (left is not None and left[0] <= right[0]):
            return self.turns[left[1]].speaker
        return self.turns[right[1]].speaker


class Turns:
    """A call's diarization turns and what the stages ask of them: the exclusive turns (overlaps given to the
    longer turn), who speaks over a span or nearest a moment, the time each speaker holds of some spans, and
    pyannote.core's Annotation both ways. Each derived view is computed once."""

    def __init__(self, turns: Iterable[Turn] | None = None):
        self.turns: list[Turn] = list(turns or [])

    def __iter__(self):
        return iter(self.turns)

    def __len__(self) -> int:
        return len(self.turns)

    @cached_property
    def exclusive(self) -> list[Turn]:
        return exclusive_turns(self.turns)

    @cached_property
    def _starts(self) -> list[float]:
        return [x.start for x in self.exclusive]

    @cached_property
    def _index(self) -> _TurnIndex:
        return _TurnIndex(self.turns)

    def speaker_over(self, start: float, end: float) -> str:
        """Who speaks most of [start, end] in the exclusive turns (in a gap: the nearest turn)."""
        return speaker_at(self.exclusive, self._starts, start, end)

    def speaker_near(self, t: float) -> str | None:
        """Who speaks at time ``t`` in the turns as diarized, else nearest it."""
        return self._index(t)

    def held(self, spans) -> Counter:
        """Seconds of the spans' speech each speaker holds in the exclusive turns."""
        return time_held(self.exclusive, self._starts, spans)

    def to_annotation(self, uri: str = "call"):
        """pyannote.core Annotation of the turns (for pyannote.metrics)."""
        from pyannote.core import Annotation, Segment  # pyannote.core imports in a second: only scoring needs it

        ann = Annotation(uri=uri)
        for i, t in enumerate(self.turns):
            if t.end > t.start:
                ann[Segment(t.start, t.end), i] = t.speaker
        return ann

    @classmethod
    def from_annotation(cls, annotation) -> "Turns":
        """Turns in time order, labels renamed SPEAKER_00, SPEAKER_01 … by first appearance."""
        raw = sorted(
            ((seg.start, seg.end, str(label)) for seg, _, label in annotation.itertracks(yield_label=True)),
            key=lambda x: (x[0], x[1]),
        )
        names: dict[str, str] = {}
        turns = []
        for start, end, label in raw:
            if end - start <= 0:
                continue
            names.setdefault(label, f"SPEAKER_{len(names):02d}")
            turns.append(Turn(names[label], round(float(start), 3), round(float(end), 3)))
        return cls(turns)
