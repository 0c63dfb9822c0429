"""The text an edit puts in: ASR words in the vendor's style and the glossary's spelling."""
from __future__ import annotations

import re
from functools import lru_cache

from callfix.align.glossary import Glossary
from callfix.text import edge_punct, english_normalizer, has_cjk, phrase_units, strip_punct, units
from callfix.model import Token, Word

_NEEDS_FULL = re.compile(r"[0-9'%$&\u2019]")


def same_when_normalised(a: str, b: str) -> bool:
    """Only a difference of spelling style (numbers, contractions, British/American, hyphens)?

    A closed word split by a space ("run way" for runway, "bio marker") is not style: it is how a
    mishearing reads, and it costs word errors."""
    if "".join(units(a)) == "".join(units(b)):
        return not _split_word(a, b)
    n = english_normalizer()
    if not n:
        return False
    if not _NEEDS_FULL.search(a + b):  # no numbers or contractions: spelling variants only
        sp = n.standardize_spellings
        return sp(" ".join(units(a))).replace(" ", "") == sp(" ".join(units(b))).replace(" ", "")
    return n(a).replace(" ", "") == n(b).replace(" ", "")


def same_letters(a: str, b: str) -> bool:
    """The same letters and digits in the same order, whatever the spacing, case, hyphens or punctuation
    ("Non GAAP" / "non-GAAP")."""
    return "".join(phrase_units(a)) == "".join(phrase_units(b))


def _split_word(a: str, b: str) -> bool:
    """The same letters with a word boundary elsewhere ("run way extends into" / "runway extends in to")."""
    if "-" in a or "-" in b or any(ch.isdigit() for ch in a + b):
        return False
    return _boundaries(a) != _boundaries(b)


def _boundaries(text: str) -> set[int]:
    out, at = set(), 0
    for w in text.split():
        at += len("".join(units(w)))
        out.add(at)
    return out


def join_words(words: list[Word]) -> str:
    out = ""
    for w in words:
        t = w.text.replace("\ufffd", "").strip()  # Whisper may cut a character's bytes
        if not t:
            continue
        if out and not (_cjk_like(t[:1]) and _cjk_like(out[-1:])):
            out += " "
        out += t
    return out


def _cjk_like(ch: str) -> bool:
    return bool(ch) and (has_cjk(ch) or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")


def replacement_text(vendor_tokens: list[Token], words: list[Word], gl: Glossary, asr_mid_sentence: bool = False) -> str:
    """ASR words, in the vendor's style: glossary spellings, vendor's edge punctuation and case.

    ``asr_mid_sentence``: the ASR's words follow earlier words of its own sentence, so a capital it
    gives them names something ("northern Chile") rather than starting a sentence."""
    core = [c for c in (strip_punct(w.text) for w in words) if c]
    text = join_words([Word(c, 0, 0) for c in _canonical_spelling(core, gl)])
    if vendor_tokens and text:
        lead, _ = edge_punct(vendor_tokens[0].text)
        _, trail = edge_punct(vendor_tokens[-1].text)
        first = strip_punct(vendor_tokens[0].text)[:1]
        if first.isupper() and text[0].islower():
            text = text[0].upper() + text[1:]
        elif first.islower() and text[0].isupper() and not asr_mid_sentence and not _is_glossary_start(text, gl) \
                and not text.startswith("I "):
            if len(text) > 1 and not text[1].isupper():
                text = text[0].lower() + text[1:]
        text = lead + text + trail
    return text


def _canonical_spelling(core: list[str], gl: Glossary) -> list[str]:
    """Words that spell a glossary entry (spaces aside: "deep seek") take its canonical spelling."""
    out = list(core)
    joined = "".join(u for c in core for u in units(c))
    for term, tu in _canonical_units(tuple(gl.canonical())):
        target = "".join(tu)
        if target not in joined:
            continue
        i = 0
        while i < len(out):
            acc, j = "", i
            while j < len(out) and len(acc) < len(target):
                acc += "".join(units(out[j]))
                j += 1
            if acc == target and (j - i > 1 or out[i] != term):
                out[i:j] = [term]
            i += 1
    return out


@lru_cache(maxsize=8)
def _canonical_units(canonical: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    return [(t, u) for t in canonical if (u := phrase_units(t))]


def with_vendor_edges(vendor_tokens: list[Token], text: str) -> str:
    lead, _ = edge_punct(vendor_tokens[0].text)
    _, trail = edge_punct(vendor_tokens[-1].text)
    return lead + text + trail


def _is_glossary_start(text: str, gl: Glossary) -> bool:
    return any(text.startswith(t) for t in gl.canonical())
