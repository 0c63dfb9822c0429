"""Text below every stage: tokenising vendor text, normalising tokens for matching only (the output keeps the
original), and splicing applied edits into a paragraph (callfix/io writes it, callfix/review rebuilds it)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from callfix.model import Edit, Paragraph, Token

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018-\u201f\u2026"
CJK_RE = re.compile(f"[{_CJK}]")
# A CJK character (with any trailing CJK punctuation) is one token; a non-CJK run is one token.
_TOKEN_RE = re.compile(f"[{_CJK}][{_CJK_PUNCT}]*|[{_CJK_PUNCT}]+|[^\\s{_CJK}{_CJK_PUNCT}]+")
_KEEP_RE = re.compile(r"[^\w'&.%$]+")
_ACRONYM_RE = re.compile(r"^(?:[a-z]\.)+[a-z]?$")
_NUM_COMMA_RE = re.compile(r"(?<=\d),(?=\d{3}\b)")
_ORDINALS = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth", "5th": "fifth",
             "6th": "sixth", "7th": "seventh", "8th": "eighth", "9th": "ninth", "10th": "tenth"}


def has_cjk(text: str) -> bool:
    return bool(CJK_RE.search(text))


def cjk_share(text: str) -> float:
    """Share of the letters and digits that are Chinese characters (what a paragraph's language is)."""
    letters = [c for c in text if c.isalnum()]
    return sum(1 for c in letters if CJK_RE.match(c)) / len(letters) if letters else 0.0


def cjk_char_share(text: str) -> float:
    """Share of all non-space characters, punctuation too, that are Chinese (how bench tells Mandarin text)."""
    chars = [c for c in text if not c.isspace()]
    return sum(1 for c in chars if CJK_RE.match(c)) / len(chars) if chars else 0.0


def tokenize(text: str) -> list[Token]:
    """Tokens with their character offsets inside ``text``; Chinese splits by character."""
    return [Token(text=m.group(), offset=m.start()) for m in _TOKEN_RE.finditer(text)]


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _t2s().convert(text) if has_cjk(text) else text


@lru_cache(maxsize=200_000)
def units(text: str) -> tuple[str, ...]:
    """Matching keys of one token or ASR word: lower case, no punctuation, hyphens split,
    numbers without thousands separators, Chinese one key per character (Simplified)."""
    s = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    if has_cjk(s):
        s = simplified(s)
        return tuple(c for c in s if CJK_RE.match(c) or c.isalnum()) if not re.search(r"[A-Za-z0-9]", s) \
            else tuple(_mixed_units(s))
    s = _NUM_COMMA_RE.sub("", s.lower())
    out: list[str] = []
    for part in _KEEP_RE.split(s.replace("&", " and ")):
        part = part.strip("'.$")
        if not part:
            continue
        if _ACRONYM_RE.match(part):
            part = part.replace(".", "")  # "C.L.S.A" reads as "clsa"
        pct = part.endswith("%")
        part = part.rstrip("%").strip("'.")
        if part:
            out.append(_ORDINALS.get(part, part))
        if pct:
            out.append("percent")
    return tuple(out)


def phrase_units(text: str) -> tuple[str, ...]:
    """Matching keys of a multi-word phrase (glossary entries, ASR stretches)."""
    return tuple(u for tok in tokenize(text) for u in units(tok.text))


def _mixed_units(s: str) -> list[str]:
    out: list[str] = []
    for m in re.finditer(f"[{_CJK}]|[A-Za-z0-9.%&']+", s):
        g = m.group()
        out.extend([g] if CJK_RE.match(g) else units(g))
    return out


def strip_punct(text: str) -> str:
    """A word without leading/trailing punctuation (inner ' - & . % kept)."""
    return text.strip().strip(" ,.;:!?\"()[]{}\u201c\u201d\u2018\u2019\u3002\uff0c\uff1f\uff01\u3001")


def edge_punct(text: str) -> tuple[str, str]:
    core = strip_punct(text)
    if not core:
        return "", text
    i = text.find(core)
    return text[:i], text[i + len(core):]


@lru_cache(maxsize=1)
def english_normalizer():
    """openai-whisper's EnglishTextNormalizer, loaded without importing whisper (and torch)."""
    import importlib.util
    import sys

    name = "_callfix_whisper_normalizers"
    if name not in sys.modules:
        spec = importlib.util.find_spec("whisper")
        if spec is None or not spec.submodule_search_locations:
            return None
        folder = f"{spec.submodule_search_locations[0]}/normalizers"
        pkg = importlib.util.spec_from_file_location(name, f"{folder}/__init__.py",
                                                     submodule_search_locations=[folder])
        mod = importlib.util.module_from_spec(pkg)
        sys.modules[name] = mod
        pkg.loader.exec_module(mod)
    return sys.modules[name].EnglishTextNormalizer()


# Splicing: applied edits into a paragraph's vendor text, keeping token times and speakers.
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
