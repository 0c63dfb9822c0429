"""Synthetic call builder: a tiny script end to end, and the error model's guarantees."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from callfix.corpus import build_call, load_script
from callfix.corpus.errormodel import corrupt, wrong_number
from callfix.corpus.tts import to_pinyin
from callfix.errors import InputError
from callfix.model import Transcript

DEMO = Path(__file__).resolve().parent.parent / "examples" / "kingsoft-q4-demo"

TINY = """
title: tiny
seed: 7
pause: [0.5, 0.5]
channel: {band: [300, 3400], noise_db: -45}
header: [Disclaimer line., 1/2/2025]
speakers:
  op: {name: Operator, voice: en-us, speed: 170}
  ceo: {name: Zou Tao, voice: cmn-latn-pinyin, language: zh}
lines:
  - speaker: op
    text: Welcome to Kingsoft Cloud. Our non-GAAP gross margin was 19.2% in 2025. Please go ahead with the next part.
  - speaker: ceo
    text: 大家好，谢谢。
    mt: Hello everyone, thanks.
"""

needs_tts = pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("sox")), reason="espeak-ng/sox missing")


@needs_tts
def test_tiny_script_end_to_end(tmp_path):
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY, encoding="utf-8")
    out = tmp_path / "call"
    r = subprocess.run([sys.executable, "-m", "callfix.cli", "corpus", "synth", str(script), "-o", str(out), "-q"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("call.flac", "reference.json", "reference.stm", "reference.rttm", "reference.txt",
                 "vendor.txt", "defects.json"):
        assert (out / name).stat().st_size > 0, name

    from callfix.audio import probe
    info = probe(out / "call.flac")
    ref = Transcript.load(out / "reference.json")
    assert [s.speaker for s in ref.segments] == ["op", "ceo"]
    assert [s.language for s in ref.segments] == ["en", "zh"]
    assert ref.languages == ["en", "zh"]
    first, second = ref.segments
    assert 0.5 < first.start < 1.0 and first.end < second.start
    assert second.start - first.end == pytest.approx(0.5, abs=0.002)
    assert ref.duration == pytest.approx(second.end + 1.0, abs=0.01)
    assert abs(info.duration - ref.duration) < 0.05

    rttm = (out / "reference.rttm").read_text().splitlines()
    assert len(rttm) == 2 and rttm[0].split()[7] == "op"
    assert float(rttm[0].split()[3]) == pytest.approx(first.start)
    stm = (out / "reference.stm").read_text(encoding="utf-8").splitlines()
    assert stm[1].split(" ", 5)[5] == "大家好，谢谢。"

    vendor = (out / "vendor.txt").read_text(encoding="utf-8").splitlines()
    assert vendor[:2] == ["Disclaimer line.", "1/2/2025"]
    body = vendor[2:]
    defects = json.loads((out / "defects.json").read_text(encoding="utf-8"))["defects"]
    assert "Hello everyone, thanks." in body
    kinds = {d["type"] for d in defects}
    assert {"term", "entity", "machine_translation", "not_in_audio", "number"} <= kinds
    for d in defects:  # each defect's offsets point at its wrong text in the vendor paragraph
        assert body[d["paragraph"]][d["char_start"]:d["char_end"]] == d["wrong"]

    # deterministic: a rebuild gives identical bytes
    out2 = tmp_path / "again"
    build_call(script, out2)
    for name in ("call.flac", "vendor.txt", "defects.json", "reference.json"):
        assert (out / name).read_bytes() == (out2 / name).read_bytes(), name


def test_error_model_is_seeded_and_marks_every_defect():
    lines = [("Kingsoft Cloud grew its gross margin and non-GAAP profit. DeepSeek demand rose in 2025. "
              "The CDN and IaaS lines fell, and D&A policy stayed at four years. Thank you, everyone.", "en", None),
             ("我们扭亏为盈。", "zh", "Business profits are twisted."),
             ("Our next question comes from the line of Wenting Yu from CLSA.", "en", None)]
    p1, d1 = corrupt(lines, seed=3)
    p2, d2 = corrupt(lines, seed=3)
    assert p1 == p2 and d1 == d2
    assert any(p == "Please standby while your speakers reconnect." for p in p1)
    wrongs = {d.wrong for d in d1}
    # every rule whose right form occurs is injected at least once
    assert {"non-gap", "CDM", "ICE", "DNA", "CLFA", "Business profits are twisted."} <= wrongs
    assert "growth" in wrongs and wrongs & {"DeepSeq", "G-Seq", "dipstick"}
    assert any(d.type == "repetition" and d.wrong.lower().count("this one") >= 12 for d in d1)
    for d in d1:
        assert p1[d.paragraph][d.char_start:d.char_end] == d.wrong
        if d.line is not None and d.type != "machine_translation":
            assert d.right in lines[d.line][0]
    assert corrupt(lines, seed=4)[0] != p1


def test_wrong_number_follows_the_seed_patterns():
    assert wrong_number("2025") == "205"
    assert wrong_number("1.4 billion") == "14 billion"
    assert wrong_number("34%") == "43%"
    assert wrong_number("10") is None


def test_pinyin_for_espeak():
    assert to_pinyin("大家好，谢谢。") == "da4 jia1 hao3, xie4 xie4."


def test_bad_scripts_are_refused(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_script(tmp_path / "missing.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("speakers: {a: {name: A}}\nlines:\n  - {speaker: b, text: hi}\n")
    with pytest.raises(InputError, match=r"bad.yaml: line 1: unknown speaker 'b'"):
        load_script(p)


@needs_tts
def test_unknown_voice_is_refused_before_anything_is_written(tmp_path):
    p = tmp_path / "v.yaml"
    p.write_text("speakers:\n  a: {name: A, voice: xx-nope}\nlines:\n  - {speaker: a, text: hello}\n")
    with pytest.raises(InputError, match=r"v.yaml: speaker a: espeak-ng has no voice 'xx-nope'"):
        build_call(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_demo_call_is_built_and_consistent():
    """The shipped demo matches its script: references, duration >= 3 min, seed defect types present."""
    sc = load_script(DEMO / "script.yaml")
    ref = Transcript.load(DEMO / "reference.json")
    assert [s.text for s in ref.segments] == [ln.text for ln in sc.lines]
    assert ref.duration >= 180
    assert {"operator", "nicole", "zou", "interpreter", "henry", "brian", "wenting"} == {s.speaker for s in ref.segments}
    kinds = {d["type"] for d in json.loads((DEMO / "defects.json").read_text(encoding="utf-8"))["defects"]}
    assert kinds == {"term", "entity", "number", "machine_translation", "repetition", "not_in_audio"}
    vendor = (DEMO / "vendor.txt").read_text(encoding="utf-8")
    assert "business profits are twisted" in vendor and "Please standby while your speakers reconnect." in vendor


# --- voices beyond espeak-ng: Piper, festival, real recordings -------------------------------

AISHELL = Path(__file__).resolve().parent / "data" / "aishell1-BAC009S0764W0121" / "BAC009S0764W0121.wav"
needs_festival = pytest.mark.skipif(not shutil.which("text2wave"), reason="festival missing (scripts/setup.sh)")


@pytest.fixture(scope="module")
def piper_joe():
    from callfix import store

    store.pull("piper-joe")


def _line(tmp_path, voice: str, text: str, **speaker):
    from callfix.corpus.script import ScriptLine, ScriptSpeaker
    from callfix.corpus.tts import check_line, check_voice, require_tools, synthesize

    spk = ScriptSpeaker(id="s", name="S", voice=voice, **speaker)
    line = ScriptLine(speaker="s", text=text)
    require_tools([voice])
    check_voice(voice, "test")
    check_line(line, spk, "test")
    return synthesize(line, spk, tmp_path, 16000, "1")


def _rms_db(x) -> float:
    import numpy as np

    return 20 * float(np.log10(np.sqrt(np.mean(np.square(x))) + 1e-12))


@pytest.mark.parametrize("voice", ["piper:joe", "festival:us_slt_hts", "festival:kal", "festival:ked"])
def test_each_engine_speaks_a_line(tmp_path, voice, request):
    if voice.startswith("piper"):
        request.getfixturevalue("piper_joe")
    elif not shutil.which("text2wave"):
        pytest.skip("festival missing (scripts/setup.sh)")
    x = _line(tmp_path, voice, "Free cash flow was positive for the third quarter in a row.")
    # ~12 words: 2-6 s of speech at 16 kHz, trimmed, clearly not silence
    assert 2.0 < len(x) / 16000 < 6.0
    assert _rms_db(x) > -30
    assert abs(x[:80]).max() > 0.003 and abs(x[-80:]).max() > 0.003  # trimmed to the speech


def test_speed_knob_changes_the_speaking_rate(tmp_path, piper_joe):
    text = "Thank you and good morning, everyone."
    slow = _line(tmp_path, "piper:joe", text, speed=120)
    fast = _line(tmp_path, "piper:joe", text, speed=200)
    assert len(slow) > 1.25 * len(fast)  # 200/120 wpm


def test_a_piper_line_is_the_same_audio_every_time(tmp_path, piper_joe):
    import numpy as np

    text = "Head of investor relations, please go ahead."
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    one, two = _line(tmp_path / "a", "piper:joe", text), _line(tmp_path / "b", "piper:joe", text)
    assert np.array_equal(one, two)


def test_recorded_line_is_the_clip_resampled(tmp_path):
    from callfix.corpus.script import ScriptLine, ScriptSpeaker
    from callfix.corpus.tts import synthesize

    spk = ScriptSpeaker(id="ceo", name="CEO", voice="recording", language="zh")
    one = ScriptLine(speaker="ceo", text="甚至出现交易几乎停滞的情况", language="zh", audio=[AISHELL])
    x = synthesize(one, spk, tmp_path, 8000, "1")
    assert 3.0 < len(x) / 8000 < 4.3 and _rms_db(x) > -30
    two = ScriptLine(speaker="ceo", text="x", language="zh", audio=[AISHELL, AISHELL])
    y = synthesize(two, spk, tmp_path, 8000, "2")
    assert len(y) == pytest.approx(2 * len(x) + 0.3 * 8000, abs=2)


def test_voice_errors_are_one_line_and_name_the_fix(tmp_path, piper_joe):
    from callfix.corpus.script import ScriptLine, ScriptSpeaker
    from callfix.corpus.tts import check_line, check_voice

    with pytest.raises(InputError, match=r"where: no piper voice 'piper:nobody' \(known: piper:joe"):
        check_voice("piper:nobody", "where")
    if shutil.which("text2wave"):
        with pytest.raises(InputError, match=r"festival has no voice 'rab_diphone' \(it has .*kal_diphone"):
            check_voice("festival:rab_diphone", "where")
    zh = ScriptLine(speaker="s", text="大家好", language="zh")
    with pytest.raises(InputError, match="piper:joe speaks English only"):
        check_line(zh, ScriptSpeaker(id="s", name="S", voice="piper:joe"), "where")
    with pytest.raises(InputError, match="audio clip .*nope.wav not found"):
        check_line(ScriptLine(speaker="s", text="x", audio=[tmp_path / "nope.wav"]),
                   ScriptSpeaker(id="s", name="S", voice="recording"), "where")
    with pytest.raises(InputError, match="voice 'recording' but the line has no audio"):
        check_line(ScriptLine(speaker="s", text="hello"), ScriptSpeaker(id="s", name="S", voice="recording"), "where")


def test_missing_piper_voice_names_the_pull_command(tmp_path, monkeypatch):
    from callfix.corpus.tts import check_voice
    from callfix.errors import ModelMissingError

    monkeypatch.setenv("CALLFIX_HOME", str(tmp_path / "empty"))
    with pytest.raises(ModelMissingError, match="callfix models pull piper-joe"):
        check_voice("piper:joe", "where")


ENGINES_CALL = """
title: engines
seed: 3
pause: 0.5
channel: {}
speakers:
  joe: {name: Joe, voice: "piper:joe"}
  slt: {name: Slt, voice: "festival:us_slt_hts", speed: 150}
  kal: {name: Kal, voice: "festival:kal", speed: 150, semitones: -1}
