"""Rebuild paragraph text from the vendor original and the chosen edits.

An edit's ``char_start``/``char_end`` index into ``Paragraph.text`` (the vendor original), so the
corrected text is the original with each chosen edit's span replaced by its replacement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from callfix.errors import InputError
from callfix.model import Edit, Paragraph, Transcript

ACCEPT, REJECT = "accept", "reject"
_WORDCHAR = re.compile(r"[A-Za-z0-9]")
_CLOSING = set(".,;:!?)]}")


@dataclass
class Rebuilt:
    text: str
    conflicts: list[str]  # ids of chosen edits skipped because an earlier chosen edit covers their span


def in_effect(edit: Edit, editor: str | None = None) -> bool:
    """Whether the edit's replacement is in the text: the editor's word wins, else the automatic class."""
    if editor == ACCEPT:
        return True
    if editor == REJECT:
        return False
    return edit.decision == "applied"


def rebuild_text(text: str, chosen: list[Edit]) -> Rebuilt:
    out = ""
    pos = 0
    conflicts: list[str] = []
    for e in sorted(chosen, key=lambda e: (e.char_start, e.char_end)):
        if e.char_start == e.char_end and not e.replacement:
            continue  # inserts nothing
        if e.char_start < pos:
            conflicts.append(e.id)
            continue
        out += text[pos:e.char_start]
        out = _join(out, e.replacement, inserted=e.char_start == e.char_end)
        pos = e.char_end
        rest = text[pos:]
        if not e.replacement and (not out or out[-1].isspace()):
            # a deletion leaves the surrounding spaces behind: keep one
            stripped = rest.lstrip()
            pos += len(rest) - len(stripped)
            if not out.strip() or not stripped or stripped[0] in _CLOSING:
                out = out.rstrip()
        elif e.char_start == e.char_end and e.replacement and _needs_space(e.replacement[-1], rest[:1]):
            out += " "
    out += text[pos:]
    return Rebuilt(out, conflicts)


def _join(left: str, insert: str, inserted: bool) -> str:
    # A pure insertion sits at a word boundary that may have no space of its own.
    if inserted and insert and left and _needs_space(left[-1], insert[0]):
        return left + " " + insert
    return left + insert


def _needs_space(a: str, b: str) -> bool:
    return bool(a and b and _WORDCHAR.match(a) and _WORDCHAR.match(b))


def paragraph_map(t: Transcript) -> dict[int, Paragraph]:
    return {p.index: p for p in t.paragraphs}


def check_edits(t: Transcript, source: str) -> None:
    """Every edit must point into its paragraph with offsets that cover its vendor text."""
    paras = paragraph_map(t)
    seen: set[str] = set()
    for e in t.edits:
        if e.id in seen:
            raise InputError(f"{source}: edit id {e.id!r} appears twice")
        seen.add(e.id)
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


def rebuild_transcript(t: Transcript, editor: dict[str, str] | None = None) -> dict[int, Rebuilt]:
    """Corrected text of every paragraph, keyed by paragraph index."""
    editor = editor or {}
    by_para: dict[int, list[Edit]] = {}
    for e in t.edits:
        if in_effect(e, editor.get(e.id)):
            by_para.setdefault(e.paragraph, []).append(e)
    return {p.index: rebuild_text(p.text, by_para.get(p.index, [])) for p in t.paragraphs}
