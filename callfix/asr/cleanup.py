"""Post-decoding guards: repetition loops and Chinese script."""
from __future__ import annotations

from functools import lru_cache

from callfix.model import Word


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def _key(w: Word) -> str:
    return w.text.lower().strip(",.!?;:，。！？、")


def collapse_loops(words: list[Word], max_repeats: int, max_n: int = 8) -> tuple[list[Word], int]:
    """Drop repeats of any 1..max_n-word sequence beyond ``max_repeats`` consecutive copies.

    Whisper can fall into a loop ("this one, this one, …"); real speech rarely repeats a phrase
    more than a few times in a row. Returns the kept words and how many words were dropped.
    """
    out = list(words)
    dropped = 0
    for n in range(1, max_n + 1):
        i = 0
        while i + n <= len(out):
            unit = [_key(w) for w in out[i : i + n]]
            j = i + n
            reps = 1
            while j + n <= len(out) and [_key(w) for w in out[j : j + n]] == unit:
                reps += 1
                j += n
            if reps > max_repeats:
                cut_from = i + n * max_repeats
                dropped += j - cut_from
                del out[cut_from:j]
            i += 1
    return out, dropped
