"""Calibrate acoustic verification: every verified edit of corrected calls, labelled against the reference.

  python scripts/verify_calibrate.py out/heldout [more run roots ...] [--csv out/calibration.csv]
  python scripts/verify_calibrate.py out/heldout --reverify   # align and verify run/asr.json again with this code

A call folder holds reference.txt and defects.json (as `callfix corpus synth` writes them) and a
run/ folder with `callfix run`'s transcript.json. An edit is *right* when applying it alone to its
vendor paragraph lowers that paragraph's WER against the reference line (in a stray paragraph,
only a deletion is right). For each edit the table gives its acoustic margin, the ASR's word
probability, how alike the wordings sound, the guard that held it back, its decision, and the
label, so that thresholds are chosen on many calls and their cost in precision is visible.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path

import jiwer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callfix.align import align_call  # noqa: E402
from callfix.align.callglossary import glossary_for  # noqa: E402
from callfix.align.evidence import metaphone_similarity  # noqa: E402
from callfix.audio import decode  # noqa: E402
from callfix.config import load_config  # noqa: E402
from callfix.io.vendor import read_vendor  # noqa: E402
from callfix.model import Transcript  # noqa: E402
from callfix.options import Options  # noqa: E402
from callfix.pipeline import _verifier  # noqa: E402
from callfix.text import apply_edits, english_normalizer  # noqa: E402


def reverified(call: Path) -> Transcript:
    """The call's edits made again from its run's ASR evidence, verified against its audio."""
    cfg = load_config()
    vendor = read_vendor(call / "vendor.txt")
    gl = glossary_for(vendor, Options.of(cfg).align)
    audio = decode(call / "call.flac", Path(tempfile.mkdtemp()), cfg["audio"]["max_duration_hours"])
    return align_call(Transcript.load(call / "run" / "asr.json"), vendor, cfg, glossary=gl,
                      verifier=_verifier(audio, cfg, gl))


def label_edits(call: Path, reverify: bool = False) -> list[dict]:
    t = reverified(call) if reverify else Transcript.load(call / "run" / "transcript.json")
    ref_lines = (call / "reference.txt").read_text(encoding="utf-8").splitlines()
    defects = json.loads((call / "defects.json").read_text(encoding="utf-8"))["defects"]
    stray = {d["paragraph"] for d in defects if d["type"] == "not_in_audio"}
    norm = english_normalizer()
    line_of, n = {}, 0
    for p in t.paragraphs:
        if p.index not in stray:
            line_of[p.index], n = n, n + 1
    rows = []
    for e in t.edits:
        ac = e.evidence.get("acoustic")
        if not ac:
            continue
        p = t.paragraphs[e.paragraph]
        if p.index in stray:
            right = e.kind == "delete"
        elif line_of.get(p.index, len(ref_lines)) >= len(ref_lines):
            continue
        else:
            ref = norm(ref_lines[line_of[p.index]])
            alone, _ = apply_edits(p, [replace_decision(e)])
            right = jiwer.wer(ref, norm(alone) or "-") < jiwer.wer(ref, norm(p.text) or "-")
        rows.append({
            "call": f"{call.parent.name}/{call.name}", "id": e.id, "kind": e.kind, "decision": e.decision,
            "right": right, "margin": ac["margin"], "best": ac["best"],
            "p_min": e.evidence.get("asr_probability_min"), "p_mean": e.evidence.get("asr_probability"),
            "sound": round(metaphone_similarity(e.vendor, e.replacement), 2),
            "vendor": e.vendor, "replacement": e.replacement, "reason": e.reason,
        })
    return rows


def replace_decision(e):
    from dataclasses import replace

    return replace(e, decision="applied")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("roots", nargs="+", type=Path)
    ap.add_argument("--csv", type=Path)
    ap.add_argument("--reverify", action="store_true", help="make and verify the edits again from run/asr.json")
    a = ap.parse_args()
    calls = sorted({p.parent.parent for r in a.roots for p in r.glob("**/run/transcript.json")
                    if (p.parent.parent / "reference.txt").is_file()})
    rows = [r for c in calls for r in label_edits(c, a.reverify)]
    rows.sort(key=lambda r: -r["margin"])
    for r in rows:
        print(f"{'RIGHT' if r['right'] else 'wrong'} {r['decision']:9s} m={r['margin']:6.1f} p={r['p_min'] or 0:.2f} "
              f"snd={r['sound']:.2f} {r['call']:28s} {r['vendor'][:28]!r:30s} -> {r['replacement'][:28]!r:30s} "
              f"| {r['reason'][-60:]}")
    applied = [r for r in rows if r["decision"] == "applied"]
    print(f"\n{len(calls)} calls, {len(rows)} verified edits: {sum(r['right'] for r in rows)} right; applied "
          f"{len(applied)} ({sum(r['right'] for r in applied)} right)")
    if a.csv:
        with open(a.csv, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["call"])
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
