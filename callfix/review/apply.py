"""Apply an editor's decisions.json: the final transcript in every format under ``out_dir/final``."""
from __future__ import annotations

import copy
from pathlib import Path

from callfix.errors import InputError
from callfix.io.writers import DEFAULT_FORMATS, check_formats, write_outputs
from callfix.model import Speaker, Transcript, Turn
from callfix.review.decisions import Review, load_decisions, transcript_id
from callfix.review.rebuild import ACCEPT, REJECT, check_edits, in_effect, mandarin_beside, own_edit, rebuild_transcript
from callfix.review.tables import write_diff


def reviewed_transcript(t: Transcript, editor: "Review | dict[str, str]", decisions_path: str = "") -> Transcript:
    """A copy of ``t`` with paragraphs rebuilt from the editor's choices and each edit's outcome recorded.

    Accepted edits are applied (suggested ones too), with the editor's own text where they typed one;
    rejected ones reverted (applied ones too); undecided ones keep their automatic class. A resource
    edit keeps the English and puts its Mandarin (or the editor's) beside it; rejected, the Mandarin
    is dropped. Speakers are renamed and paragraphs reassigned as the editor said.
    """
    review = Review.of(editor)
    out = copy.deepcopy(t)
    _apply_speakers(out, review)
    rebuilt = rebuild_transcript(out, review)
    for p in out.paragraphs:
        p.corrected = rebuilt[p.index].text
    for index, text in mandarin_beside(out, review).items():
        p = next(q for q in out.paragraphs if q.index == index)
        p.source_text = text
    conflicts = [c for r in rebuilt.values() for c in r.conflicts]
    for n, e in enumerate(out.edits):
        choice = review.choices.get(e.id)
        record = {"auto": e.decision, "editor": choice}
        own = review.texts.get(e.id)
        if own is not None:
            record["proposed"] = e.replacement
            if e.kind == "resource":
                e.replacement = own.strip()
            else:
                e = out.edits[n] = own_edit(e, own)
        if e.kind == "resource":
            # never spliced: the writers must not put the Mandarin in place of the English
            record["mandarin_beside_english"] = in_effect(e, choice)
            e.decision = "kept" if choice == REJECT else e.decision if e.decision != "applied" else "suggested"
        elif choice == ACCEPT:
            e.decision = "applied"
        elif choice == REJECT:
            e.decision = "kept"
        if e.id in conflicts:
            # not in the final text: the writers must not re-apply it over the edit that won
            e.decision = "kept"
            record["skipped"] = "overlaps another chosen edit"
        e.evidence = {**e.evidence, "review": record}
    out.meta = {
        **out.meta,
        "review": {
            "transcript": transcript_id(t),
            "decisions_file": decisions_path,
            "accepted": sum(v == ACCEPT for v in review.choices.values()),
            "rejected": sum(v == REJECT for v in review.choices.values()),
            "undecided": sum(e.id not in review.choices for e in t.edits),
            "own_text": sorted(review.texts),
            "speakers": dict(review.speakers),
            "paragraph_speakers": {str(k): v for k, v in review.paragraph_speakers.items()},
            "conflicts": conflicts,  # chosen edits skipped: another chosen edit covers their span
        },
    }
    return out


def _apply_speakers(t: Transcript, review: Review) -> None:
    by_id = {s.id: s for s in t.speakers}
    for sid, name in review.speakers.items():
        if sid in by_id:
            by_id[sid].name = name
        else:
            by_id[sid] = Speaker(sid, name, evidence=["named by the editor"])
            t.speakers.append(by_id[sid])
    for index, sid in review.paragraph_speakers.items():
        p = next(q for q in t.paragraphs if q.index == index)
        p.speakers = [sid]
        p.speaker = None  # the editor's word beats the vendor's label
        for tok in p.tokens:
            tok.speaker = sid
        for e in t.edits:
            if e.paragraph == index:
                e.speaker = sid
        timed = [k for k in p.tokens if k.start is not None and k.end is not None]
        span = (min(k.start for k in timed), max(k.end for k in timed)) if timed else (p.start, p.end)
        if span[0] is not None and span[1] is not None and span[1] > span[0]:
            t.turns = _overwrite_turns(t.turns, sid, *span)


def _overwrite_turns(turns: list[Turn], sid: str, a: float, b: float) -> list[Turn]:
    """The diarization turns with [a, b) given to ``sid``: the writers (and the RTTM) follow the editor."""
    out = []
    for tr in turns:
        if tr.end <= a or tr.start >= b:
            out.append(tr)
            continue
        if tr.start < a:
            out.append(Turn(tr.speaker, tr.start, a))
        if tr.end > b:
            out.append(Turn(tr.speaker, b, tr.end))
    out.append(Turn(sid, a, b))
    return sorted(out, key=lambda tr: (tr.start, tr.end))


def apply_review(out_dir: str | Path, decisions_path: str | Path, formats=DEFAULT_FORMATS) -> list[Path]:
    formats = check_formats(formats)  # an unknown format fails before anything is read
    out = Path(out_dir)
    src = out / "transcript.json"
    if not out.is_dir():
        raise InputError(f"{out}: not a directory")
    t = Transcript.load(src)
    check_edits(t, str(src))
    review = load_decisions(decisions_path, t, src)
    final = reviewed_transcript(t, review, str(decisions_path))

    paths = write_outputs(final, out / "final", formats=formats)
    return [*paths, write_diff(final, out / "final" / "transcript.diff")]
