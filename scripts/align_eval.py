"""Score alignment and correction on a synthetic call with known injected defects.

  python scripts/align_eval.py examples/kingsoft-q4-demo ASR.json [-v] [--audio CALL.flac]

ASR.json is a Transcript JSON (``callfix transcribe`` output, or any evidence with words).
Prints English WER of the vendor text, of the ASR alone and of the corrected text against the
exact reference; how many injected defects (defects.json) were fixed or flagged; and the
precision of applied edits (an applied edit is right when taking it back makes its paragraph's
WER worse). With --audio the edits are verified against the audio as `callfix run` does.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import jiwer

from callfix.align import align_call
from callfix.align.callglossary import glossary_for
from callfix.audio import decode
from callfix.config import load_config
from callfix.io.vendor import read_vendor
from callfix.model import Transcript
from callfix.options import Options
from callfix.pipeline import _verifier
from callfix.text import apply_edits, english_normalizer, has_cjk


def evaluate(demo: Path, asr_json: Path, verbose: bool = False, audio: Path | None = None, cfg: dict | None = None) -> dict:
    asr = Transcript.load(asr_json)
    vendor = read_vendor(demo / "vendor.txt")
    cfg = cfg or load_config()
    verifier = None
    glossary = glossary_for(vendor, Options.of(cfg).align)
    if audio is not None:
        verifier = _verifier(decode(audio, Path(tempfile.mkdtemp()), cfg["audio"]["max_duration_hours"]), cfg, glossary)
    out = align_call(asr, vendor, cfg, glossary=glossary, verifier=verifier)
    defects = json.loads((demo / "defects.json").read_text(encoding="utf-8"))["defects"]
    ref_lines = (demo / "reference.txt").read_text(encoding="utf-8").splitlines()
    norm = english_normalizer()
    mt = {d["paragraph"] for d in defects if d["type"] == "machine_translation"}
    stray = {d["paragraph"] for d in defects if d["type"] == "not_in_audio"}

    def wer(hyp: str) -> float:
        return jiwer.wer(norm(" ".join(ln for ln in ref_lines if not has_cjk(ln))), norm(hyp))

    result = {
        "wer_vendor": wer(" ".join(p.text for p in vendor.paragraphs if p.index not in mt)),
        "wer_asr": wer(" ".join(w.text for w in asr.words if w.language == "en" and not has_cjk(w.text))),
        "wer_corrected": wer(" ".join(p.corrected for p in out.paragraphs if p.index not in mt)),
    }

    def fixed(d: dict) -> bool:
        p = out.paragraphs[d["paragraph"]]
        if d["type"] == "machine_translation":
            return "machine_translation" in p.flags and bool(p.source_text)
        if d["type"] == "not_in_audio":
            return not p.corrected.strip()
        return any(e.paragraph == d["paragraph"] and e.decision == "applied"
                   and e.char_start < d["char_end"] and e.char_end > d["char_start"] for e in out.edits)

    status = {d["id"]: fixed(d) for d in defects}
    result["defects"] = len(defects)
    result["defects_fixed"] = sum(status.values())
    prec = applied_precision(out, ref_lines, stray, verbose)
    result.update(applied=prec["applied"], applied_right=prec["applied_right"], precision=prec["precision"],
                  suggested=sum(e.decision == "suggested" for e in out.edits),
                  kept=sum(e.decision == "kept" for e in out.edits), coverage=out.meta["align"]["coverage"])
    if verbose:
        for d in defects:
            print(f"  {d['id']} {d['type']:19s} {'fixed' if status[d['id']] else '-----'} {d['wrong'][:40]!r}")
    return result


def applied_precision(out: Transcript, ref_lines: list[str], stray: set[int], verbose: bool = False) -> dict:
    """How many applied edits are right: taking one back makes its paragraph's WER against the
    reference line worse (in a stray paragraph, only a deletion is right). `out` is a corrected
    Transcript (align_call's result or a `callfix run` transcript.json); vendor paragraphs map to
    reference lines in order, skipping the stray ones."""
    norm = english_normalizer()
    line_of, n = {}, 0
    for p in out.paragraphs:
        if p.index not in stray:
            line_of[p.index], n = n, n + 1
    right, wrong_ids = 0, []
    for e in (e for e in out.edits if e.decision == "applied"):
        p = out.paragraphs[e.paragraph]
        if p.index in stray:
            ok = e.kind == "delete"
        else:
            ref = norm(ref_lines[line_of[p.index]])
            without, _ = apply_edits(p, [x for x in out.edits if x is not e])
            ok = jiwer.wer(ref, norm(p.corrected) or "-") < jiwer.wer(ref, norm(without) or "-")
        right += ok
        if not ok:
            wrong_ids.append(e.id)
            if verbose:
                print(f"  wrong: {e.id} {e.vendor!r} -> {e.replacement!r} ({e.reason})")
    applied = right + len(wrong_ids)
    return {"applied": applied, "applied_right": right, "precision": right / applied if applied else 1.0,
            "wrong": wrong_ids}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("demo", type=Path)
    ap.add_argument("asr", type=Path)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--audio", type=Path, help="verify the edits against this audio")
    a = ap.parse_args()
    r = evaluate(a.demo, a.asr, a.verbose, a.audio)
    print(f"English WER: vendor {r['wer_vendor']:.2%}  ASR {r['wer_asr']:.2%}  corrected {r['wer_corrected']:.2%}")
    print(f"defects fixed or flagged: {r['defects_fixed']}/{r['defects']}")
    print(f"applied edits: {r['applied']} (right {r['applied_right']}, precision {r['precision']:.1%}); "
          f"suggested {r['suggested']}, kept {r['kept']}; coverage {r['coverage']:.1%}")


if __name__ == "__main__":
    main()
