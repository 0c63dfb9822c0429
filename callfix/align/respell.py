"""Names the vendor and the ASR spell alike, and a trusted spelling spells otherwise.

Whisper writes a name it does not know as it sounds ("Keyline" for Quayline), which is often the
vendor's spelling too: the two agree, so no stretch of the alignment differs there. A trusted
spelling (participants, company glossary) that sounds the same decides how the name is written;
the audio, which cannot tell homophones apart, only has to not speak against it.
"""
from __future__ import annotations

from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from callfix.align.candidates import word_frequency
from callfix.align.glossary import Glossary
from callfix.text import edge_punct, strip_punct

RARE = 3.0  # Zipf frequency under which a capitalised word is a name, not a common word


@lru_cache(maxsize=64)
def _by_sound(words: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for w in words:
        key = jellyfish.metaphone(w)
        if len(key) >= 3:
            out.setdefault(key, w)
    return out


def name_words(gl: Glossary) -> tuple[str, ...]:
    """Single capitalised words of the trusted spellings: "Quayline" of "Quayline Payments"."""
    words = [strip_punct(w) for t in gl.canonical() for w in t.split()]
    return tuple(dict.fromkeys(w for w in words if w[:1].isupper() and w.isalpha() and len(w) >= 4))


def respelling(word: str, names: tuple[str, ...]) -> str | None:
    """The trusted spelling ``word`` sounds exactly like but is not ("Keyline" -> "Quayline"), if any,
    among ``names`` (``name_words`` of the call's glossary)."""
    bare = strip_punct(word)
    own = ""
    if bare[-2:] in ("'s", "\u2019s"):
        bare, own = bare[:-2], bare[-2:]  # the possessive stays
    if not bare[:1].isupper() or not bare.isalpha() or len(bare) < 4 or word_frequency(bare.lower()) >= RARE:
        return None
    if bare in names:
        return None
    target = _by_sound(names).get(jellyfish.metaphone(bare))
    # a key of three or four sounds is shared by unlike names ("Guanggu" / "Gong"): the spellings must be
    # near in length and letters too
    if target is None or target.lower() == bare.lower() or abs(len(target) - len(bare)) > 2 \
            or fuzz.ratio(target.lower(), bare.lower()) < 60:
        return None
    lead, trail = edge_punct(word)
    return lead + target + own + trail
