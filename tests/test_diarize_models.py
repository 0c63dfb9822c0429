"""Diarization on real weights: pyannote's tutorial recording and a synthesised three-voice clip."""
from __future__ import annotations

import json
import os
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "pyannote-sample"
sys.path.insert(0, str(ROOT / "scripts"))

from callfix.cli import main  # noqa: E402

pytestmark = pytest.mark.slow


def _models_or_skip():
    from callfix import store

    for name in ("pyannote-segmentation", "campplus-cn-en"):
        if store.status(name).state != "ok":
            pytest.skip(f"model {name} not in the store (callfix models pull)")


@pytest.fixture(scope="module")
def cfg():
    _models_or_skip()
    from callfix.config import load_config

    return load_config()


@pytest.fixture(scope="module")
def three_voices(tmp_path_factory):
    """~25 s: three espeak-ng voices taking turns, exact reference turns."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to synthesise test speech")
    from diarize_synth import VOICES, build_call

    script = [
        (0, "Good day and thank you for standing by. Welcome to the earnings call.", 0.0),
        (1, "Thank you, operator. Revenue grew thirty percent year over year.", 0.7),
        (2, "Thank you for taking my question. What about the gross margin?", 0.8),
        (1, "Our gross margin improved to fifteen point eight percent this quarter.", 0.6),
        (0, "Our next question comes from the line of an analyst. Please go ahead.", 0.9),
        (2, "Could you talk about capital expenditure next year?", 0.7),
    ]
    wav, turns = build_call(tmp_path_factory.mktemp("syn"), script, [VOICES[0], VOICES[1], VOICES[2]], uri="three")
    return wav, turns


def _der(ref, hyp, uri, duration, collar=0.25):
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    from callfix.turns import Turns

    metric = DiarizationErrorRate(collar=collar)
    return metric(Turns(ref).to_annotation(uri), Turns(hyp).to_annotation(uri),
                  uem=Timeline([Segment(0, duration)], uri=uri))


def _decode(path, tmp_path):
    from callfix.audio import decode

    return decode(path, tmp_path)


def test_pyannote_sample_against_its_published_rttm(cfg, tmp_path):
    from callfix.diarize import diarize_audio
    from callfix.io.rttm import read_rttm

    audio = _decode(SAMPLE / "sample.wav", tmp_path)
    steps = []
    turns = diarize_audio(audio, cfg, lambda step, artifact=None, *, completed=None, total=None: steps.append(step))
    ref = read_rttm(SAMPLE / "sample.rttm")["sample"]
    assert {t.speaker for t in turns} == {"SPEAKER_00", "SPEAKER_01"}
    assert _der(ref, turns, "sample", audio.duration) < 0.15
    assert "embeddings" in steps


def test_diarizing_block_by_block_matches_the_whole_waveform(cfg, tmp_path):
    from callfix.diarize.pipeline import diarize_audio, diarize_waveform, load_pipeline

    audio = _decode(SAMPLE / "sample.wav", tmp_path)
    whole = diarize_waveform(audio.as_float(), cfg)
    pipe = load_pipeline(cfg["diarize"])
    assert type(pipe).__name__ == "WindowedSpeakerDiarization"
    seen = []
    try:
        pipe.block_chunks = 7  # the 30 s sample in five blocks
        blocked = diarize_audio(audio, cfg, lambda step, artifact=None, *, completed=None, total=None:
                                completed is None or seen.append((step, completed, total)))  # counted steps
    finally:
        pipe.block_chunks = type(pipe).block_chunks
    assert blocked == whole
    seg = [(done, total) for step, done, total in seen if step == "segmentation"]
    assert seg[-1][0] == seg[-1][1] and len({t for _, t in seg}) == 1  # one count for the whole call


def test_three_synthetic_voices(cfg, three_voices, tmp_path):
    from callfix.diarize import diarize_audio

    wav, ref = three_voices
    audio = _decode(wav, tmp_path)
    turns = diarize_audio(audio, cfg)
    assert len({t.speaker for t in turns}) == 3
    # 1 cluster scores ~60 %, 2 clusters ~30 %; what is left is boundary error on a short clip
    assert _der(ref, turns, "three", audio.duration) < 0.15
    # an exact count the caller knows is honoured
    forced = diarize_audio(audio, {**cfg, "diarize": {**cfg["diarize"], "num_speakers": 2}})
    assert len({t.speaker for t in forced}) == 2


def _write(path: Path, x: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def test_silence_and_tiny_inputs_give_no_turns_without_crashing(cfg, tmp_path):
    from callfix.diarize import diarize_audio

    silent = _decode(_write(tmp_path / "silence.wav", np.zeros(16000 * 8, dtype=np.float32)), tmp_path / "a")
    assert diarize_audio(silent, cfg) == []
    blip = _decode(_write(tmp_path / "blip.wav", np.zeros(800, dtype=np.float32)), tmp_path / "b")
    assert diarize_audio(blip, cfg) == []


def test_one_voice_is_one_speaker(cfg, tmp_path):
    from diarize_synth import VOICES, build_call

    from callfix.diarize import diarize_audio

    script = [(0, "Thank you, operator. Hello everyone, and welcome to our call today.", 0.0),
              (0, "Total revenues reached two point two billion, up thirty percent year over year.", 0.8),
              (0, "We will continue to invest in artificial intelligence infrastructure.", 0.9)]
    wav, _ = build_call(tmp_path, script, [VOICES[1]], uri="one")
    turns = diarize_audio(_decode(wav, tmp_path / "d"), cfg)
    assert len({t.speaker for t in turns}) == 1


def test_two_seconds_of_one_voice(cfg, three_voices, tmp_path):
    from callfix.diarize import diarize_audio
    from diarize_synth import read_wav

    wav, ref = three_voices
    x = read_wav(wav)
    first = ref[0]
    clip = x[int(first.start * 16000): int(first.start * 16000) + 32000]
    audio = _decode(_write(tmp_path / "two.wav", clip), tmp_path / "c")
    turns = diarize_audio(audio, cfg)
    assert len({t.speaker for t in turns}) <= 1
    assert sum(t.end - t.start for t in turns) > 1.0


def test_cli_writes_rttm_and_labelled_named_transcript(cfg, tmp_path):
    from callfix.model import Segment, Transcript, Word

    from callfix.io.rttm import read_rttm

    # An ASR transcript whose first words introduce the second voice of the sample.
    words = [Word("Our", 6.7, 6.9), Word("next", 6.9, 7.0), Word("question", 7.0, 7.2), Word("comes", 7.2, 7.3),
             Word("from", 7.3, 7.4), Word("Jane", 7.4, 7.6), Word("Doe.", 7.6, 7.9),
             Word("Hello.", 10.0, 10.5), Word("Bye.", 28.0, 28.5)]
    asr = Transcript(duration=30.0, segments=[Segment("…", 6.7, 28.5, words=words)])
    asr.save(tmp_path / "asr.json")
    out = tmp_path / "out"
    rc = main(["diarize", str(SAMPLE / "sample.wav"), "-o", str(out), "--asr", str(tmp_path / "asr.json"), "-q"])
    assert rc == 0
    turns = read_rttm(out / "diarization.rttm")["sample"]
    assert len({t.speaker for t in turns}) == 2
    t = json.loads((out / "diarization.json").read_text())
    labelled = [w["speaker"] for s in t["segments"] for w in s["words"]]
    assert all(labelled)
    assert len(t["speakers"]) == 2


def test_cli_bad_inputs_fail_with_one_line(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{not json")
    rc = main(["diarize", str(SAMPLE / "sample.wav"), "-o", str(tmp_path / "o"), "--asr", str(tmp_path / "bad.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "bad.json" in err and "Traceback" not in err
    assert not (tmp_path / "o" / "diarization.rttm").exists()
    rc = main(["diarize", str(tmp_path / "missing.wav"), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "missing.wav" in err and len(err.strip().splitlines()) == 1
    rc = main(["diarize", str(SAMPLE / "sample.wav"), "-o", str(tmp_path / "o"), "--min-speakers", "3", "--max-speakers", "2"])
    err = capsys.readouterr().err
    assert rc == 2 and "min_speakers" in err


def test_user_pipeline_that_cannot_load_is_one_clear_error(tmp_path, capsys):
    bad = tmp_path / "config.yaml"
    bad.write_text("pipeline:\n  name: pyannote.audio.pipelines.NoSuchPipeline\n  params: {}\n")
    for name in (str(bad), "pyannote/speaker-diarization-3.1", str(tmp_path / "absent" / "config.yaml")):
        rc = main(["diarize", str(SAMPLE / "sample.wav"), "-o", str(tmp_path / "o"), "--pipeline", name, "-q"])
        err = capsys.readouterr().err
        assert rc in (2, 4) and name in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "o" / "diarization.rttm").exists()


def test_heavy_overlap_gives_turns_and_exclusive_words(cfg, tmp_path):
    from diarize_synth import VOICES, build_call

    from callfix.diarize import diarize_audio, exclusive_turns

    script = [(0, "Total revenues reached two point two billion, up thirty percent year over year.", 0.0),
              (1, "We will continue to invest in artificial intelligence infrastructure.", -3.5),
              (0, "Our gross margin improved to fifteen point eight percent this quarter.", -1.0),
              (1, "Can you give us some colour on the margin trend for the coming quarters?", -3.0)]
    wav, ref = build_call(tmp_path, script, [VOICES[0], VOICES[1]], uri="overlap")
    turns = diarize_audio(_decode(wav, tmp_path / "d"), cfg)
    assert 1 <= len({t.speaker for t in turns}) <= 3
    speech = sum(t.end - t.start for t in exclusive_turns(turns))
    ref_speech = sum(t.end - t.start for t in exclusive_turns([type(turns[0])(r.speaker, r.start, r.end) for r in ref]))
    assert speech > 0.7 * ref_speech


def test_campplus_on_onnx_runtime_matches_torch(cfg, three_voices, tmp_path):
    """The ONNX export gives the torch network's embeddings; it is built once and reused."""
    import torch

    from callfix import store
    from callfix.diarize.embedding import CamPlusEmbedding

    folder = tmp_path / "campplus"
    folder.mkdir()
    shutil.copy(store.locate("campplus-cn-en") / "campplus_cn_en_common.pt", folder)
    wav, _ = three_voices
    audio = _decode(wav, tmp_path)
    chunks = torch.from_numpy(np.stack([audio.window(t, t + 3.0) for t in (0.5, 4.0, 8.0)]))[:, None]
    masks = torch.ones(3, 293)
    masks[1, 150:] = 0  # the second row: only its first half is this speaker's
    with torch.inference_mode():
        model = CamPlusEmbedding.from_folder(folder)
        ref = model(chunks, weights=masks)
        model.use_onnx()
        fast = model(chunks, weights=masks)
        exported = folder / "campplus_cn_en_common.onnx"
        stamp = exported.stat().st_mtime_ns
        again = CamPlusEmbedding.from_folder(folder)
        again.use_onnx()
        assert torch.allclose(again(chunks, weights=masks), fast)
    assert exported.stat().st_mtime_ns == stamp  # reused, not exported again
    assert torch.nn.functional.cosine_similarity(ref, fast).min() > 0.9999
    assert not torch.allclose(fast[0], fast[1])


