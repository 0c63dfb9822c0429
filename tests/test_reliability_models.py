"""Model files hold weights, never code: a pickle payload in a checkpoint, a manifest pointing a call at
one, or a store file swapped for another of the same size must be refused before anything runs."""
from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from callfix import store
from callfix.batch.manifest import load_manifest
from callfix.errors import InputError, ModelMissingError


class _Payload:
    """Unpickling this creates ``marker``: the proof that a loader ran code from the file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _evil(path: Path, marker: Path, wrap=lambda x: x) -> Path:
    import torch

    torch.save(wrap(_Payload(marker)), path)  # a real torch zip checkpoint with a pickled call inside
    return path


def test_openai_whisper_checkpoint_with_code_is_refused(tmp_path):
    from callfix.asr.backends import OpenAIWhisperBackend

    marker = tmp_path / "pwned"
    evil = _evil(tmp_path / "evil.pt", marker, lambda x: {"dims": x, "model_state_dict": {}})
    with pytest.raises(ModelMissingError, match="refused"):
        OpenAIWhisperBackend(str(evil), "cpu", "auto", 1)
    assert not marker.exists()


def test_pyannote_checkpoint_with_code_is_refused(tmp_path):
    from callfix.diarize.pipeline import _load_embedding, _load_segmentation

    marker = tmp_path / "pwned"
    evil = _evil(tmp_path / "pytorch_model.bin", marker, lambda x: {"pyannote.audio": x})
    with pytest.raises(ModelMissingError, match="refused"):
        _load_segmentation(str(evil))
    with pytest.raises(ModelMissingError, match="refused"):
        _load_embedding(str(evil))
    assert not marker.exists()


def test_checkpoint_naming_a_foreign_architecture_is_refused(tmp_path):
    import torch

    ckpt = {"pyannote.audio": {"architecture": {"module": "os", "class": "system"}}, "state_dict": {}}
    torch.save(ckpt, tmp_path / "m.bin")
    with pytest.raises(ModelMissingError, match="not a pyannote.audio model"):
        store.load_pyannote_model(tmp_path / "m.bin")


@pytest.fixture
def small_store(tmp_path, monkeypatch, models_ready):
    """A private store holding a copy of one real stored model."""
    name = "pyannote-segmentation-3.0"
    shutil.copytree(store.model_dir(name), tmp_path / "models" / name)
    monkeypatch.setenv("CALLFIX_HOME", str(tmp_path))
    return name, tmp_path / "models" / name


def test_store_file_swapped_for_same_size_bytes_is_caught_before_use(small_store):
    name, folder = small_store
    from callfix.diarize.pipeline import _load_segmentation

    assert store.locate(name) == folder and _load_segmentation(name) is not None
    f = folder / "pytorch_model.bin"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: a size check alone passes it
    f.write_bytes(bytes(data))
    with pytest.raises(ModelMissingError, match="sha256 mismatch"):
        store.locate(name)
    with pytest.raises(ModelMissingError, match="sha256 mismatch"):
        _load_segmentation(name)


def _manifest(tmp_path: Path, set_value: str) -> Path:
    (tmp_path / "a.wav").write_bytes(b"")
    (tmp_path / "a.txt").write_text("text")
    m = tmp_path / "m.csv"
    m.write_text(f'audio,transcript,set\na.wav,a.txt,"{set_value}"\n')
    return m


@pytest.mark.parametrize("value, expect", [
    ("asr.model=/tmp/evil.pt", "may only name one of whisper-base"),
    ("asr.backend=openai-whisper;asr.model=evil.pt", "may only name one of"),
    ("diarize.segmentation=../evil/pytorch_model.bin", "may only name one of"),
    ("diarize.embedding=/x/emb.bin", "may only name one of"),
    ("diarize.pipeline=/x/config.yaml", "may only name one of callfix-default"),
    ("diarize.hub_token=abc", "may not set 'diarize.hub_token'"),
    ("models.home=/tmp/other-store", "may not set 'models.home'"),
    ("audio.max_duration_hours=100", "may not set 'audio.max_duration_hours'"),
    ("align.glossaries=[/tmp/g.yaml]", "takes glossary names"),
    ("asr.no_such_knob=1", "m.csv:2: asr.no_such_knob: not a config key"),
    ("asr.beam_sise=1", "m.csv:2: asr.beam_sise: not a config key; did you mean asr.beam_size?"),
    ("asr.beam_size=many", "m.csv:2: asr.beam_size='many': expected a whole number"),
    ("asr.beam_size=[1", "unreadable value"),
])
def test_manifest_set_column_is_limited_to_safe_knobs(tmp_path, value, expect):
    with pytest.raises(InputError, match=expect.replace("[", r"\[").replace(".", r"\.")):
        load_manifest(_manifest(tmp_path, value))


def test_manifest_set_column_still_takes_ordinary_knobs(tmp_path):
    (spec,) = load_manifest(_manifest(tmp_path, "asr.beam_size=1;asr.model=whisper-base;align.verify.enabled=false;"
                                                "diarize.num_speakers=3;align.glossaries=[earnings]"))
    assert spec.overrides == {"asr": {"beam_size": 1, "model": "whisper-base"},
                              "align": {"verify": {"enabled": False}, "glossaries": ["earnings"]},
                              "diarize": {"num_speakers": 3}}


def test_jsonl_manifest_set_mapping_is_checked_too(tmp_path):
    (tmp_path / "a.txt").write_text("text")
    m = tmp_path / "m.jsonl"
    m.write_text('{"audio": "a.wav", "transcript": "a.txt", "set": {"asr": {"model": "/tmp/evil.pt"}}}\n')
    with pytest.raises(InputError, match="m.jsonl:1: 'asr.model' may only name"):
        load_manifest(m)


def test_pickle_protocol_payload_is_refused_by_the_loader_itself(tmp_path):
    marker = tmp_path / "pwned"
    raw = tmp_path / "raw.pkl"
    raw.write_bytes(pickle.dumps({"x": _Payload(marker)}))
    with pytest.raises(ModelMissingError):
        store.load_checkpoint(raw, str(raw))
    assert not marker.exists()
