"""Text normalisation for scoring: Whisper's English normaliser, Simplified Chinese by character.

Code-switched text is split into runs: Chinese runs become one token per character (after
OpenCC Traditional->Simplified), the rest is English normalised as Whisper's evaluations do
(numbers, currency, percentages, British/American spelling, fillers removed).
"""
from __future__ import annotations

import re

from callfix.text import english_normalizer, simplified

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def is_cjk(token: str) -> bool:
    return bool(_CJK_RUN.fullmatch(token))


def english_tokens(text: str) -> list[str]:
    text = text.strip()
    return english_normalizer()(text).split() if text else []


def chinese_chars(text: str) -> list[str]:
    return [c for c in simplified(text) if _CJK_RUN.fullmatch(c)]


def mixed_tokens(text: str) -> list[str]:
    """Tokens in spoken order: normalised English words and Simplified Chinese characters."""
    out: list[str] = []
    pos = 0
    for m in _CJK_RUN.finditer(text):
        out += english_tokens(text[pos:m.start()])
        out += chinese_chars(m.group(0))
        pos = m.end()
    out += english_tokens(text[pos:])
    return out


_TERM_TOKEN = re.compile(r"[a-z0-9&]+(?:\.[0-9]+)?")


def term_tokens(text: str) -> list[str]:
    """Light tokens for finding glossary terms: case-folded, possessives and hyphens split off,
    spelling kept (Whisper's normaliser would turn "non-GAAP" and "non-gap" into near twins)."""
    text = re.sub(r"[’']s\b", "", text.lower())
    text = text.replace("-", " ")
    return _TERM_TOKEN.findall(_CJK_RUN.sub(" ", text))