def test_campplus_skips_silent_speakers_without_changing_active_ones(cfg, three_voices, tmp_path):
    import torch

    from callfix import store
    from callfix.diarize.embedding import CamPlusEmbedding

    model = CamPlusEmbedding.from_folder(store.locate("campplus-cn-en"))
    for n in (399, 400, 401, 16000, 48000, 80000, 80159):
        frames = model.fbank(torch.zeros(n) + 0.01).shape[0] if n >= 400 else 0
        assert model.num_frames(n) == frames, n
    wav, _ = three_voices
    audio = _decode(wav, tmp_path)
    chunk = torch.from_numpy(audio.window(0.5, 3.5))[None, None]
    masks = torch.zeros(3, 293)
    masks[0] = 1
    masks[1, :10] = 1  # 0.1 s: too little speech to embed
    with torch.inference_mode():
        rows = model(chunk.repeat(3, 1, 1), weights=masks)
        alone = model(chunk, weights=masks[:1])
    assert torch.allclose(rows[0], alone[0])
    assert torch.isnan(rows[1]).all() and torch.isnan(rows[2]).all()


AMI = ROOT / "tests" / "data" / "ami-pyannote-debug"


def _ami(name, tmp_path, folder=AMI):
    from callfix.io.rttm import read_rttm

    return _decode(folder / f"{name}.flac", tmp_path / name), read_rttm(folder / f"{name}.rttm")[name]