lines:
  - {speaker: joe, text: "Thank you, operator. Our annual recurring revenue grew to four hundred million dollars."}
  - {speaker: slt, text: "Our next question comes from the line of Dana Whitfield from Morgan Stanley."}
  - {speaker: kal, text: "Free cash flow was positive for the third quarter in a row."}
"""


@pytest.mark.slow
@needs_festival
def test_whisper_reads_piper_and_festival_lines(tmp_path, piper_joe, models_ready):
    """The new voices are intelligible: Whisper base gets the lines nearly word for word."""
    from callfix.asr import transcribe
    from callfix.audio import decode
    from callfix.bench import read_doc
    from callfix.io.references import from_transcript
    from callfix.bench.score import score_call
    from callfix.config import load_config

    script = tmp_path / "engines.yaml"
    script.write_text(ENGINES_CALL, encoding="utf-8")
    build_call(script, tmp_path / "call")
    cfg = load_config()
    cfg["asr"]["languages"] = ["en"]
    asr = transcribe(decode(tmp_path / "call" / "call.flac", tmp_path), cfg)
    res = score_call(read_doc(tmp_path / "call" / "reference.json"), {"asr": from_transcript(asr, "asr")})
    assert res["sources"]["asr"]["wer_en"]["rate"] <= 0.12, res["sources"]["asr"]["wer_en"]


# --- explicit vendor errors, script rules and controls ----------------------------------------

def _held_out_lines():
    from callfix.corpus.errormodel import LineSpec

    return [
        LineSpec("Welcome to the Zhiyun Technology call. Zhiyun grew recurring revenue by 38% in 2025, and we now "
                 "compete with Google Cloud in every region. Please go ahead with your questions.",
                 vendor_errors=[{"right": "recurring revenue", "wrong": "reoccurring revenue", "type": "term"}],
                 controls=["Google Cloud"]),
        LineSpec("We see a revenue growth margin trade-off this year. Zhiyun spent 120 million on inference chips.",
                 vendor_errors=[{"right": "inference", "wrong": "in France", "type": "term"}],
                 controls=["revenue growth margin trade-off"]),
    ]


def test_explicit_errors_rules_and_controls():
    from callfix.corpus.errormodel import corrupt_call

    cfg = {"default_rules": False, "number_rate": 0, "stray_lines": ["Please hold while we reconnect."],
           "rules": [{"type": "entity", "phrase": "Zhiyun", "wrong": ["Shiyun"], "rate": 1.0}],
           "repetition": [{"phrase": "you know", "min": 5, "max": 5}]}
    lines = _held_out_lines()
    paras, defects, controls = corrupt_call(lines, 11, cfg)
    wrongs = [d.wrong for d in defects]
    assert "reoccurring" in wrongs and "in France" in wrongs  # only the changed words
    assert wrongs.count("Shiyun") == 3  # rate 1: every mention
    assert not any(d.wrong in ("growth", "non-gap") for d in defects)  # shipped rules off
    assert any(d.type == "repetition" and d.wrong.lower().count("you know") == 5 for d in defects)
    assert any(d.type == "not_in_audio" for d in defects)
    for d in defects:
        assert paras[d.paragraph][d.char_start:d.char_end] == d.wrong
    assert [c.text for c in controls] == ["Google Cloud", "revenue growth margin trade-off"]
    for c in controls:  # each control is present, unchanged, where controls.json says
        assert paras[c.paragraph][c.char_start:c.char_end] == c.text
        assert not any(d.paragraph == c.paragraph and d.char_start < c.char_end and c.char_start < d.char_end
                       for d in defects)


def test_a_rule_never_touches_a_control():
    from callfix.corpus.errormodel import LineSpec, corrupt_call

    line = LineSpec("Google Cloud and Google Cloud again, then Kingsoft Cloud.", controls=["Google Cloud"])
    cfg = {"rules": [{"type": "entity", "phrase": "Google Cloud", "wrong": ["Goggle Cloud"], "rate": 1.0}],
           "stray_lines": [], "repetition": None, "default_rules": False}
    paras, defects, controls = corrupt_call([line], 1, cfg)
    assert paras == [line.text] and not defects and len(controls) == 2
    bad = LineSpec("We compete with Google Cloud.", controls=["Google Cloud"],
                   vendor_errors=[{"right": "Google", "wrong": "Goggle"}])
    with pytest.raises(ValueError, match="overlaps a control"):
        corrupt_call([bad], 1, cfg)


def test_script_validates_vendor_errors_and_controls(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("speakers: {a: {name: A}}\nlines:\n  - speaker: a\n    text: We grew recurring revenue.\n"
                 "    vendor_errors: [{right: annual revenue, wrong: annual reveal}]\n")
    with pytest.raises(InputError, match=r"s.yaml: line 1: vendor_errors 1: 'annual revenue' does not occur"):
        load_script(p)
    p.write_text("speakers: {a: {name: A}}\nlines:\n  - {speaker: a, text: We grew., controls: [Google Cloud]}\n")
    with pytest.raises(InputError, match=r"line 1: control 'Google Cloud' does not occur"):
        load_script(p)
    p.write_text("speakers: {a: {name: A}}\nlines:\n  - {speaker: a, text: We grew., sey: typo}\n")
    with pytest.raises(InputError, match=r"line 1: unknown keys \['sey'\]"):
        load_script(p)


@needs_tts
def test_phone_channel_is_8k_band_limited_and_noisy(tmp_path):
    script = tmp_path / "tiny.yaml"
    script.write_text(TINY, encoding="utf-8")
    build_call(script, tmp_path / "clean", channel="clean")
    build_call(script, tmp_path / "phone", channel="phone")
    from callfix.audio import probe

    assert probe(tmp_path / "phone" / "call.flac").sample_rate == 8000
    assert probe(tmp_path / "clean" / "call.flac").sample_rate == 16000
    lead = subprocess.run(["sox", str(tmp_path / "phone" / "call.flac"), "-n", "trim", "0", "0.5", "stats"],
                          capture_output=True, text=True).stderr
    quiet = subprocess.run(["sox", str(tmp_path / "clean" / "call.flac"), "-n", "trim", "0", "0.5", "stats"],
                           capture_output=True, text=True).stderr
    rms = {k: float(next(ln.split()[-1] for ln in v.splitlines() if ln.startswith("RMS lev dB")))
           for k, v in (("phone", lead), ("clean", quiet))}
    assert -45 < rms["phone"] < -25 and rms["clean"] < -80  # line noise only on the phone version
    # same words and timing on both channels
    assert (tmp_path / "clean" / "reference.json").read_bytes() == (tmp_path / "phone" / "reference.json").read_bytes()


CALLS = Path(__file__).resolve().parent / "calls"
HELD_OUT = sorted(p.parent.name for p in CALLS.glob("*/script.yaml"))


@pytest.mark.parametrize("name", HELD_OUT)
def test_held_out_call_scripts_are_valid(name, tmp_path):
    """Every held-out call loads, names no shipped-glossary company, and its vendor text carries
    its listed errors with every control untouched (no audio is built here)."""
    from callfix.corpus.errormodel import LineSpec, corrupt_call

    sc = load_script(CALLS / name / "script.yaml")
    assert sc.errors.get("default_rules") is False  # not the demo's company rules
    assert not any(s.voice.split(":")[0] in ("flite",) for s in sc.speakers.values()
                   if sum(ln.speaker == s.id for ln in sc.lines) > 1)  # flite for one minor speaker at most
    paras, defects, controls = corrupt_call(
        [LineSpec(ln.text, ln.language, ln.mt, ln.vendor_errors, ln.controls) for ln in sc.lines], sc.seed, sc.errors)
    for d in defects:
        assert paras[d.paragraph][d.char_start:d.char_end] == d.wrong
    for c in controls:
        assert paras[c.paragraph][c.char_start:c.char_end] == c.text
    from callfix.io.vendor import read_vendor  # the vendor reader sees the header as header, the rest as body

    (tmp_path / "vendor.txt").write_text("\n".join(sc.header + paras) + "\n", encoding="utf-8")
    assert [p.text for p in read_vendor(tmp_path / "vendor.txt").paragraphs] == paras
    explicit = sum(len(ln.vendor_errors) for ln in sc.lines)
    assert explicit >= 6 and len(defects) >= explicit
    assert {"entity", "repetition"} <= {d.type for d in defects}
    for ln in sc.lines:
        for clip in ln.audio or []:
            assert clip.is_file(), clip


def test_held_out_corpus_covers_the_brief():
    scripts = [load_script(CALLS / n / "script.yaml") for n in HELD_OUT]
    assert len(scripts) >= 4
    assert any(any(ln.audio and ln.language == "zh" for ln in sc.lines) for sc in scripts)  # real Mandarin
    voices = {s.voice.split(":")[0] for sc in scripts for s in sc.speakers.values()}
    assert {"piper", "festival"} <= voices
    assert sum(len(ln.controls) for sc in scripts for ln in sc.lines) >= 6


def test_controls_kept_sees_an_applied_edit_over_a_control():
    from callfix.corpus.controls import controls_kept
    from callfix.model import Edit, Paragraph, Transcript

    text = "We compete with Google Cloud in Europe."
    ctl = [{"id": "c01", "paragraph": 0, "text": "Google Cloud", "char_start": 16, "char_end": 28}]
    untouched = Transcript(paragraphs=[Paragraph(index=0, text=text, corrected=text)])
    assert controls_kept(ctl, untouched) == {"n": 1, "kept": 1, "changed": []}
    e = Edit(id="e1", paragraph=0, kind="replace", vendor="Google Cloud", replacement="Kingsoft Cloud",
             decision="applied", char_start=16, char_end=28)
    hit = Transcript(paragraphs=[Paragraph(index=0, text=text, corrected=text.replace("Google", "Kingsoft"))], edits=[e])
    assert controls_kept(ctl, hit)["changed"] == [{"id": "c01", "text": "Google Cloud", "by": ["e1"]}]
    e.decision = "suggested"  # left for the editor: the text still says it
    assert controls_kept(ctl, Transcript(paragraphs=[Paragraph(index=0, text=text, corrected=text)], edits=[e]))["kept"] == 1


def test_explicit_error_is_reduced_to_the_changed_words():
    from callfix.corpus.errormodel import LineSpec, corrupt_call

    line = LineSpec("We launched our inference service on Morgan Stanley's advice.",
                    vendor_errors=[{"right": "inference service", "wrong": "in France service", "type": "homophone"},
                                   {"right": "Morgan Stanley's advice", "wrong": "Morgan Stan Lee's advice"}])
    cfg = {"default_rules": False, "stray_lines": [], "repetition": None}
    paras, defects, _ = corrupt_call([line], 1, cfg)
    assert paras == ["We launched our in France service on Morgan Stan Lee's advice."]
    assert [(d.wrong, d.right) for d in defects] == [("in France", "inference"), ("Stan Lee's", "Stanley's")]
    with pytest.raises(ValueError, match="changes nothing"):
        corrupt_call([LineSpec("a b c", vendor_errors=[{"right": "b c", "wrong": "b c"}])], 1, cfg)


def test_held_out_split_has_calls_to_measure_on():
    splits = {n: load_script(CALLS / n / "script.yaml").split for n in HELD_OUT}
    assert sum(s == "test" for s in splits.values()) >= 2 and sum(s == "dev" for s in splits.values()) >= 1


def test_clip_cache_gives_every_channel_the_same_speech(tmp_path, piper_joe):
    script = tmp_path / "p.yaml"
    script.write_text("seed: 2\nspeakers:\n  a: {name: A, voice: 'piper:joe'}\n"
                      "lines:\n  - {speaker: a, text: Our recurring revenue grew again this quarter.}\n", encoding="utf-8")
    cache = tmp_path / "clips"
    build_call(script, tmp_path / "clean", channel="clean", clip_cache=cache)
    build_call(script, tmp_path / "phone", channel="phone", clip_cache=cache)
    assert len(list(cache.glob("*.wav"))) == 1
    assert (tmp_path / "clean" / "reference.json").read_bytes() == (tmp_path / "phone" / "reference.json").read_bytes()
    build_call(script, tmp_path / "again", channel="clean", clip_cache=cache)
    assert (tmp_path / "again" / "call.flac").read_bytes() == (tmp_path / "clean" / "call.flac").read_bytes()


def test_heldout_selects_calls_and_renders_one_table_per_call():
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
    import heldout

    from callfix.errors import CallfixError

    assert [p.name for p in heldout.find_calls(None, "test")] == [n for n in HELD_OUT
                                                                 if load_script(CALLS / n / "script.yaml").split == "test"]
    with pytest.raises(CallfixError, match="no held-out call nope"):
        heldout.find_calls(["nope"])
    r = {"call": "x", "channel": "phone", "split": "test", "duration": 180.0, "run_seconds": 60.0,
         "wer_en": {"vendor": 0.1, "asr": 0.3, "corrected": 0.05}, "english_words": 400,
         "cer_zh": {"vendor": 1.0, "asr": 0.2, "corrected": 0.2}, "chinese_chars": 50,
         "defects": {"n": 17, "applied": 9, "suggested": 3}, "applied_edits": 10, "applied_right": 9, "precision": 0.9,
         "controls": {"n": 3, "kept": 2, "changed": [{"id": "c02", "text": "ICE", "by": ["e7"]}]},
         "speech_coverage": None, "missed": [], "wrong_edits": []}
    md = heldout.to_markdown(r)
    assert "| WER English (400 words) | 10.0% | 30.0% | 5.0% |" in md
    assert "| CER Mandarin (50 chars) | 100.0% | 20.0% | 20.0% |" in md
    assert "| injected defects applied / suggested / of N | – | – | 9 / 3 / 17 |" in md
    assert "9/10 (90.0%)" in md and "2 of 3" in md and "controls changed: c02 'ICE'" in md
