"""Tokenising vendor text and normalising tokens for matching only (the output keeps the original)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from callfix.model import Token

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
    letters = [c for c in text if c.isalnum()]
    return sum(1 for c in letters if CJK_RE.match(c)) / len(letters) if letters else 0.0


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
