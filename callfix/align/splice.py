"""Splice applied edits into a paragraph's vendor text, keeping token times and speakers."""
from __future__ import annotations

from callfix.align.normalize import tokenize
from callfix.model import Edit, Paragraph, Token


def edit_span(par: Paragraph, e: Edit) -> tuple[int, int, str]:
    """Character range an edit rewrites and the text it puts there (deletions take their whitespace)."""
    s, t, r = e.char_start, e.char_end, e.replacement
    if e.kind == "delete":
        nxt = next((tok.offset for tok in par.tokens if tok.offset >= t), None)
        if nxt is not None:
            t = nxt
        else:
            prev = [tok for tok in par.tokens if tok.offset + len(tok.text) <= s]
            s = prev[-1].offset + len(prev[-1].text) if prev else 0
    elif e.kind == "insert":
        if s >= len(par.text.rstrip()):
            r = " " + r
        else:
            r = r + " "
    return s, t, r


def apply_edits(par: Paragraph, edits: list[Edit]) -> tuple[str, list[Token]]:
    """Paragraph text after its applied edits, and its tokens (re-timed inside each edit)."""
    mine = sorted((e for e in edits if e.paragraph == par.index and e.decision == "applied"),
                  key=lambda e: (e.char_start, e.char_end))
    text = par.text
    spans: list[tuple[int, int, int, Edit]] = []  # original s, t, new length
    out, pos = [], 0
    for e in mine:
        s, t, r = edit_span(par, e)
        if s < pos:
            continue  # overlapping edits cannot both apply
        out.append(text[pos:s])
        out.append(r)
        spans.append((s, t, len(r), e))
        pos = t
    out.append(text[pos:])
    new_text = "".join(out)
    if not spans:
        return text, [Token(**vars(t)) for t in par.tokens]
    # Tokens outside the edits map back to the original tokens; inside, they take the edit's time.
    by_offset = {t.offset: t for t in par.tokens}
    placed = []  # (new start, new end, original end, edit)
    shift = 0
    for s0, t0, ln, e in spans:
        placed.append((s0 + shift, s0 + shift + ln, t0, e))
        shift += ln - (t0 - s0)
    tokens: list[Token] = []
    seen: dict[str, int] = {}
    for tk in tokenize(new_text):
        inside = next((e for ns, ne, _, e in placed if ns <= tk.offset < ne), None)
        if inside is not None:
            k = seen[inside.id] = seen.get(inside.id, -1) + 1
            tokens.append(_edit_token(tk, inside, k))
            continue
        orig_offset = tk.offset
        for ns, ne, t0, _ in placed:
            if tk.offset >= ne:
                orig_offset = tk.offset - ne + t0
        orig = by_offset.get(orig_offset)
        if orig is not None and orig.text == tk.text:
            tokens.append(Token(tk.text, tk.offset, orig.start, orig.end, orig.speaker, orig.matched))
        else:  # a token re-formed at an edit boundary
            prev = tokens[-1] if tokens else None
            tokens.append(Token(tk.text, tk.offset, prev.end if prev else None, prev.end if prev else None,
                                prev.speaker if prev else None))
    return new_text, tokens


def _edit_token(tk: Token, e: Edit, k: int) -> Token:
    st = en = None
    if e.start is not None:
        n = max(1, len(tokenize(e.replacement)))
        step = ((e.end if e.end is not None else e.start) - e.start) / n
        st, en = round(e.start + k * step, 3), round(e.start + (k + 1) * step, 3)
    return Token(tk.text, tk.offset, st, en, e.speaker, False)
