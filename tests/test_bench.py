"""Benchmark: readers, metric plumbing (checked against jiwer / hand counts), reports, CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.bench import metrics
from callfix.bench.manifest import pooled, read_manifest
from callfix.bench.normalize import chinese_chars, english_tokens, mixed_tokens, term_tokens
from callfix.io.references import Doc, Utterance, read_doc
from callfix.io.rttm import rttm_turns
from callfix.bench.report import to_html, to_markdown, write_reports
from callfix.bench.score import score_call, score_files
from callfix.errors import InputError
from callfix.model import Paragraph, Segment, Speaker, Transcript, Turn

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "kingsoft-q4-demo"


def doc(*utts) -> Doc:
    return Doc("<test>", "test", [Utterance(*u) if isinstance(u, tuple) else Utterance(u) for u in utts])


# ---------- normalisation

def test_english_normalisation_is_whispers():
    assert english_tokens("Twenty-five percent, Mr. Zou!") == english_tokens("25% mister zou")
    assert english_tokens("uh the colour") == ["the", "color"]


def test_chinese_is_simplified_per_character_and_mixed_keeps_order():
    assert chinese_chars("甚至出現交易，") == list("甚至出现交易")
    assert mixed_tokens("AI推理 demand 增长") == ["ai", "推", "理", "demand", "增", "长"]


def test_term_tokens_keep_spelling():
    assert term_tokens("Kingsoft Cloud's non-GAAP D&A") == ["kingsoft", "cloud", "non", "gaap", "d&a"]


# ---------- metrics against jiwer and hand counts

def test_wer_matches_jiwer_on_a_tiny_case():
    ref = doc("The cat sat on the mat.")
    hyp = doc("Cat sit on the mat, today!")
    rate, _ = metrics.error_rate(metrics.english_stream(ref), metrics.english_stream(hyp))
    expected = jiwer.process_words("the cat sat on the mat", "cat sit on the mat today")
    assert rate.rate == pytest.approx(expected.wer) == pytest.approx(3 / 6)
    assert (rate.substitutions, rate.deletions, rate.insertions) == (
        expected.substitutions, expected.deletions, expected.insertions) == (1, 1, 1)


def test_cer_matches_jiwer_cer():
    ref, hyp = "甚至出现交易几乎停滞的情况", "甚至出現交易几乎停止的情况了"
    rate, _ = metrics.error_rate(chinese_chars(ref), chinese_chars(hyp))
    assert rate.rate == pytest.approx(jiwer.cer(ref, "甚至出现交易几乎停止的情况了"))
    assert (rate.substitutions, rate.insertions) == (1, 1)


def test_each_language_is_scored_on_its_own_part():
    ref = doc(("大家好 谢谢", "zou"), ("Hello everyone, thank you.", "interp"))
    mt = doc("Hello everyone thanks. Hello everyone, thank you.")  # vendor: English in place of Mandarin
    res = score_call(ref, {"vendor": mt})["sources"]["vendor"]
    assert res["cer_zh"]["rate"] == 1.0 and res["cer_zh"]["deletions"] == 5
    assert res["wer_en"]["insertions"] == 3 and res["wer_en"]["ref_tokens"] == 4
    assert res["mer"]["ref_tokens"] == 9


def test_empty_hypothesis_is_all_deletions_and_no_reference_part_is_none():
    rate, _ = metrics.error_rate(["a", "b"], [])
    assert (rate.rate, rate.deletions) == (1.0, 2)
    none, _ = metrics.error_rate([], ["x"])
    assert none.rate is None and none.insertions == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from("abcde"), min_size=1, max_size=30), st.lists(st.sampled_from("abcdef"), max_size=30))
def test_rate_is_errors_over_reference_length(ref, hyp):
    rate, out = metrics.error_rate(ref, hyp)
    assert rate.rate == pytest.approx(rate.errors / len(ref))
    assert rate.hits + rate.substitutions + rate.deletions == len(ref)
    assert rate.hits + rate.substitutions + rate.insertions == len(hyp)
    if ref == hyp:
        assert rate.rate == 0
    spk = ["x" if i % 2 else "y" for i in range(len(ref))]
    per = metrics.per_speaker(out, spk)
    assert sum(r.errors for r in per.values()) == rate.errors
    assert sum(r.ref_tokens for r in per.values()) == len(ref)


def test_confusions_are_counted():
    _, out = metrics.error_rate("non gaap growth margin non gaap".split(), "non gap growth margin non gap".split())
    top = metrics.confusions(out, 10)
    assert top[0] == {"type": "substitution", "ref": "gaap", "hyp": "gap", "count": 2}


def test_term_accuracy_checks_spelling_at_the_aligned_place():
    ref = doc("Kingsoft Cloud's non-GAAP gross margin rose, said Kingsoft Cloud.")
    hyp = doc("Google Cloud's non-gap gross margin rose, said Kingsoft Cloud.")
    acc = metrics.term_accuracy(ref, hyp, ["Kingsoft Cloud", "Kingsoft", "non-GAAP", "gross margin", "DeepSeek"])
    assert acc == {"Kingsoft Cloud": {"occurrences": 2, "correct": 1},
                   "non-GAAP": {"occurrences": 1, "correct": 0},
                   "gross margin": {"occurrences": 1, "correct": 1}}


def test_cpwer_ignores_label_names_and_charges_missing_speakers():
    ref = doc(("hello there", "a", 0.0, 1.0), ("good day", "b", 1.0, 2.0))
    swapped = doc(("hello there", "2", 0.0, 1.0), ("good day", "1", 1.0, 2.0))
    assert metrics.cpwer(ref, swapped)["rate"] == 0
    assert metrics.cpwer(ref, doc(("hello there good day", None, 0.0, 2.0))) is None  # nothing to attribute
    merged = metrics.cpwer(ref, doc(("hello there good day", "s1", 0.0, 2.0)))
    # b's words land on a's stream as insertions and b's own are deleted: 4 errors / 4 words
    assert merged["rate"] == 1.0 and merged["missed_speakers"] == 1
    assert (merged["insertions"], merged["deletions"]) == (2, 2)


def test_der_by_hand():
    ref = [Turn("A", 0, 10), Turn("B", 10, 20)]
    hyp = [Turn("x", 0, 12), Turn("y", 12, 20)]
    d = metrics.der(ref, hyp, [0.0, 0.25])
    assert d["0"]["der"] == pytest.approx(2 / 20)
    assert d["0"]["confusion"] == pytest.approx(0.1)
    # +-0.25 s around every reference boundary (0, 10, 20 s) is not scored: 19 s remain
    assert d["0.25"]["der"] == pytest.approx(1.75 / 19)


# ---------- readers

def test_stm_reader(tmp_path):
    p = tmp_path / "r.stm"
    p.write_text(";; comment\ncall 1 bob 2.0 3.0 <o,f0,male> second line\ncall 1 amy 0.5 1.5 first line\n"
                 "call 1 x 4 5 ignore_time_segment_in_scoring\n", encoding="utf-8")
    d = read_doc(p)
    assert [(u.speaker, u.text, u.start) for u in d.utterances] == [("amy", "first line", 0.5), ("bob", "second line", 2.0)]
    assert [t.speaker for t in d.speaker_turns()] == ["amy", "bob"]
    p.write_text("call 1 bob two 3.0 words\n")
    with pytest.raises(InputError, match=r"r.stm: line 1: start/end are not numbers"):
        read_doc(p)


def test_seglst_reader(tmp_path):
    p = tmp_path / "h.json"
    p.write_text(json.dumps([{"session_id": "c", "speaker": "s2", "start_time": 3, "end_time": 4, "words": "later"},
                             {"session_id": "c", "speaker": "s1", "start_time": 1, "end_time": 2, "words": "first"}]))
    d = read_doc(p)
    assert d.format == "seglst" and [u.text for u in d.utterances] == ["first", "later"]


def test_rev_nlp_reader(tmp_path):
    p = tmp_path / "e.nlp"
    p.write_text("token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n"
                 "Good|1||||UC|[]|[]\nmorning|1|||,|LC|[]|[]\neveryone|1|||.|LC|[]|[]\n"
                 "Thanks|2|||.|UC|[]|[]\n", encoding="utf-8")
    d = read_doc(p)
    assert [(u.speaker, u.text) for u in d.utterances] == [("1", "Good morning, everyone."), ("2", "Thanks.")]


def test_plain_text_drops_vendor_header():
    d = read_doc(DEMO / "vendor.txt")
    assert d.format == "text"
    assert not any("computer generated" in u.text for u in d.utterances)
    assert d.utterances[0].text.startswith("Good day")


def test_transcript_json_prefers_corrected_paragraphs_and_mandarin_source(tmp_path):
    t = Transcript(segments=[Segment("asr words", 0, 1)], paragraphs=[
        Paragraph(0, "non-gap margin", corrected="non-GAAP margin", speakers=["S1"], start=0, end=1),
        Paragraph(1, "profits are twisted", corrected="profits are twisted", flags=["machine_translation"],
                  source_text="扭亏为盈", speakers=["S2"]),
    ], speakers=[Speaker("S1", name="Henry He")])
    d = read_doc(t.save(tmp_path / "t.json"))
    assert [u.text for u in d.utterances] == ["non-GAAP margin", "扭亏为盈"]
    assert d.speaker_names == {"S1": "Henry He"}
    t.paragraphs = []
    assert [u.text for u in read_doc(t.save(tmp_path / "t.json")).utterances] == ["asr words"]


def test_rttm_reader_and_bad_inputs(tmp_path):
    turns = rttm_turns(DEMO / "reference.rttm")
    assert turns[0].speaker == "operator" and turns[0].start == pytest.approx(0.8)
    with pytest.raises(InputError, match="file not found"):
        read_doc(tmp_path / "nope.txt")
    (tmp_path / "e.txt").write_text("  \n")
    with pytest.raises(InputError, match="e.txt: empty file"):
        read_doc(tmp_path / "e.txt")
    (tmp_path / "b.bin").write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(InputError, match="b.bin"):
        read_doc(tmp_path / "b.bin")
    with pytest.raises(InputError, match="holds speaker turns"):
        read_doc(DEMO / "reference.rttm")


# ---------- whole call, reports, CLI

def test_demo_vendor_scores_and_reports(tmp_path):
    from callfix.align.glossary import load_glossaries

    g = load_glossaries(["earnings", "kingsoft-cloud"])
    res = score_files(DEMO / "reference.json", {"vendor": DEMO / "vendor.txt", "asr": DEMO / "reference.stm"},
                      [*g.terms, *g.names], ref_rttm=DEMO / "reference.rttm")
    v, exact = res["sources"]["vendor"], res["sources"]["asr"]
    assert exact["mer"]["rate"] == 0 and exact["terms"]["accuracy"] == 1.0
    assert exact["der"]["0"]["der"] == pytest.approx(0.0)
    assert v["cer_zh"]["rate"] == 1.0  # the vendor printed English MT over the Mandarin
    assert 0.1 < v["wer_en"]["rate"] < 0.6 and v["terms"]["accuracy"] < 0.9
    pairs = {(c["ref"], c["hyp"]) for c in v["confusions"]}
    assert ("gaap", "gap") in pairs
    paths = write_reports(res, tmp_path)
    assert [p.name for p in paths] == ["bench.json", "bench.md", "bench.html"]
    assert json.loads(paths[0].read_text(encoding="utf-8"))["sources"]["vendor"]["mer"]["rate"] == v["mer"]["rate"]
    md = to_markdown(res)
    assert "| metric | vendor | ASR only |" in md and "Nicole Shan" in md
    assert to_html(res).count("data:image/png;base64,") == 3


def test_cli_single_and_manifest(tmp_path):
    m = tmp_path / "calls.csv"
    m.write_text(f"id,ref,vendor,asr\ndemo,{DEMO / 'reference.json'},{DEMO / 'vendor.txt'},{DEMO / 'reference.stm'}\n"
                 f"jfk,{ROOT / 'tests/data/jfk/reference.txt'},{ROOT / 'tests/data/jfk/reference.txt'},\n")
    calls = read_manifest(m)
    assert [c["id"] for c in calls] == ["demo", "jfk"] and "asr" not in calls[1]
    r = subprocess.run([sys.executable, "-m", "callfix.cli", "bench", "--manifest", str(m), "-o", str(tmp_path / "out"),
                        "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    demo = json.loads((tmp_path / "out" / "demo" / "bench.json").read_text(encoding="utf-8"))
    vend = summary["sources"]["vendor"]["wer_en"]
    assert vend["ref_tokens"] == demo["reference"]["english_words"] + 22
    assert vend["errors"] == demo["sources"]["vendor"]["wer_en"]["errors"]  # jfk vs itself adds none
    assert (tmp_path / "out" / "jfk" / "bench.html").is_file()

    r = subprocess.run([sys.executable, "-m", "callfix.cli", "bench", "--ref", str(tmp_path / "missing.json"),
                        "--vendor", str(DEMO / "vendor.txt")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().endswith("missing.json: file not found")
    assert "Traceback" not in r.stderr


def test_pooled_rates_sum_errors():
    a = {"call": "a", "reference": {"english_words": 10}, "sources": {"vendor": {"wer_en": {
        "substitutions": 1, "deletions": 1, "insertions": 0, "hits": 8, "ref_tokens": 10, "hyp_tokens": 9}}}}
    b = {"call": "b", "reference": {"english_words": 30}, "sources": {"vendor": {"wer_en": {
        "substitutions": 0, "deletions": 0, "insertions": 2, "hits": 30, "ref_tokens": 30, "hyp_tokens": 32}}}}
    p = pooled([a, b])
    assert p["sources"]["vendor"]["wer_en"]["rate"] == pytest.approx(4 / 40)


def test_injected_defects_fixed_and_suggested(tmp_path):
    from callfix.io.vendor import read_vendor
    from callfix.bench.defects import defect_recall, paragraphs_of, read_defects
    from callfix.model import Edit

    defects = read_defects(DEMO / "defects.json")
    t = read_vendor(DEMO / "vendor.txt")
    for p in t.paragraphs:  # a correction that fixes every non-GAAP term and drops the stray line
        p.corrected = p.text.replace("non-gap", "non-GAAP")
        if p.text.startswith("Please standby"):
            p.corrected = ""
    clsa = next(d for d in defects if d["wrong"] == "CLFA")
    t.edits.append(Edit("e1", clsa["paragraph"], "replace", "CLFA", "CLSA", "suggested",
                        char_start=clsa["char_start"], char_end=clsa["char_end"]))
    res = defect_recall(defects, paragraphs_of(DEMO / "vendor.txt"), paragraphs_of(t.save(tmp_path / "c.json")))
    nongap = [d for d in defects if d["wrong"] == "non-gap"]
    assert res["fixed"] == len(nongap) + 1 and res["suggested"] == 1
    assert res["by_type"]["not_in_audio"] == {"injected": 1, "fixed": 1, "suggested": 0}
    assert set(res["suggested_ids"]) == {clsa["id"]}
    assert defect_recall(defects, paragraphs_of(DEMO / "vendor.txt"), paragraphs_of(DEMO / "vendor.txt"))["fixed"] == 0


def test_diarization_only_bench(tmp_path):
    from callfix.bench.score import score_diarization

    ref = ROOT / "tests/data/pyannote-sample/sample.rttm"
    if not ref.is_file():
        pytest.skip("pyannote sample not present")
    shifted = tmp_path / "h.rttm"
    shifted.write_text("".join(f"SPEAKER sample 1 {t.start + 0.1:.3f} {t.end - t.start:.3f} <NA> <NA> x{t.speaker} <NA> <NA>\n"
                               for t in rttm_turns(ref)))
    same = score_diarization(ref, ref)["sources"]["diarization"]["der"]
    assert same["0"]["der"] == 0 and same["0.25"]["der"] == 0
    moved = score_diarization(ref, shifted)["sources"]["diarization"]["der"]
    assert moved["0.25"]["der"] == pytest.approx(0.0, abs=1e-9)  # a 0.1 s shift hides inside the collar
    assert moved["0"]["der"] > 0
