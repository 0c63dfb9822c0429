"""Word alignment of a hypothesis to a reference whose spans have alternative spoken forms.

The reference is a sequence of slots; each slot lists the token sequences it may be read as (one
for a plain word; for a normalisable span, its candidate verbalisations and its written form; an
empty one means the span may be skipped). The alignment minimises fstalign's edit costs
(insertion 1, deletion 1, substitution 1.5) over every choice of forms.

A first pass with rapidfuzz's Levenshtein opcodes on the written forms fixes long exact runs of
plain words as anchors, as fstalign's own first pass does; between anchors the exact lattice
alignment runs as a dynamic programme vectorised over the hypothesis with numpy.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# fstalign's costs (IComposition.h) doubled to stay integral
INS, DEL, SUB = 2, 2, 3
ANCHOR_RUN = 3  # plain words in an exact run before its inner part is trusted as an anchor
MAX_CELLS = 40_000_000  # larger gaps fall back to the written forms (counted in Alignment.fallbacks)


@dataclass
class Slot:
    forms: list[tuple[str, ...]]  # lower-cased token sequences; forms[-1] is the written form
    rows: list[int] = field(default_factory=list)  # reference rows the slot covers
    label: str = ""  # normalisation label "ID:CLASS" of a normalisable span

    @property
    def plain(self) -> bool:
        return len(self.forms) == 1 and len(self.forms[0]) == 1


@dataclass
class Op:
    kind: str  # "equal", "substitute", "delete", "insert"
    ref: str | None
    hyp: str | None
    slot: int  # the reference slot (for an insertion: the slot it follows)
    inside: bool = False  # an insertion between two tokens of one slot's form


@dataclass
class Alignment:
    ops: list[Op]
    forms: list[int]  # chosen form per slot
    fallbacks: int = 0  # gaps too large for the exact alignment


def align(slots: list[Slot], hyp: list[str]) -> Alignment:
    vocab: dict[str, int] = {}
    hyp_ids = np.array([vocab.setdefault(h, len(vocab)) for h in hyp], dtype=np.int64)
    written = [t for s in slots for t in s.forms[-1]]
    owner = [k for k, s in enumerate(slots) for _ in s.forms[-1]]
    anchors = _anchors(slots, written, owner, hyp)
    ops: list[Op] = []
    forms = [len(s.forms) - 1 for s in slots]
    fallbacks = 0
    k0, j0 = 0, 0
    for k, j in [*anchors, (len(slots), len(hyp))]:
        gap_ops, gap_forms, fb = _align_gap(slots, k0, k, hyp, hyp_ids, j0, j, vocab)
        ops += gap_ops
        forms[k0:k] = gap_forms
        fallbacks += fb
        if k < len(slots):
            ops.append(Op("equal", slots[k].forms[0][0], hyp[j], k))
        k0, j0 = k + 1, j + 1
    return Alignment(ops, forms, fallbacks)


def _anchors(slots: list[Slot], written: list[str], owner: list[int], hyp: list[str]) -> list[tuple[int, int]]:
    """(slot, hyp index) pairs of plain words inside long exact runs of the written-form alignment."""
    from rapidfuzz.distance import Levenshtein

    out: list[tuple[int, int]] = []
    if not written or not hyp:
        return out
    for op in Levenshtein.opcodes(written, hyp):
        if op.tag != "equal":
            continue
        run: list[tuple[int, int]] = []
        for i, j in zip(range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)):
            if slots[owner[i]].plain:
                run.append((owner[i], j))
                continue
            out += _trim(run)
            run = []
        out += _trim(run)
    return out


def _trim(run: list[tuple[int, int]]) -> list[tuple[int, int]]:
    # the ends of an exact run are where a cheaper alignment through a neighbour's form may start
    return run[1:-1] if len(run) >= ANCHOR_RUN else []


def _align_gap(slots, k0, k1, hyp, hyp_ids, j0, j1, vocab) -> tuple[list[Op], list[int], int]:
    gap = slots[k0:k1]
    h = hyp_ids[j0:j1]
    H = len(h)
    if not gap:
        return [Op("insert", None, hyp[j], k0 - 1) for j in range(j0, j1)], [], 0
    cells = sum(len(t) for s in gap for t in s.forms) * (H + 1)
    if cells > MAX_CELLS:
        return (*_written_only(gap, k0, hyp, j0, j1), 1)
    ar = np.arange(H + 1, dtype=np.int64) * INS
    row = ar.copy()
    trace: list[tuple[np.ndarray, list[list[np.ndarray]]]] = []
    for s in gap:
        rows, form_ops = [], []
        for form in s.forms:
            r, ops = row, []
            for tok in form:
                cost = np.where(h == vocab.get(tok, -1), 0, SUB)
                y = np.empty(H + 1, dtype=np.int64)
                y[0] = r[0] + DEL
                diag, dele = r[:-1] + cost, r[1:] + DEL
                y[1:] = np.minimum(diag, dele)
                op = np.ones(H + 1, dtype=np.int8)
                op[1:] = np.where(diag <= dele, 0, 1)
                z = np.minimum.accumulate(y - ar) + ar
                op[z < y] = 2
                r = z
                ops.append(op)
            rows.append(r)
            form_ops.append(ops)
        stack = np.vstack(rows)
        choice = stack.argmin(axis=0)
        row = stack[choice, np.arange(H + 1)]
        trace.append((choice, form_ops))
    out: list[Op] = []
    chosen = [0] * len(gap)
    j = H
    for g in range(len(gap) - 1, -1, -1):
        choice, form_ops = trace[g]
        f = int(choice[j])
        chosen[g] = f
        form, ops = gap[g].forms[f], form_ops[f]
        for t in range(len(form) - 1, -1, -1):
            op = ops[t]
            while op[j] == 2:
                out.append(Op("insert", None, hyp[j0 + j - 1], k0 + g, inside=t < len(form) - 1))
                j -= 1
            if op[j] == 0:
                kind = "equal" if hyp[j0 + j - 1] == form[t] else "substitute"
                out.append(Op(kind, form[t], hyp[j0 + j - 1], k0 + g))
                j -= 1
            else:
                out.append(Op("delete", form[t], None, k0 + g))
    while j > 0:  # hypothesis words before the first reference word of the gap
        out.append(Op("insert", None, hyp[j0 + j - 1], k0 - 1))
        j -= 1
    out.reverse()
    return out, chosen, 0


def _written_only(gap: list[Slot], k0: int, hyp: list[str], j0: int, j1: int) -> tuple[list[Op], list[int]]:
    """Unit-cost alignment of the written forms (rapidfuzz), for a gap too large for the lattice."""
    from rapidfuzz.distance import Levenshtein

    toks = [t for s in gap for t in s.forms[-1]]
    owner = [k0 + g for g, s in enumerate(gap) for _ in s.forms[-1]]
    seg = hyp[j0:j1]
    out: list[Op] = []
    for op in Levenshtein.opcodes(toks, seg):
        a, b = range(op.src_start, op.src_end), range(op.dest_start, op.dest_end)
        if op.tag in ("equal", "replace"):
            out += [Op("equal" if toks[i] == seg[j] else "substitute", toks[i], seg[j], owner[i]) for i, j in zip(a, b)]
        elif op.tag == "delete":
            out += [Op("delete", toks[i], None, owner[i]) for i in a]
        else:
            out += [Op("insert", None, seg[j], owner[op.src_start - 1] if op.src_start else k0 - 1) for j in b]
    return out, [len(s.forms) - 1 for s in gap]
