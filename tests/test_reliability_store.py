"""A model store that cannot be written, or holds a damaged ONNX export, must not break diarization;
pulling into it is a one-line error. (Tests run as root, which ignores permission bits, so an unwritable
place is made the way root meets one too: a folder that is really a file.)"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from callfix import store
from callfix.cli import main


@pytest.fixture
def campplus(tmp_path, models_ready):
    from callfix.diarize.embedding import CHECKPOINT, CamPlusEmbedding

    folder = tmp_path / "campplus"
    folder.mkdir()
    shutil.copy(store.model_dir("campplus-cn-en") / CHECKPOINT, folder / CHECKPOINT)
    return CamPlusEmbedding.from_folder(folder)


def _embed(model, onnx_path):
    from callfix.diarize.embedding import onnx_session

    sess = onnx_session(model.net, model.num_mel_bins, onnx_path, 1)
    feats = torch.randn(1, 150, model.num_mel_bins)
    (emb,) = sess.run(None, {"feats": feats.numpy()})
    with torch.no_grad():
        ref = model.net(feats).numpy()
    return float(np.abs(emb - ref).max())


def test_unwritable_store_keeps_the_export_in_memory(campplus, tmp_path):
    from callfix.diarize.embedding import _store_export

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export's folder should be")
    _store_export(blocker / "campplus.onnx", b"onnx bytes")  # used to end the run with OutputError (rc 3)


@pytest.mark.slow
def test_damaged_onnx_export_is_made_again(campplus):
    from callfix.diarize.embedding import _store_export, _stored_export

    path = campplus.onnx_path
    _store_export(path, b"\0" * 4096)  # a broken export ONNX Runtime refuses (was InvalidProtobuf on every run)
    assert _embed(campplus, path) < 1e-3  # exported again, from torch
    good = path.read_bytes()
    assert good != b"\0" * 4096 and _stored_export(path) == good  # and the store holds the good one
    damaged = bytearray(good)
    damaged[: len(good) // 2] = b"\0" * (len(good) // 2)  # same size, newer than the checkpoint
    path.write_bytes(bytes(damaged))
    assert _stored_export(path) is None  # its bytes no longer hash to the note: not trusted


def test_export_for_another_checkpoint_is_not_trusted(campplus):
    from callfix.diarize.embedding import _store_export, _stored_export

    path = campplus.onnx_path
    _store_export(path, b"an export")
    assert _stored_export(path) == b"an export"
    pt = path.with_suffix(".pt")
    data = bytearray(pt.read_bytes())
    data[-1] ^= 1
    pt.write_bytes(bytes(data))  # the checkpoint changed: its old export is stale whatever its mtime
    assert _stored_export(path) is None


def test_pull_into_unwritable_store_is_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "home"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CALLFIX_HOME", str(blocker / "callfix"))
    rc = main(["models", "pull", "pyannote-segmentation"])
    err = capsys.readouterr().err
    assert rc == 3, err  # was 70, an internal error
    assert err.count("\n") == 1 and "cannot write to the model store" in err


def test_output_set_lands_whole_or_not_at_all(tmp_path):
    from callfix.io.atomic import atomic_write_text, output_set
    from callfix.io.vendor import parse_vendor_text
    from callfix.io.writers import write_outputs

    out = tmp_path / "out"
    out.mkdir()
    (out / "transcript.txt").write_text("the earlier run's text\n")
    t = parse_vendor_text("Good morning\x01 and welcome, everyone.\n")  # XML cannot hold \x01 (read_vendor drops it)
    with pytest.raises(ValueError):
        with output_set(out) as build:
            atomic_write_text(build / "asr.json", "{}")
            write_outputs(t, build)  # the DOCX writer fails after the text outputs are written
    assert sorted(p.name for p in out.iterdir()) == ["transcript.txt"]  # was: 4 of the new outputs beside it
    assert (out / "transcript.txt").read_text() == "the earlier run's text\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.building-")]
    with output_set(out) as build:
        atomic_write_text(build / "a.txt", "new")
        atomic_write_text(build / "sub" / "b.txt", "new")
    assert (out / "a.txt").read_text() == "new" and (out / "sub" / "b.txt").is_file()


def test_models_verify_names_a_damaged_onnx_export(tmp_path, monkeypatch, capsys, models_ready):
    from callfix.diarize.embedding import CHECKPOINT

    folder = tmp_path / "models" / "campplus-cn-en"
    folder.mkdir(parents=True)
    shutil.copy(store.model_dir("campplus-cn-en") / CHECKPOINT, folder / CHECKPOINT)
    (folder / CHECKPOINT.replace(".pt", ".onnx")).write_bytes(b"\0" * 1000)  # newer than the checkpoint
    monkeypatch.setenv("CALLFIX_HOME", str(tmp_path))
    main(["models", "verify"])
    out = capsys.readouterr().out
    assert "campplus-cn-en: ok" in out  # was all it said
    assert "campplus-cn-en ONNX export: damaged or stale" in out


def test_output_set_into_the_current_folder(tmp_path, monkeypatch):
    from callfix.io.atomic import atomic_write_text, output_set

    monkeypatch.chdir(tmp_path)
    with output_set(".") as build:
        assert build.parent == tmp_path.parent  # a sibling, never inside the folder it fills
        atomic_write_text(build / "a.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "x"


def test_output_set_where_the_parent_cannot_be_written(tmp_path, monkeypatch):
    import tempfile as tf

    from callfix.io.atomic import atomic_write_text, output_set

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tf, "mkdtemp", refuse)  # root ignores permission bits: refuse the sibling folder instead
    with output_set(tmp_path / "out") as build:
        assert build == tmp_path / "out"
        atomic_write_text(build / "a.txt", "x")
    assert (tmp_path / "out" / "a.txt").read_text() == "x"
