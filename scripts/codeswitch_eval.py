"""Score ASR outputs of the code-switched test calls: every turn present, speech coverage, CER and WER.

    python scripts/codeswitch_eval.py --sentences RUN...   # any call: RUN/reference.json + RUN/run/asr.json
    python scripts/codeswitch_eval.py OUT        # OUT/<call>/<version>/asr.json, e.g. from
    for c in tests/calls/cs-*; do for v in call call-phone; do
        callfix transcribe $c/$v.flac -o OUT/$(basename $c)/$v -q; done; done

A turn is present when believable ASR words of the turn's language cover at least half of its time
and match at least a quarter of its reference tokens (characters for Mandarin, normalised words for
English); how well they match is what the CER and WER columns say. Coverage is computed the
same way for any asr.json (also one written before coverage was recorded): VAD speech pieces of the
call's audio against the believable ASR words.

``--sentences`` asks the same of every sentence of every turn (e.g. of the held-out calls' runs,
`scripts/heldout.py -o OUT` → OUT/<call>/<channel>): a reference turn is timed as a whole, so each
sentence is given the share of the turn's time its characters have, with a second's slack either
side. A sentence lost at a decoder unit's end shows here when its turn as a whole still passes.
"""
from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import jiwer
from whisper.normalizers import EnglishTextNormalizer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callfix.asr.vad import speech_chunks  # noqa: E402
from callfix.asr.verify import is_cjk, speech_coverage  # noqa: E402
from callfix.audio import decode  # noqa: E402
from callfix.bench.score import score_files  # noqa: E402
from callfix.config import load_config  # noqa: E402
from callfix.model import Segment, Transcript  # noqa: E402

CALLS = ROOT / "tests" / "calls"
norm = EnglishTextNormalizer()


def turn_present(ref_seg, hyp: Transcript) -> bool:
    """Words of the turn's language over at least half its time, matching a quarter of its tokens."""
    words = [w for s in hyp.segments if not s.suspect for w in s.words if w.language == ref_seg.language]
    cover = speech_coverage([(ref_seg.start, ref_seg.end)],
                            [Segment("", 0, 0, words=words)] if words else []).share
    return cover >= 0.5 and turn_hits(ref_seg, hyp) >= 0.25


def turn_hits(ref_seg, hyp: Transcript, slack: float = 0.3) -> float:
    words = [w for s in hyp.segments if not s.suspect for w in s.words
             if w.language == ref_seg.language and ref_seg.start - slack <= (w.start + w.end) / 2 <= ref_seg.end + slack]
    if ref_seg.language == "zh":
        ref = [c for c in ref_seg.text if is_cjk(c)]
        got = [c for w in words for c in w.text if is_cjk(c)]
    else:
        ref = norm(ref_seg.text).split()
        got = norm(" ".join(w.text for w in words)).split()
    if not got:
        return 0.0
    out = jiwer.process_words(" ".join(ref), " ".join(got))
    return out.hits / len(ref)


# a sentence ends at . ! ? before a capital or the end (not "2.4%", not "Mr. Lin"), or at Chinese end marks
SENTENCE_END = re.compile(r"(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<=[.!?])\s+(?=[A-Z\u4e00-\u9fff])|(?<=[。！？])")


def sentences(turn) -> list[Segment]:
    """The turn's sentences, each timed by its share of the turn's characters."""
    parts = [p.strip() for p in SENTENCE_END.split(turn.text) if p.strip()]
    total, at, out = sum(len(p) for p in parts), turn.start, []
    for p in parts:
        end = at + (turn.end - turn.start) * len(p) / total
        out.append(Segment(p, at, end, language=turn.language))
        at = end
    return out


def sentence_present(sent, hyp: Transcript) -> bool:
    """A quarter of the sentence's tokens among believable words within a second of its estimated time."""
    return turn_hits(sent, hyp, slack=1.0) >= 0.25


def sentences_report(runs: list[Path]) -> int:
    print("| call | channel | sentences present | lost (time: start of sentence) |")
    print("|---|---|---|---|")
    for run in runs:
        ref, hyp = Transcript.load(run / "reference.json"), Transcript.load(run / "run" / "asr.json")
        sents = [x for t in ref.segments for x in sentences(t)]
        lost = [x for x in sents if not sentence_present(x, hyp)]
        print(f"| {run.parent.name} | {run.name} | {len(sents) - len(lost)}/{len(sents)} | "
              + (" ".join(f"{x.start:.0f}s \"{x.text[:40]}\"" for x in lost) or "-") + " |")
    return 0


def evaluate(call: str, version: str, asr_json: Path, vad: dict) -> dict:
    ref = Transcript.load(CALLS / call / "reference.json")
    hyp = Transcript.load(asr_json)
    present = [turn_present(s, hyp) for s in ref.segments]
    with tempfile.TemporaryDirectory() as tmp:
        pieces = speech_chunks(decode(CALLS / call / f"{version}.flac", Path(tmp)), vad, fine=True)
    cov = speech_coverage(pieces, hyp.segments)
    res = score_files(CALLS / call / "reference.json", {"asr": asr_json})["sources"]["asr"]
    return {"call": call, "version": version, "turns": len(present), "present": sum(present),
            "missing": [f"{s.language}@{s.start:.0f}s" for s, ok in zip(ref.segments, present) if not ok],
            "coverage": cov.share, "cer_zh": res["cer_zh"]["rate"], "wer_en": res["wer_en"]["rate"],
            "suspect": sum(s.suspect for s in hyp.segments)}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "--sentences":
        return sentences_report([Path(a) for a in argv[1:]])
    root = Path(argv[0])
    vad = load_config()["asr"]["vad"]
    rows = []
    for call_dir in sorted(CALLS.glob("cs-*")):
        for version in ("call", "call-phone"):
            j = root / call_dir.name / version / "asr.json"
            if j.is_file():
                rows.append(evaluate(call_dir.name, version, j, vad))
    print("| call | audio | turns present | missing | speech coverage | CER zh | WER en | suspect segs |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['call']} | {r['version']} | {r['present']}/{r['turns']} | {' '.join(r['missing']) or '-'} | "
              f"{r['coverage']:.1%} | {r['cer_zh']:.1%} | {r['wer_en']:.1%} | {r['suspect']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
