"""A batch driver killed with SIGKILL must not leave its private Ray (GCS, raylet, agents, actors) running."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time

import pytest

from test_reliability_batch import ENV, _tone

from callfix.audio import decode_key
from callfix.batch.resume import file_hash


def descendants(pid: int) -> list[int]:
    """The test's own /proc walk (it checks the product's watchdog, so it does not borrow its code)."""
    kids: dict[int, list[int]] = {}
    for d in filter(str.isdigit, os.listdir("/proc")):
        try:
            kids.setdefault(int(open(f"/proc/{d}/stat").read().rsplit(")", 1)[1].split()[1]), []).append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    out, todo = [], list(kids.get(pid, []))
    while todo:
        out.append(todo.pop())
        todo.extend(kids.get(out[-1], []))
    return out


def _cmdline(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_killed_driver_takes_its_private_ray_with_it(tmp_path):
    pytest.importorskip("ray")
    audio = _tone(tmp_path / "stuck.wav")
    (tmp_path / "v.txt").write_text("Good morning and welcome to the call.\n")
    (tmp_path / "m.csv").write_text("id,audio,transcript\nstuck,stuck.wav,v.txt\n")
    out = tmp_path / "out"
    lock = out / ".cache" / file_hash(audio)[:16] / "audio" / f".{decode_key(audio, 6)}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the call waits on it: the batch stays in flight until we kill it
    driver = subprocess.Popen([sys.executable, "-m", "callfix.cli", "batch", str(tmp_path / "m.csv"), "-o", str(out),
                               "--executor", "ray", "--workers", "1", "-q"], env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs: list = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:  # until the actor holds the call
            procs = descendants(driver.pid)
            if any("CallWorker" in _cmdline(p) for p in procs):
                break
            assert driver.poll() is None, "the batch ended before Ray started"
            time.sleep(1)
        else:
            pytest.fail("Ray did not start its actor in time")
        procs = [p for p in descendants(driver.pid) if "callfix.batch.ray_executor" not in _cmdline(p)]
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in procs):
            time.sleep(0.5)
        assert not [p for p in procs if _alive(p)], [_cmdline(p)[:80] for p in procs if _alive(p)]  # ~210 MB left
    finally:
        os.close(fd)
        for p in procs:  # never leak a Ray onto the machine, whatever the outcome
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        if driver.poll() is None:
            driver.kill()