def test_real_meeting_excerpts_keep_their_speaker_count(cfg, tmp_path):
    """Five 30 s AMI excerpts (2-4 speakers, overlap): the count within one of the reference's on
    each, and DER at collar 0.25 well under what a one-threshold clustering gave (43 % mean,
    6 speakers for 2 on dev00)."""
    from callfix.diarize import diarize_audio

    ders = []
    for name in ("dev00", "trn00", "trn03", "trn08", "tst00"):
        audio, ref = _ami(name, tmp_path)
        turns = diarize_audio(audio, cfg)
        found, true = len({t.speaker for t in turns}), len({t.speaker for t in ref})
        assert abs(found - true) <= 1, (name, found, true)
        ders.append(_der(ref, turns, name, audio.duration))
    assert sum(ders) / len(ders) < 0.40, ders


def test_a_minute_of_a_four_speaker_meeting(cfg, tmp_path):
    """60 s of AMI (pyannote's PixIT tutorial clip): three voices of about 20 s each and one of
    1.2 s. At least three speakers are found, at most five, and DER at collar 0.25 stays under
    10 % (6.1 % measured; two speakers instead cost 34 %)."""
    from callfix.diarize import diarize_audio

    audio, ref = _ami("mixture", tmp_path, ROOT / "tests" / "data" / "ami-pyannote-seriously")
    turns = diarize_audio(audio, cfg)
    assert 3 <= len({t.speaker for t in turns}) <= 5
    assert _der(ref, turns, "mixture", audio.duration) < 0.10


