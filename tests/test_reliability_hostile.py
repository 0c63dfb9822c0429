"""The hostile-input table, through the real CLI: every row ends in a correct result or one line naming the
file and the problem, never an internal error (rc 70), never a hang, never code run from a data file.
Rows that need a model run are covered next to their fix (test_reliability_*.py)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callfix.model import Segment, Transcript, Word
from test_reliability_yaml import alias_bomb

ENV = {**os.environ, "PYANNOTE_METRICS_ENABLED": "false", "HF_HUB_OFFLINE": "1"}
SAID = ("good morning and welcome to the fourth quarter earnings call our revenue grew strongly this year "
        "and our gross margin improved thank you all for joining").split()
ENGLISH = " ".join(SAID).capitalize() + ".\n"


def callfix(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "callfix.cli", *map(str, args)], capture_output=True, text=True,
                          env=ENV, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="module")
def asr(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("asr")
    words = [Word(w, 0.4 * i, 0.4 * i + 0.3, 0.95) for i, w in enumerate(SAID)]
    return Transcript(audio="call.wav", duration=12.0, languages=["en"],
                      segments=[Segment(" ".join(SAID), 0.0, 12.0, "en", words)]).save(d / "asr.json")


def _vendor(d: Path, name: str, data: bytes) -> Path:
    (d / name).write_bytes(data)
    return d / name


ROWS = {
    # name: (vendor bytes, expected rc, text the one-line error or stdout must hold)
    "200 KB line of 'transcript'": (("transcript " * 18200).encode() + b"\n" + ENGLISH.encode(), 0, "coverage"),
    "20 MB vendor file": (b"word " * (4 << 20), 2, "too large for the transcript of one call"),
    "1.2M-character line": (b"word " * 240_000 + b"\n", 2, "line 1 has 1,200,000 characters"),
    "GB18030 with a Chinese line": ((ENGLISH * 3 + "大家好，欢迎参加金山云业绩电话会。\n").encode("gb18030"), 0, "coverage"),
    "UTF-16LE without BOM": ((ENGLISH * 3).encode("utf-16-le"), 0, "coverage"),
    "control character and form feed": ((ENGLISH[:40] + "\x01" + ENGLISH[40:80] + "\f" + ENGLISH[80:]).encode(), 0,
                                        "coverage"),
}


@pytest.mark.parametrize("row", list(ROWS))
def test_vendor_rows(tmp_path, asr, row):
    data, rc, expect = ROWS[row]
    v = _vendor(tmp_path, "vendor.txt", data)
    p = callfix("align", "--asr", asr, "--transcript", v, "-o", tmp_path / "out", "--no-review", timeout=60)
    assert p.returncode == rc, p.stderr
    if rc:
        assert p.stderr.startswith(f"callfix: error: {v}: ") and p.stderr.count("\n") == 1, p.stderr
        assert expect in p.stderr
    else:
        assert expect in p.stdout and (tmp_path / "out" / "transcript.docx").is_file()


def test_latin1_glossary_row(tmp_path, asr):
    g = _vendor(tmp_path, "terms.yaml", "terms:\n  - Société Générale\n".encode("latin-1"))
    v = _vendor(tmp_path, "vendor.txt", ENGLISH.encode())
    p = callfix("align", "--asr", asr, "--transcript", v, "-o", tmp_path / "out", "--glossary", g)
    assert p.returncode == 2 and "terms.yaml: not UTF-8 text" in p.stderr and p.stderr.count("\n") == 1, p.stderr


def test_bad_set_value_row(tmp_path):
    p = callfix("run", tmp_path / "a.wav", "--transcript", tmp_path / "v.txt", "-o", tmp_path / "o",
                "--set", "asr.beam_size=[1")
    assert p.returncode == 2 and p.stderr.startswith("callfix: error: --set asr.beam_size=[1"), p.stderr


def test_manifest_pointing_a_call_at_a_pickle_row(tmp_path):
    (tmp_path / "v.txt").write_text(ENGLISH)
    (tmp_path / "m.csv").write_text('audio,transcript,set\na.wav,v.txt,"asr.backend=openai-whisper;asr.model=evil.pt"\n')
    p = callfix("batch", tmp_path / "m.csv", "-o", tmp_path / "out", "-q")
    assert p.returncode == 2 and "'asr.model' may only name one of" in p.stderr, p.stderr


def test_alias_bomb_participants_row(tmp_path):
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    (tmp_path / "v.txt").write_text(ENGLISH)
    (tmp_path / "m.csv").write_text("id,audio,transcript,participants\nbomb,a.wav,v.txt,bomb.yaml\n"
                                    "other,missing.wav,v.txt,\n")
    p = callfix("batch", tmp_path / "m.csv", "-o", tmp_path / "out", "-q", "--workers", "0")
    summary = (tmp_path / "out" / "summary.csv").read_text()
    assert p.returncode == 1 and "MemoryError" not in p.stderr + summary, p.stderr
    assert "bomb,failed" in summary and "aliases expand" in summary and "other,failed" in summary


def test_checkpoint_with_code_row(tmp_path):
    import torch

    from test_reliability_models import _evil

    marker = tmp_path / "pwned"
    evil = _evil(tmp_path / "evil.pt", marker, lambda x: {"dims": x, "model_state_dict": {}})
    speech = Path(__file__).parent / "data" / "jfk" / "jfk.flac"  # speech: the backend is loaded (then refused)
    p = callfix("transcribe", speech, "-o", tmp_path / "out", "--backend", "openai-whisper",
                "--model", evil, "-q")
    assert p.returncode == 4 and "refused, not a plain weights file" in p.stderr, p.stderr
    assert not marker.exists() and torch


def test_unwritable_store_pull_row(tmp_path):
    (tmp_path / "home").write_text("a file, not a folder")
    p = subprocess.run([sys.executable, "-m", "callfix.cli", "models", "pull", "pyannote-segmentation"],
                       capture_output=True, text=True, timeout=60,
                       env={**ENV, "CALLFIX_HOME": str(tmp_path / "home" / "callfix")})
    assert p.returncode == 3 and "cannot write to the model store" in p.stderr, p.stderr


@pytest.fixture
def aligned(tmp_path, asr) -> Path:
    v = _vendor(tmp_path, "vendor.txt", (ENGLISH.replace("gross", "growth") + "\nThank you operator.\n").encode())
    p = callfix("align", "--asr", asr, "--transcript", v, "-o", tmp_path / "out")
    assert p.returncode == 0, p.stderr
    return tmp_path / "out"


def test_non_integer_paragraph_index_row(aligned):
    import json

    f = aligned / "transcript.json"
    data = json.loads(f.read_text())
    assert len(data["paragraphs"]) == 2
    data["edits"] = [e for e in data["edits"] if e["paragraph"] == 0]
    data["paragraphs"][1]["index"] = '1"><img src=x onerror=alert(1)>'  # a paragraph no edit points at
    f.write_text(json.dumps(data))
    p = callfix("review", aligned)
    assert p.returncode == 2 and "paragraph 1 has index" in p.stderr and p.stderr.count("\n") == 1, p.stderr
    assert "onerror" not in (aligned / "review.html").read_text()  # the page from before stays as it was


def test_deep_json_decisions_row(aligned, tmp_path):
    deep = tmp_path / "decisions.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    p = callfix("apply-review", aligned, deep)
    assert p.returncode == 2 and "nested too deeply" in p.stderr and p.stderr.count("\n") == 1, p.stderr
