"""Earnings-21/22 scoring, following Rev's fstalign (the tool their published tables come from).

- A reference span with a normalisation label (`tags` column) may be read as any of its candidate
  verbalisations in `ID.norm.json`, or as written; the span's reference length is that of the
  form the alignment chooses.
- Other tokens are compared lower-cased; punctuation sits in its own column and is not scored.
- A cut-off word ("ac-") also matches without its hyphen. fstalign 1.4 (2022) added a rule that a
  hyphenated word matches its parts and the reverse; it is off by default (`Rules`), as the
  published tables predate it.
- The hypothesis is taken as written, lower-cased: fstalign normalises the reference side only,
  and the reference's written form stays one of the candidates, so "2020" and "twenty twenty"
  both match a YEAR.
- Entity WER: every aligned reference word (and every word inserted inside a normalisable span)
  counts for each entity id in its `wer_tags`; ids are grouped by class from `ID.wer_tag.json`.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from callfix.bench.lattice import Alignment, Slot, align
from callfix.errors import InputError
from callfix.io.nlp import NlpRef, NlpRow, read_nlp_ref, read_nlp_rows, text_rows
from callfix.io.references import read_doc

MODE = "earnings"
MODE_NOTE = ("earnings: fstalign rules as in the published Earnings-21 tables (reference normalisation "
             "candidates, lower-cased, punctuation ignored, cut-off synonyms; costs ins 1 / del 1 / sub 1.5)")


@dataclass
class Rules:
    """fstalign's automatic synonyms. Hyphenated compounds match their parts since fstalign 1.4
    (2022); the published Earnings-21 tables (2021) came from a version without that rule."""

    hyphen_synonyms: bool = False
    cutoff_synonyms: bool = True


def ref_slots(ref: NlpRef, hyp_tokens: list[str] = (), rules: Rules = Rules()) -> list[Slot]:
    rows = ref.rows
    slots: list[Slot] = []
    i = 0
    while i < len(rows):
        lab = rows[i].label
        lid = lab.split(":", 1)[0] if lab else ""
        if lab and lid in ref.norm:
            j = i
            while j + 1 < len(rows) and rows[j + 1].label == lab:
                j += 1
            written = tuple(r.token.lower() for r in rows[i:j + 1])
            forms = [tuple(t.lower() for t in c) for c in ref.norm[lid]]
            slots.append(Slot([f for f in dict.fromkeys(forms) if f != written] + [written], list(range(i, j + 1)), lab))
            i = j + 1
            continue
        tok = rows[i].token.lower()
        forms = [(tok,)]
        if tok.endswith("-") and len(tok) > 1:
            if rules.cutoff_synonyms:
                forms.insert(0, (tok.rstrip("-"),))
        elif "-" in tok.strip("-") and rules.hyphen_synonyms:
            forms.insert(0, tuple(p for p in tok.split("-") if p))
        slots.append(Slot(forms, [i]))
        i += 1
    return _join_hyphenated(slots, hyp_tokens) if rules.hyphen_synonyms else slots


def _join_hyphenated(slots: list[Slot], hyp_tokens) -> list[Slot]:
    """Reference word runs that a hyphenated hypothesis word spells ("long term" for "long-term")."""
    compounds = {}
    for t in set(hyp_tokens):
        parts = tuple(p for p in t.split("-") if p)
        if len(parts) > 1 and not t.endswith("-"):
            compounds[parts] = t
    if not compounds:
        return slots
    lengths = sorted({len(p) for p in compounds}, reverse=True)
    out: list[Slot] = []
    i = 0
    while i < len(slots):
        for n in lengths:
            run = slots[i:i + n]
            if len(run) == n and all(s.plain for s in run):
                key = tuple(s.forms[0][0] for s in run)
                if key in compounds:
                    out.append(Slot([(compounds[key],), key], [r for s in run for r in s.rows]))
                    i += n
                    break
        else:
            out.append(slots[i])
            i += 1
    return out


def hyp_tokens(rows: list[NlpRow]) -> list[str]:
    return [r.token.lower() for r in rows]


def doc_rows(path) -> list[NlpRow]:
    """Hypothesis rows: an `.nlp` file as it is, any other transcript tokenised as Rev's files are."""
    from pathlib import Path

    p = Path(path)
    if p.suffix.lower() == ".nlp":
        return read_nlp_rows(p)
    doc = read_doc(p)
    return [r for u in doc.utterances for r in text_rows(u.text, u.speaker)]