def test_speaker_bounds_are_honoured_exactly(cfg, tmp_path):
    from callfix.diarize import diarize_audio

    audio, _ = _ami("tst00", tmp_path)  # four voices, two at a time

    def count(**bounds):
        return len({t.speaker for t in diarize_audio(audio, {**cfg, "diarize": {**cfg["diarize"], **bounds}})})

    for k in (1, 2, 3, 5):
        assert count(num_speakers=k) == k
    assert count(max_speakers=2) <= 2
    assert count(min_speakers=5) >= 5
    assert 2 <= count(min_speakers=2, max_speakers=3) <= 3


def test_oracle_clustering_scores_what_the_segmentation_allows(cfg, tmp_path):
    """der_eval --oracle-clustering: each chunk's local speakers get their reference speaker, so the
    sample comes out with the reference's two speakers and no more error than the product's own run."""
    from der_eval import oracle_clustered

    from callfix.diarize.pipeline import diarize_waveform
    from callfix.io.rttm import read_rttm

    audio = _decode(SAMPLE / "sample.wav", tmp_path)
    ref = read_rttm(SAMPLE / "sample.rttm")["sample"]
    oracle = oracle_clustered(audio.as_float(), ref, cfg, "sample")
    assert len({t.speaker for t in oracle}) == len({t.speaker for t in ref}) == 2
    ours = diarize_waveform(audio.as_float(), cfg, uri="sample")
    assert _der(ref, oracle, "sample", audio.duration) <= _der(ref, ours, "sample", audio.duration) + 1e-9
