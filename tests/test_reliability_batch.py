"""A call that never finishes must not stall a batch: batch.call_timeout_seconds stops it, summary.csv says
so, and the batch goes on. The hang here is a real one: a peer holding the lock of the call's audio cache."""
from __future__ import annotations

import csv
import fcntl
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from callfix.audio import decode_key
from callfix.batch.resume import file_hash

ENV = {**os.environ, "PYANNOTE_METRICS_ENABLED": "false", "HF_HUB_OFFLINE": "1"}


def _tone(path: Path) -> Path:
    t = np.arange(16000) / 16000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((0.2 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes())
    return path


@pytest.mark.parametrize("workers", ["1", "0"])
def test_a_call_over_the_timeout_is_stopped_and_recorded(tmp_path, workers):
    audio = _tone(tmp_path / "stuck.wav")
    (tmp_path / "v.txt").write_text("Good morning and welcome to the call.\n")
    (tmp_path / "m.csv").write_text("id,audio,transcript\nstuck,stuck.wav,v.txt\nnext,missing.wav,v.txt\n")
    out = tmp_path / "out"
    # The batch decodes the call into OUT/.cache/<audio hash>/audio/: hold that decode's lock, as a stuck peer would.
    lock = out / ".cache" / file_hash(audio)[:16] / "audio" / f".{decode_key(audio, 6)}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        p = subprocess.run([sys.executable, "-m", "callfix.cli", "batch", str(tmp_path / "m.csv"), "-o", str(out),
                            "--workers", workers, "-q", "--set", "batch.call_timeout_seconds=3"],
                           capture_output=True, text=True, env=ENV, timeout=120)  # before: hung here for good
    finally:
        os.close(fd)
    assert p.returncode == 1, p.stderr
    rows = {r["call_id"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["stuck"]["status"] == "failed"
    assert rows["stuck"]["error"].startswith("timed out after 3 s (batch.call_timeout_seconds)")
    assert float(rows["stuck"]["seconds"]) >= 3
    assert rows["next"]["status"] == "failed" and "file not found" in rows["next"]["error"]  # the batch went on
    assert "Traceback" not in p.stderr


def test_bad_timeout_value_is_one_line(tmp_path):
    from callfix.batch.job import call_timeout
    from callfix.errors import CallfixError

    assert call_timeout({"batch": {"call_timeout_seconds": None}}) == 0
    assert call_timeout({"batch": {"call_timeout_seconds": "90"}}) == 90
    with pytest.raises(CallfixError, match="batch.call_timeout_seconds='soon': expected a number"):
        call_timeout({"batch": {"call_timeout_seconds": "soon"}})
