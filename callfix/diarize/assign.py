"""Speaker → word: every ASR word gets exactly one speaker from the diarization turns."""
from __future__ import annotations

from collections import Counter

from callfix.diarize.structure import StructureOptions, refine_turns
from callfix.turns import Turns
from callfix.model import Transcript


def assign_speakers(t: Transcript, structure: StructureOptions | dict | None = None) -> None:
    """Fill Word.speaker for every word and Segment.speaker (who holds most of its speech time).

    First the call's structure refines the turns (``structure.py``: a cluster speaking two
    languages is two speakers, an operator's hand-over ends a turn); ``structure`` is a
    ``StructureOptions``, the ``diarize.structure`` config section, or the whole ``diarize``
    section (whose num_speakers/max_speakers the structure then never exceeds).
    """
    opts = structure if isinstance(structure, StructureOptions) else StructureOptions.from_config(structure)
    words = t.words
    if t.turns and words and (opts.split_languages or opts.split_handovers):
        t.turns, report = refine_turns(t.turns, words, opts)
        t.meta.setdefault("diarize", {})["structure"] = report.to_dict()
    turns = Turns(t.turns)
    if not turns.exclusive:
        return
    for seg in t.segments:
        votes: Counter[str] = Counter()
        for w in seg.words:
            w.speaker = turns.speaker_over(w.start, max(w.end, w.start))
            votes[w.speaker] += max(w.end - w.start, 0.01)
        held = turns.held([(w.start, w.end) for w in seg.words])
        if held:
            # Who holds most of its time among those its words were given (time held split over several
            # turns, or a tie, could otherwise name a speaker none of its words has); then their words' time.
            seg.speaker = max(votes or held, key=lambda s: (held[s], votes[s], s))
        elif votes:  # words only in gaps between turns: their nearest turns
            seg.speaker = _most(votes)
        else:
            seg.speaker = turns.speaker_over(seg.start, max(seg.end, seg.start))


def _most(c: Counter) -> str:
    return max(c.items(), key=lambda kv: (kv[1], kv[0]))[0]