@dataclass
class Counts:
    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    hits: int = 0

    @property
    def ref_tokens(self) -> int:
        return self.hits + self.substitutions + self.deletions

    def add(self, kind: str) -> None:
        if kind == "equal":
            self.hits += 1
        elif kind == "substitute":
            self.substitutions += 1
        elif kind == "delete":
            self.deletions += 1
        else:
            self.insertions += 1

    def to_dict(self, hyp_tokens: int = 0) -> dict:
        n = self.ref_tokens
        e = self.substitutions + self.deletions + self.insertions
        return {"rate": e / n if n else None, "substitutions": self.substitutions, "deletions": self.deletions,
                "insertions": self.insertions, "hits": self.hits, "ref_tokens": n, "hyp_tokens": hyp_tokens,
                "errors": e}


def score(ref: NlpRef, hyp_rows: list[NlpRow], top_confusions: int = 10, rules: Rules = Rules()) -> dict:
    """WER, entity WER per class and per speaker of one hypothesis, as plain data."""
    hyp = hyp_tokens(hyp_rows)
    slots = ref_slots(ref, hyp, rules)
    ali = align(slots, hyp)
    total = Counts()
    by_id: dict[str, Counts] = {}
    by_spk: dict[str, Counts] = {}
    conf: Counter = Counter()
    for op in ali.ops:
        total.add(op.kind)
        slot = slots[op.slot] if op.slot >= 0 else None
        if op.kind != "equal":
            conf[(op.kind, op.ref or "", op.hyp or "")] += 1
        if slot is None:
            continue
        row = ref.rows[slot.rows[0]]
        by_spk.setdefault(row.speaker or "unknown", Counts()).add(op.kind)
        if op.kind == "insert" and not op.inside:
            continue
        for tag in {t for r in slot.rows for t in ref.rows[r].wer_tags}:
            by_id.setdefault(tag, Counts()).add(op.kind)
    classes: dict[str, Counts] = {}
    for tag, c in by_id.items():
        cls = ref.entity_class.get(tag)
        if cls is None:
            continue
        agg = classes.setdefault(cls, Counts())
        for k in ("substitutions", "deletions", "insertions", "hits"):
            setattr(agg, k, getattr(agg, k) + getattr(c, k))
    return {
        "wer": total.to_dict(len(hyp)),
        "entities": {k: {**v.to_dict(), "entities": sum(1 for t in by_id if ref.entity_class.get(t) == k)}
                     for k, v in sorted(classes.items())},
        "per_speaker": {k: v.to_dict() for k, v in by_spk.items()},
        "confusions": [{"type": t, "ref": r, "hyp": h, "count": n}
                       for (t, r, h), n in sorted(conf.items(), key=lambda kv: (-kv[1], kv[0]))[:top_confusions]],
        "forms_chosen": _forms_summary(slots, ali),
        "fallback_gaps": ali.fallbacks,
    }


def _forms_summary(slots: list[Slot], ali: Alignment) -> dict:
    """How many normalisable spans were matched through a spoken candidate rather than as written."""
    spans = [k for k, s in enumerate(slots) if s.label]
    return {"normalisable_spans": len(spans),
            "read_as_candidate": sum(1 for k in spans if ali.forms[k] != len(slots[k].forms) - 1)}


def score_files(ref: str, hyps: dict, name: str | None = None, ref_norm: str | None = None,
                ref_tags: str | None = None, top_confusions: int = 10, rules: Rules = Rules()) -> dict:
    """Every hypothesis of one call against an `.nlp` reference (or any transcript, without
    normalisation candidates), in the report's plain-data shape."""
    from pathlib import Path

    p = Path(ref)
    if p.suffix.lower() == ".nlp":
        nref = read_nlp_ref(p, ref_norm, ref_tags)
    else:
        if ref_norm or ref_tags:
            raise InputError(f"{p}: --ref-norm/--ref-tags go with a Rev .nlp reference")
        nref = NlpRef(str(p), doc_rows(p))
    res: dict = {
        "call": name or p.stem,
        "scoring": MODE, "scoring_note": MODE_NOTE + ("" if not rules.hyphen_synonyms else "; hyphen synonyms on"),
        "reference": {"path": str(p), "format": "rev-nlp" if p.suffix.lower() == ".nlp" else "text",
                      "rows": len(nref.rows), "normalisation": nref.norm_path, "wer_tags": nref.tags_path,
                      "normalisable_spans": len({r.label for r in nref.rows if r.label}),
                      "entities": len({t for r in nref.rows for t in r.wer_tags if t in nref.entity_class}),
                      "speakers": sorted({r.speaker for r in nref.rows if r.speaker})},
        "sources": {},
    }
    for src, h in hyps.items():
        if not h:
            continue
        rows = doc_rows(h)
        res["sources"][src] = {"path": str(h), "format": "rev-nlp" if str(h).lower().endswith(".nlp") else "text",
                               **score(nref, rows, top_confusions, rules)}
    return res
