"""Score one call: every hypothesis source (vendor, ASR-only, corrected) against one reference."""
from __future__ import annotations

from pathlib import Path

from callfix.bench import metrics
from callfix.bench.defects import defect_recall, paragraphs_of, read_defects
from callfix.errors import InputError
from callfix.io.references import Doc, read_doc
from callfix.io.rttm import rttm_turns
from callfix.model import Turn

SOURCES = ("vendor", "asr", "corrected")  # the order of the columns in every table
MODE = "whisper"
MODE_NOTE = "whisper: Whisper's EnglishTextNormalizer as the Open ASR Leaderboard uses it, jiwer alignment"


def score_call(ref: Doc, hyps: dict[str, Doc], terms: list[str] | None = None, *,
               ref_turns: list[Turn] | None = None, hyp_turns: dict[str, list[Turn]] | None = None,
               collars: list[float] = (0.25, 0.0), top_confusions: int = 10, name: str = "call") -> dict:
    """Results as plain data (the JSON report): per source WER (English), CER (Mandarin), MER (all),
    S/D/I, top confusions, per-speaker WER, cpWER, term accuracy and DER."""
    en_ref = metrics.english_stream(ref)
    zh_ref = metrics.chinese_stream(ref)
    mx_ref, mx_spk = metrics.mixed_stream(ref)
    ref_turns = ref_turns if ref_turns is not None else ref.speaker_turns()
    result: dict = {
        "call": name,
        "scoring": MODE, "scoring_note": MODE_NOTE,
        "reference": {"path": ref.path, "format": ref.format, "english_words": len(en_ref),
                      "chinese_chars": len(zh_ref), "mixed_tokens": len(mx_ref),
                      "speakers": sorted({u.speaker for u in ref.utterances if u.speaker}),
                      "speaker_names": ref.speaker_names},
        "sources": {},
    }
    for src in [s for s in SOURCES if s in hyps] + [s for s in hyps if s not in SOURCES]:
        hyp = hyps[src]
        wer, _ = metrics.error_rate(en_ref, metrics.english_stream(hyp))
        cer, _ = metrics.error_rate(zh_ref, metrics.chinese_stream(hyp))
        mx_hyp, _ = metrics.mixed_stream(hyp)
        mer, mx_out = metrics.error_rate(mx_ref, mx_hyp)
        r: dict = {
            "path": hyp.path, "format": hyp.format, "has_speakers": hyp.has_speakers,
            "wer_en": wer.to_dict(), "cer_zh": cer.to_dict(), "mer": mer.to_dict(),
            "confusions": metrics.confusions(mx_out, top_confusions),
            "per_speaker": {k: v.to_dict() for k, v in metrics.per_speaker(mx_out, mx_spk).items()},
            "cpwer": metrics.cpwer(ref, hyp),
        }
        if terms:
            acc = metrics.term_accuracy(ref, hyp, terms)
            n = sum(a["occurrences"] for a in acc.values())
            r["terms"] = {"occurrences": n, "correct": sum(a["correct"] for a in acc.values()),
                          "accuracy": (sum(a["correct"] for a in acc.values()) / n) if n else None,
                          "by_term": acc}
        ht = (hyp_turns or {}).get(src) or hyp.speaker_turns()
        if ref_turns and ht:
            r["der"] = metrics.der(ref_turns, ht, list(collars))
        result["sources"][src] = r
    return result


def score_files(ref: str | Path, hyps: dict[str, str | Path | None], terms: list[str] | None = None,
                ref_rttm: str | Path | None = None, hyp_rttm: str | Path | None = None,
                collars=(0.25, 0.0), top_confusions: int = 10, name: str | None = None,
                defects: str | Path | None = None) -> dict:
    """score_call on files. hyp_rttm scores the corrected transcript's speakers, or stands as its own
    "diarization" column when no corrected transcript is given."""
    ref_doc = read_doc(ref)
    docs = {k: read_doc(v) for k, v in hyps.items() if v}
    ref_turns = rttm_turns(ref_rttm) if ref_rttm else None
    hyp_turns = {}
    if hyp_rttm:
        hyp_turns["corrected" if "corrected" in docs else "diarization"] = rttm_turns(hyp_rttm)
    res = score_call(ref_doc, docs, terms, ref_turns=ref_turns, hyp_turns=hyp_turns, collars=collars,
                     top_confusions=top_confusions, name=name or Path(ref).parent.name or Path(ref).stem)
    for src, path in hyps.items():
        cov = speech_coverage_of(path) if src == "asr" and src in res["sources"] else None
        if cov is not None:
            res["sources"][src]["speech_coverage"] = cov
    if defects:
        if not hyps.get("vendor"):
            raise InputError(f"{defects}: scoring injected defects needs --vendor (the flawed text they were put in)")
        items = read_defects(defects)
        vendor_paras = paragraphs_of(hyps["vendor"])
        for src in ("vendor", "corrected"):
            if hyps.get(src):
                res["sources"][src]["defects"] = defect_recall(items, vendor_paras, paragraphs_of(hyps[src]))
    if "diarization" in hyp_turns:
        rt = ref_turns if ref_turns is not None else ref_doc.speaker_turns()
        if not rt:
            raise InputError(f"{ref}: reference has no timed speaker turns for DER (give --ref-rttm)")
        res["sources"]["diarization"] = {"path": str(hyp_rttm),
                                         "der": metrics.der(rt, hyp_turns["diarization"], list(collars))}
    return res


def speech_coverage_of(path: str | Path | None) -> float | None:
    """The share of speech the ASR words cover, as `callfix transcribe` recorded it in its JSON."""
    import json

    if not path or Path(path).suffix.lower() != ".json":
        return None
    try:
        cov = json.loads(Path(path).read_text(encoding="utf-8")).get("meta", {}).get("asr", {}).get("coverage")
    except (OSError, ValueError, AttributeError):
        return None
    return float(cov) if isinstance(cov, (int, float)) else None


def score_diarization(ref_rttm: str | Path, hyp_rttm: str | Path, collars=(0.25, 0.0), name: str | None = None) -> dict:
    """DER only, when there are speaker turns but no words to score."""
    ref_turns, hyp_turns = rttm_turns(ref_rttm), rttm_turns(hyp_rttm)
    return {"call": name or Path(ref_rttm).parent.name or Path(ref_rttm).stem,
            "reference": {"path": str(ref_rttm), "format": "rttm",
                          "speakers": sorted({t.speaker for t in ref_turns})},
            "sources": {"diarization": {"path": str(hyp_rttm), "der": metrics.der(ref_turns, hyp_turns, list(collars))}}}
