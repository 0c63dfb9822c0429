"""Rebuild paragraph text from the vendor original and the chosen edits.

An edit's ``char_start``/``char_end`` index into ``Paragraph.text`` (the vendor original), so the
corrected text is the original with each chosen edit's span replaced by its replacement. The
splicing itself is the aligner's (``callfix.align.correct.apply_edits``: deletions take their
whitespace, insertions bring one, tokens inside an edit take its time), so a reviewed transcript is
built exactly as the automatic one is.

A "resource" edit (the Mandarin transcript of a machine-translated stretch) is never spliced into
the text: the vendor's interpreter English stays, and the Mandarin goes beside it unless rejected.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from callfix.text import apply_edits
from callfix.text import tokenize
from callfix.errors import InputError
from callfix.model import Edit, Paragraph, Token, Transcript
from callfix.review.decisions import ACCEPT, REJECT, Review

CLASSES = ("applied", "suggested", "kept")  # the aligner's automatic decisions


@dataclass
class Rebuilt:
    text: str
    tokens: list[Token]  # tokens of the rebuilt text, timed from the vendor tokens and the edits
    conflicts: list[str]  # ids of chosen edits skipped because another chosen edit covers their span


def in_effect(edit: Edit, editor: str | None = None) -> bool:
    """Whether the edit takes effect: the editor's word wins, else the automatic class.

    A resource edit in effect puts its Mandarin beside the English; the aligner gives it by default.
    """
    if editor == ACCEPT:
        return True
    if editor == REJECT:
        return False
    return edit.kind == "resource" or edit.decision == "applied"


def own_edit(e: Edit, text: str) -> Edit:
    """The edit with the editor's text as its replacement (an empty text deletes the stretch)."""
    kind = "insert" if not e.vendor else "delete" if not text.strip() else "replace"
    return replace(e, replacement=text.strip() if kind != "delete" else "", kind=kind)


def mandarin_beside(t: Transcript, review: "Review | dict | None" = None) -> dict[int, str | None]:
    """Each re-sourced paragraph's Mandarin after the review: the editor's text, the ASR's, or none."""
    review = Review.of(review)
    out: dict[int, list[str]] = {}
    for e in t.edits:
        if e.kind != "resource":
            continue
        lines = out.setdefault(e.paragraph, [])
        if in_effect(e, review.choices.get(e.id)):
            text = review.texts.get(e.id, e.replacement).strip()
            if text:
                lines.append(text)
    return {k: "\n".join(v) or None for k, v in out.items()}


def rebuild_paragraph(p: Paragraph, chosen: list[Edit], accepted: set[str] | None = None) -> Rebuilt:
    """The paragraph with ``chosen`` applied, the way the aligner applies its own edits.

    Chosen edits that overlap cannot both apply: an editor's explicit accept beats an automatic
    one, then the longer span wins (it is what the page shows on top).
    """
    if not p.tokens and p.text:
        p = replace(p, tokens=tokenize(p.text))  # a transcript written without tokens
    accepted = accepted or set()
    keep: list[Edit] = []
    conflicts: list[str] = []
    for e in sorted(chosen, key=lambda e: (e.id not in accepted, e.char_start - e.char_end, e.char_start)):
        if any(_overlap(e, k) for k in keep):
            conflicts.append(e.id)
        else:
            keep.append(e)
    text, tokens = apply_edits(p, [replace(e, paragraph=p.index, decision="applied") for e in keep])
    return Rebuilt(text, tokens, sorted(conflicts))


def _overlap(a: Edit, b: Edit) -> bool:
    if a.char_start == a.char_end or b.char_start == b.char_end:
        # an insertion collides only with a span it falls strictly inside, or another insertion at its point
        if a.char_start == a.char_end and b.char_start == b.char_end:
            return a.char_start == b.char_start
        point, span = (a, b) if a.char_start == a.char_end else (b, a)
        return span.char_start < point.char_start < span.char_end
    return a.char_start < b.char_end and b.char_start < a.char_end


def paragraph_map(t: Transcript) -> dict[int, Paragraph]:
    return {p.index: p for p in t.paragraphs}


def check_edits(t: Transcript, source: str) -> None:
    """Every edit must point into its paragraph with offsets that cover its vendor text."""
    for i, par in enumerate(t.paragraphs):  # an index lands in the page's markup and ids: whole numbers only
        if isinstance(par.index, bool) or not isinstance(par.index, int):
            raise InputError(f"{source}: paragraph {i} has index {str(par.index)[:40]!r}; expected a whole number")
    paras = paragraph_map(t)
    seen: set[str] = set()
    for e in t.edits:
        if e.id in seen:
            raise InputError(f"{source}: edit id {e.id!r} appears twice")
        seen.add(e.id)
        if e.decision not in CLASSES:
            raise InputError(f"{source}: edit {e.id} has decision {e.decision!r}; expected one of {', '.join(CLASSES)}")
        p = paras.get(e.paragraph)
        if p is None:
            raise InputError(f"{source}: edit {e.id} refers to paragraph {e.paragraph}, which does not exist")
        if not (0 <= e.char_start <= e.char_end <= len(p.text)):
            raise InputError(f"{source}: edit {e.id} offsets {e.char_start}..{e.char_end} lie outside paragraph {e.paragraph}")
        if p.text[e.char_start:e.char_end] != e.vendor:
            raise InputError(
                f"{source}: edit {e.id} offsets {e.char_start}..{e.char_end} cover "
                f"{p.text[e.char_start:e.char_end]!r}, not its vendor text {e.vendor!r}"
            )


def rebuild_transcript(t: Transcript, editor: "Review | dict[str, str] | None" = None) -> dict[int, Rebuilt]:
    """Corrected text of every paragraph, keyed by paragraph index; undecided edits keep their class.

    ``editor`` is a :class:`Review` (choices, the editor's own texts) or a plain ``{id: choice}``.
    """
    review = Review.of(editor)
    by_para: dict[int, list[Edit]] = {}
    for e in t.edits:
        if e.kind != "resource" and in_effect(e, review.choices.get(e.id)):
            own = review.texts.get(e.id)
            if own is not None:
                e = own_edit(e, own)
                if e.kind == "insert" and not e.replacement:
                    continue  # nothing to insert: the editor emptied the proposal
            by_para.setdefault(e.paragraph, []).append(e)
    accepted = {k for k, v in review.choices.items() if v == ACCEPT}
    return {p.index: rebuild_paragraph(p, by_para.get(p.index, []), accepted) for p in t.paragraphs}
