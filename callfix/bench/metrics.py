"""Error rates of one hypothesis against one reference. jiwer does the arithmetic, meeteval the
speaker-attributed cpWER, pyannote.metrics the DER."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import jiwer

from callfix.bench.normalize import chinese_chars, english_tokens, is_cjk, mixed_tokens, term_tokens
from callfix.io.references import Doc
from callfix.model import Turn


@dataclass
class Rate:
    """One error rate with its breakdown. rate is None when the reference has no tokens of its kind."""

    rate: float | None
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    ref_tokens: int
    hyp_tokens: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    def to_dict(self) -> dict:
        return {**asdict(self), "errors": self.errors}


def error_rate(ref: list[str], hyp: list[str]) -> tuple[Rate, jiwer.WordOutput | None]:
    """Token error rate of two token sequences (words, or characters for Chinese)."""
    if not ref:
        return Rate(None, 0, 0, len(hyp), 0, 0, len(hyp)), None
    out = jiwer.process_words(" ".join(ref), " ".join(hyp) if hyp else "")
    return Rate(out.wer, out.substitutions, out.deletions, out.insertions, out.hits, len(ref), len(hyp)), out


def english_stream(doc: Doc) -> list[str]:
    return [t for u in doc.utterances for t in english_tokens(_non_cjk(u.text))]


def chinese_stream(doc: Doc) -> list[str]:
    return [c for u in doc.utterances for c in chinese_chars(u.text)]


def _non_cjk(text: str) -> str:
    return "".join(" " if is_cjk(c) else c for c in text)


def mixed_stream(doc: Doc) -> tuple[list[str], list[str | None]]:
    toks: list[str] = []
    spk: list[str | None] = []
    for u in doc.utterances:
        t = mixed_tokens(u.text)
        toks += t
        spk += [u.speaker] * len(t)
    return toks, spk


def confusions(out: jiwer.WordOutput | None, top: int = 10) -> list[dict]:
    if out is None:
        return []
    subs, ins, dels = jiwer.collect_error_counts(out)
    rows = [("substitution", r, h, n) for (r, h), n in subs.items()]
    rows += [("deletion", r, "", n) for r, n in dels.items()]
    rows += [("insertion", "", h, n) for h, n in ins.items()]
    rows.sort(key=lambda r: (-r[3], r[0], r[1], r[2]))
    return [{"type": t, "ref": r, "hyp": h, "count": n} for t, r, h, n in rows[:top]]


# per_speaker tallies [S, D, I, hits, reference words].
_REF_COLUMN = {"substitute": 0, "delete": 1, "equal": 3}  # column per alignment chunk type


def per_speaker(out: jiwer.WordOutput | None, ref_speakers: list[str | None]) -> dict[str, Rate]:
    """Errors of a speaker-agnostic alignment attributed to the reference speaker of each token;
    an insertion goes to the speaker of the reference token before it (or after, at the start)."""
    if out is None or not ref_speakers:
        return {}
    acc: dict[str, list[int]] = {}  # speaker -> [S, D, I, H, N]

    def add(spk, k, n=1):
        a = acc.setdefault(spk or "unknown", [0, 0, 0, 0, 0])
        a[k] += n

    for ch in out.alignments[0]:
        for r in range(ch.ref_start_idx, ch.ref_end_idx):
            add(ref_speakers[r], 4)
        if ch.type in _REF_COLUMN:
            for r in range(ch.ref_start_idx, ch.ref_end_idx):
                add(ref_speakers[r], _REF_COLUMN[ch.type])
        elif ch.type == "insert":
            at = ch.ref_start_idx - 1 if ch.ref_start_idx > 0 else 0
            add(ref_speakers[min(at, len(ref_speakers) - 1)], 2, ch.hyp_end_idx - ch.hyp_start_idx)
    return {spk: Rate((s + d + i) / n if n else None, s, d, i, h, n, 0) for spk, (s, d, i, h, n) in acc.items()}


def cpwer(ref: Doc, hyp: Doc) -> dict | None:
    """Concatenated minimum-permutation WER (meeteval) on mixed tokens. None when either side has
    no speaker labels (there is no attribution to score)."""
    if not ref.has_speakers or not hyp.has_speakers:
        return None
    from meeteval.io import SegLST
    from meeteval.wer.api import cpwer as _cpwer

    def seglst(doc: Doc) -> SegLST:
        rows = []
        for k, u in enumerate(doc.utterances):
            start = u.start if u.start is not None else float(k)
            end = u.end if u.end is not None else start
            rows.append({"session_id": "call", "speaker": u.speaker or "unlabelled", "start_time": start,
                         "end_time": end, "words": " ".join(mixed_tokens(u.text))})
        return SegLST(rows)

    er = _cpwer(seglst(ref), seglst(hyp))["call"]
    return {"rate": er.error_rate, "errors": er.errors, "ref_tokens": er.length,
            "substitutions": er.substitutions, "deletions": er.deletions, "insertions": er.insertions,
            "missed_speakers": er.missed_speaker, "false_alarm_speakers": er.falarm_speaker,
            "assignment": [list(a) for a in er.assignment]}


def term_accuracy(ref: Doc, hyp: Doc, terms: list[str]) -> dict[str, dict]:
    """Every occurrence of a glossary term or name in the reference, and whether the hypothesis
    has it right at the aligned place (all its tokens matched exactly, spelling included)."""
    rtoks = [t for u in ref.utterances for t in term_tokens(u.text)]
    htoks = [t for u in hyp.utterances for t in term_tokens(u.text)]
    patterns = sorted({tuple(term_tokens(t)): t for t in terms if term_tokens(t)}.items(), key=lambda kv: -len(kv[0]))
    occ: list[tuple[str, int, int]] = []
    i = 0
    while i < len(rtoks):
        for pat, term in patterns:
            if tuple(rtoks[i:i + len(pat)]) == pat:
                occ.append((term, i, i + len(pat)))
                i += len(pat)
                break
        else:
            i += 1
    if not occ:
        return {}
    matched = [False] * len(rtoks)
    if htoks:
        out = jiwer.process_words(" ".join(rtoks), " ".join(htoks))
        for ch in out.alignments[0]:
            if ch.type == "equal":
                for r in range(ch.ref_start_idx, ch.ref_end_idx):
                    matched[r] = True
    res: dict[str, dict] = {}
    for term, a, b in occ:
        r = res.setdefault(term, {"occurrences": 0, "correct": 0})
        r["occurrences"] += 1
        r["correct"] += all(matched[a:b])
    return res


def der(ref_turns: list[Turn], hyp_turns: list[Turn], collars: list[float]) -> dict[str, dict]:
    """DER per collar. Collars are given NIST-style (seconds forgiven on each side of a reference
    boundary); pyannote.metrics takes the total width, hence 2 x collar."""
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    def ann(turns: list[Turn]) -> Annotation:
        a = Annotation(uri="call")
        for k, t in enumerate(turns):
            if t.end > t.start:
                a[Segment(t.start, t.end), k] = t.speaker
        return a

    r, h = ann(ref_turns), ann(hyp_turns)
    # scored region: from 0 to the end of the last turn of either side
    uem = Timeline([Segment(0.0, max(t.end for t in [*ref_turns, *hyp_turns]))])
    out: dict[str, dict] = {}
    for c in collars:
        m = DiarizationErrorRate(collar=2 * float(c), skip_overlap=False)
        d = m(r, h, uem=uem, detailed=True)
        total = d["total"] or 1.0
        out[f"{c:g}"] = {"der": d["diarization error rate"], "missed": d["missed detection"] / total,
                         "false_alarm": d["false alarm"] / total, "confusion": d["confusion"] / total,
                         "scored_seconds": d["total"]}
    return out

