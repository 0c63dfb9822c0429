"""Non-matching stretches of an alignment as pieces: whole tokens and words, one paragraph each."""
from __future__ import annotations

from dataclasses import dataclass, field

from callfix.align.timing import Alignment


@dataclass
class Piece:
    """One paragraph's share of a non-matching stretch: vendor tokens [k1, k2) vs words [w1, w2)."""

    paragraph: int
    k1: int
    k2: int
    w1: int
    w2: int
    g1: int  # global token indices
    g2: int
    cross: bool = False  # the stretch spanned several paragraphs
    extra: dict = field(default_factory=dict)


def pieces(al: Alignment) -> list[Piece]:
    """Non-matching stretches widened to whole tokens and words, merged, split by paragraph."""
    spans: list[list[int]] = []  # [g1, g2, w1, w2) global token and word ranges
    for a1, a2, b1, b2 in al.stretches():
        gs = {al.unit_token[u] for u in range(a1, a2)}
        ws = {al.unit_word[j] for j in range(b1, b2)}
        for _ in range(3):  # a token half-matched drags its matched words in, and vice versa
            n = len(gs) + len(ws)
            for g in list(gs):
                u1, u2 = al.tok_units[g]
                ws |= {al.unit_word[al.vmatch[u]] for u in range(u1, u2) if al.vmatch[u] >= 0}
            for w in list(ws):
                j1, j2 = al.word_units[w]
                gs |= {al.unit_token[al.wmatch[j]] for j in range(j1, j2) if al.wmatch[j] >= 0}
            if len(gs) + len(ws) == n:
                break
        if gs:
            g1, g2 = min(gs), max(gs) + 1
        else:  # pure insertion: before the token of the next vendor unit
            g1 = g2 = al.unit_token[a1] if a1 < len(al.unit_token) else len(al.toks)
        if ws:
            w1, w2 = min(ws), max(ws) + 1
        else:  # pure deletion: between the words matched either side
            w1 = w2 = (al.unit_word[b1] if b1 < len(al.unit_word) else len(al.words))
        if spans and (g1 < spans[-1][1] or w1 < spans[-1][3] or (gs and g1 == spans[-1][1] and w1 == spans[-1][3])):
            s = spans[-1]
            s[0], s[1], s[2], s[3] = min(s[0], g1), max(s[1], g2), min(s[2], w1), max(s[3], w2)
        else:
            spans.append([g1, g2, w1, w2])
    out: list[Piece] = []
    for g1, g2, w1, w2 in spans:
        out.extend(_split(al, g1, g2, w1, w2))
    return out


def _split(al: Alignment, g1: int, g2: int, w1: int, w2: int) -> list[Piece]:
    if g1 == g2:
        if g1 < len(al.toks):
            p, k = al.toks[g1]
        elif al.toks:
            p, k = al.toks[-1][0], len(al.paragraphs[al.toks[-1][0]].tokens)
        else:
            return []
        if k == 0 and g1 > 0:  # at a paragraph start: the words end the previous paragraph
            p, k = al.toks[g1 - 1][0], len(al.paragraphs[al.toks[g1 - 1][0]].tokens)
        return [Piece(p, k, k, w1, w2, g1, g1)]
    groups: list[list[int]] = []
    looped = _looped(al)
    prev = None
    for g in range(g1, g2):
        if g in looped:  # loops are judged on their own
            continue
        if groups and al.toks[g][0] == al.toks[groups[-1][0]][0] and prev == g - 1:
            groups[-1].append(g)
        else:
            groups.append([g])
        prev = g
    if not groups:
        return []
    starts = []
    for grp in groups:
        ws = [al.assigned[u] for g in grp for u in range(*al.tok_units[g]) if al.assigned[u] >= 0]
        starts.append(min(ws) if ws else None)
    out = []
    cur = w1
    for n, grp in enumerate(groups):
        nxt = next((s for s in starts[n + 1:] if s is not None), w2) if n + 1 < len(groups) else w2
        nxt = max(cur, min(nxt, w2))
        p = al.toks[grp[0]][0]
        out.append(Piece(p, al.toks[grp[0]][1], al.toks[grp[-1]][1] + 1, cur, nxt, grp[0], grp[-1] + 1,
                         cross=len(groups) > 1))
        cur = nxt
    return out


def is_loop_copy(al: Alignment, pc: Piece, aunits: list[str]) -> bool:
    for lp in al.loops:
        if lp.paragraph == pc.paragraph and lp.k1 <= pc.k1 <= lp.k2 and set(aunits) <= set(lp.phrase.split()):
            return True
    return False


def _looped(al: Alignment) -> set[int]:
    return {g for lp in al.loops for g in range(lp.g1, lp.g2)}


def units_of_tokens(al: Alignment, g1: int, g2: int) -> list[str]:
    if g1 >= g2:
        return []
    return al.vendor_units[al.tok_units[g1][0]:al.tok_units[g2 - 1][1]]


def units_of_words(al: Alignment, w1: int, w2: int) -> list[str]:
    if w1 >= w2:
        return []
    return al.asr_units[al.word_units[w1][0]:al.word_units[w2 - 1][1]]


def trim(al: Alignment, pc: Piece, span: tuple[int, int, int, int]) -> list[Piece] | None:
    """Split a piece into (before, confusion, after) so that a confirmed confusion is not
    applied together with unrelated differences next to it."""
    va, vb, aa, ab = span
    if va >= vb or aa >= ab:
        return None
    tok_of = [g for g in range(pc.g1, pc.g2) for _ in range(*al.tok_units[g])]
    word_of = [w for w in range(pc.w1, pc.w2) for _ in range(*al.word_units[w])]
    if vb > len(tok_of) or ab > len(word_of):
        return None
    g1, g2 = tok_of[va], tok_of[vb - 1] + 1
    w1, w2 = word_of[aa], word_of[ab - 1] + 1
    if (g1, g2, w1, w2) == (pc.g1, pc.g2, pc.w1, pc.w2):
        return None
    dk = pc.k1 - pc.g1
    out = []
    for a, b, c, d in ((pc.g1, g1, pc.w1, w1), (g1, g2, w1, w2), (g2, pc.g2, w2, pc.w2)):
        if a < b or c < d:
            out.append(Piece(pc.paragraph, a + dk, b + dk, c, d, a, b, pc.cross))
    return out


def gap_seconds(al: Alignment, pc: Piece) -> float | None:
    """Audio time between the words heard just before and just after a deleted stretch."""
    before = al.words[pc.w1 - 1] if pc.w1 > 0 else None
    after = al.words[pc.w1] if pc.w1 < len(al.words) else None
    if before is None and after is None:
        return None
    if before is None or after is None:
        return 0.0
    return max(0.0, after.start - before.end)
