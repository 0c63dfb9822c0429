"""Global alignment of two token sequences: unique n-gram anchors in order (longest increasing
chain), then rapidfuzz Levenshtein opcodes between anchors. Near-linear on long calls."""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from typing import Hashable, Literal, NamedTuple, Sequence

from rapidfuzz.distance import Levenshtein

OpTag = Literal["equal", "replace", "insert", "delete"]


class Opcode(NamedTuple):
    """Turn a[a1:a2] into b[b1:b2] (difflib's opcodes). A NamedTuple, immutable and unpackable as
    ``tag, i1, i2, j1, j2``: the alignment loops over tens of thousands of them."""

    tag: OpTag
    a1: int
    a2: int
    b1: int
    b2: int


def _unique_ngrams(seq: Sequence[int], n: int) -> dict[tuple, int]:
    grams = [tuple(seq[i:i + n]) for i in range(len(seq) - n + 1)]
    counts = Counter(grams)
    return {g: i for i, g in enumerate(grams) if counts[g] == 1}


def _longest_chain(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Longest subsequence of (i, j) pairs (sorted by i) with strictly increasing j."""
    tails: list[int] = []
    tails_idx: list[int] = []
    prev = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        pos = bisect_left(tails, j)
        if pos == len(tails):
            tails.append(j)
            tails_idx.append(k)
        else:
            tails[pos] = j
            tails_idx[pos] = k
        prev[k] = tails_idx[pos - 1] if pos else -1
    out = []
    k = tails_idx[-1] if tails_idx else -1
    while k >= 0:
        out.append(pairs[k])
        k = prev[k]
    return out[::-1]


def anchors(a: Sequence[int], b: Sequence[int], n: int = 4) -> list[tuple[int, int, int]]:
    """Equal blocks (i, j, length) from n-grams unique in both sequences, in order, not overlapping."""
    if n < 1 or len(a) < n or len(b) < n:
        return []
    ua, ub = _unique_ngrams(a, n), _unique_ngrams(b, n)
    pairs = sorted((i, ub[g]) for g, i in ua.items() if g in ub)
    blocks: list[list[int]] = []
    for i, j in _longest_chain(pairs):
        if blocks:
            bi, bj, bl = blocks[-1]
            if i - bi == j - bj and i <= bi + bl:  # same diagonal, overlapping: extend
                blocks[-1][2] = i + n - bi
                continue
            if i < bi + bl or j < bj + bl:  # crosses the previous block on another diagonal
                continue
        blocks.append([i, j, n])
    return [tuple(b) for b in blocks]


def _encode(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[list[int], list[int]]:
    ids: dict[Hashable, int] = {}
    ea = [ids.setdefault(x, len(ids)) for x in a]
    eb = [ids.setdefault(x, len(ids)) for x in b]
    return ea, eb


def align_tokens(a: Sequence[Hashable], b: Sequence[Hashable], anchor_ngram: int = 4) -> list[Opcode]:
    """Opcodes turning ``a`` into ``b``; together they cover both sequences exactly once, in order."""
    ea, eb = _encode(a, b)
    out: list[Opcode] = []
    pi = pj = 0
    for i, j, n in [*anchors(ea, eb, anchor_ngram), (len(ea), len(eb), 0)]:
        out.extend(_gap(ea, eb, pi, i, pj, j))
        if n:
            out.append(Opcode("equal", i, i + n, j, j + n))
        pi, pj = i + n, j + n
    return _merge(out)


def _gap(a: list[int], b: list[int], i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    if i1 == i2 and j1 == j2:
        return []
    if i1 == i2:
        return [Opcode("insert", i1, i1, j1, j2)]
    if j1 == j2:
        return [Opcode("delete", i1, i2, j1, j1)]
    ops = Levenshtein.opcodes(a[i1:i2], b[j1:j2])
    return [Opcode(o.tag, o.src_start + i1, o.src_end + i1, o.dest_start + j1, o.dest_end + j1) for o in ops]


def _merge(ops: list[Opcode]) -> list[Opcode]:
    out: list[Opcode] = []
    for op in ops:
        if op.a1 == op.a2 and op.b1 == op.b2:
            continue
        last = out[-1] if out else None
        if last and last.tag == op.tag == "equal" and last.a2 == op.a1 and last.b2 == op.b1:
            out[-1] = Opcode("equal", last.a1, op.a2, last.b1, op.b2)
        else:
            out.append(op)
    return out
