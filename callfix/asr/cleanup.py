"""Post-decoding guards: repetition loops (the Chinese script: callfix.text.simplified)."""
from __future__ import annotations

from callfix.model import Word


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
