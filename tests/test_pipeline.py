"""`callfix run` end to end on the bundled demo call: real ASR, diarization, alignment, outputs."""
import json
import subprocess
import sys
import time

import pytest

from callfix.model import Transcript
from tests.conftest import DEMO

pytestmark = pytest.mark.slow


def callfix(*args, **kw):
    return subprocess.run([sys.executable, "-m", "callfix.cli", *args], capture_output=True, text=True, **kw)


@pytest.fixture(scope="module")
def demo_run(models_ready, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    t0 = time.perf_counter()
    r = callfix("run", str(DEMO / "call.flac"), "--transcript", str(DEMO / "vendor.txt"),
                "--participants", str(DEMO / "participants.yaml"), "-o", str(out), "-q")
    assert r.returncode == 0, r.stderr
    return out, time.perf_counter() - t0


def test_run_writes_every_output(demo_run):
    out, _ = demo_run
    for name in ("transcript.txt", "transcript.json", "transcript.srt", "transcript.vtt", "transcript.docx",
                 "transcript.stm", "transcript.ctm", "transcript.rttm", "edits.json", "asr.json",
                 "review.html", "edits.csv", "transcript.diff"):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))


def test_corrected_text_beats_vendor_and_asr(demo_run, tmp_path):
    out, _ = demo_run
    r = callfix("bench", "--ref", str(DEMO / "reference.json"), "--vendor", str(DEMO / "vendor.txt"),
                "--asr", str(out / "asr.json"), "--hyp", str(out / "transcript.json"), "-o", str(tmp_path))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "bench.json").read_text())
    calls = res.get("calls", [res])
    src = calls[0]["sources"]
    wer = {k: src[k]["wer_en"]["rate"] for k in ("vendor", "asr", "corrected")}
    assert wer["corrected"] < wer["vendor"] and wer["corrected"] < wer["asr"], wer


def test_speakers_are_named_from_cues(demo_run):
    out, _ = demo_run
    t = Transcript.load(out / "transcript.json")
    names = {s.name for s in t.speakers if s.name}
    assert {"Brian Gong", "Henry He"} <= names, names
    assert all(w.speaker for w in t.words)
    text = (out / "transcript.txt").read_text()
    assert "Henry He:" in text and "[00:0" in text


def test_second_run_reuses_cached_stages(demo_run):
    out, first = demo_run
    t0 = time.perf_counter()
    # the same participants: they are part of the call's glossary, hence of the decoder's hotwords
    r = callfix("run", str(DEMO / "call.flac"), "--transcript", str(DEMO / "vendor.txt"), "-o", str(out), "-q",
                "--participants", str(DEMO / "participants.yaml"), "--set", "align.apply_confidence=0.95")
    assert r.returncode == 0, r.stderr
    timings = Transcript.load(out / "transcript.json").meta["timings"]
    assert timings["transcribe"] < 2 and timings["diarize"] < 2, timings
    assert time.perf_counter() - t0 < first


def test_transcript_of_another_call_applies_no_edits(demo_run, tmp_path):
    out, _ = demo_run
    other = tmp_path / "other.txt"
    other.write_text("Welcome to the Acme Widgets annual shareholder meeting.\n"
                     "Our chairman will now discuss the new factory in Ohio and the dividend policy.\n"
                     "We sold twelve million widgets and expect steel prices to fall next year.\n")
    r = callfix("align", "--asr", str(out / "asr.json"), "--transcript", str(other), "-o", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    t = Transcript.load(tmp_path / "o" / "transcript.json")
    assert not [e for e in t.edits if e.decision == "applied"]
    assert "coverage" in r.stderr.lower() or "different call" in r.stderr.lower()


@pytest.fixture(scope="module")
def two_voice_call(tmp_path_factory):
    from tests.conftest import concat, espeak

    d = tmp_path_factory.mktemp("two")
    a = espeak("Thank you, operator. Our gross margin improved again this quarter.", d / "a.wav", pitch=30)
    b = espeak("Thanks. Could you talk about the outlook for public cloud revenue next year?", d / "b.wav",
               voice="en-gb", pitch=80)
    vendor = d / "vendor.txt"
    vendor.write_text("Thank you, operator. Our growth margin improved again this quarter.\n"
                      "Thanks. Could you talk about the outlook for public cloud revenue next year?\n")
    return concat([a, b, a], d / "call.wav", gap=0.8), vendor


def test_side_by_side_stages_give_the_same_transcript(two_voice_call, tmp_path, models_ready):
    from callfix.config import load_config
    from callfix.pipeline import run_call

    audio, vendor = two_voice_call
    # No sampled fallback: its draws may differ between runs, and this test is about scheduling the stages.
    runs = [run_call(audio, vendor, tmp_path / str(parallel),
                     load_config(overrides={"run": {"parallel_stages": parallel}, "asr": {"temperatures": [0.0]}}))
            for parallel in (True, False)]
    side, alone = ([(w.text, w.start, w.speaker) for w in t.words] for t in runs)
    assert side == alone and runs[0].turns == runs[1].turns
    assert len({x.speaker for x in runs[0].turns}) == 2
    assert {"transcribe", "diarize", "speech"} <= set(runs[0].meta["timings"])


def test_a_failing_background_stage_fails_the_call(two_voice_call, tmp_path, models_ready):
    audio, vendor = two_voice_call
    r = callfix("run", str(audio), "--transcript", str(vendor), "-o", str(tmp_path / "out"), "-q",
                "--set", f"diarize.pipeline={tmp_path / 'missing' / 'config.yaml'}")
    assert r.returncode != 0
    assert r.stderr.strip().count("\n") == 0 and "pyannote pipeline not found" in r.stderr, r.stderr
    assert not (tmp_path / "out" / "transcript.json").exists()


def test_a_failing_transcription_stops_the_background_diarization(two_voice_call, tmp_path, models_ready, monkeypatch):
    import threading

    from callfix import pipeline
    from callfix.config import load_config
    from callfix.errors import InputError

    audio, vendor = two_voice_call
    diarizing = threading.Event()

    def progress(step, artifact=None, *, completed=None, total=None):
        if step in ("segmentation", "embeddings"):
            diarizing.set()

    def failing_transcription(*args, **kwargs):
        assert diarizing.wait(120), "diarization never started"
        raise InputError("transcription failed")

    monkeypatch.setattr(pipeline, "stage_transcribe", failing_transcription)
    with pytest.raises(InputError, match="transcription failed"):
        pipeline.run_call(audio, vendor, tmp_path / "out", load_config(), hook=progress)
    assert not any(t.name == "callfix-diarize" and t.is_alive() for t in threading.enumerate())
    assert not list((tmp_path / "out" / ".cache").glob("diarize/*.json"))  # stopped, not finished
