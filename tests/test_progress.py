"""One progress hook (callfix.progress): pyannote's signature, silent by default, cancellation by raising."""
import io
import os
import pty
import select
import subprocess
import sys
import threading

import pytest

from batch_fixtures import make_call, write_manifest
from callfix.batch.progress import StageReporter
from callfix.progress import Cancelled, TqdmHook, cancellable, cli_hook, silent


def test_the_default_hook_takes_pyannotes_calls_and_says_nothing(capsys):
    assert silent("segmentation", None, completed=3, total=10) is None
    assert silent("aligning") is None
    with cli_hook(quiet=True) as hook:
        hook("transcribe", completed=1.0, total=2.0)
        hook("aligning")
    assert capsys.readouterr() == ("", "")


def test_a_cancelled_hook_raises_and_an_uncancelled_one_forwards():
    seen, cancel = [], threading.Event()
    hook = cancellable(lambda step, artifact=None, *, completed=None, total=None: seen.append((step, completed, total)),
                       cancel)
    hook("embeddings", [0.5], completed=1, total=4)
    cancel.set()
    with pytest.raises(Cancelled):
        hook("embeddings", [0.5], completed=2, total=4)
    assert seen == [("embeddings", 1, 4)]


def test_the_terminal_hook_draws_counted_steps_and_names_stage_starts():
    out = io.StringIO()
    with TqdmHook(file=out) as hook:
        hook("transcribing and diarizing 12 s of audio")
        hook("transcribe", completed=6.0, total=12.0)
        hook("segmentation", None, completed=2, total=4)
        hook("speaker_counting", object())  # a step handing over its result: nothing to draw
        assert set(hook.bars) == {"transcribe", "segmentation"}
        hook("segmentation", None, completed=4, total=4)  # a finished step's bar is closed
        assert set(hook.bars) == {"transcribe"}
    text = out.getvalue()
    assert "callfix: transcribing and diarizing 12 s of audio" in text
    assert "transcribe" in text and "diarize: segmentation" in text and "speaker_counting" not in text
    assert not hook.bars


def test_a_batch_hook_forwards_counts_and_stage_starts():
    events = []
    report = StageReporter("c1", events.append, min_interval=0)
    report("aligning")
    report("speaker_counting", object())
    assert events == [("c1", "aligning", None)]


@pytest.mark.slow
def test_a_quiet_batch_in_this_process_draws_no_bars_on_a_terminal(tmp_path):
    call = make_call(tmp_path / "calls")
    manifest = write_manifest(tmp_path / "m.csv", [{"id": "c0", "audio": str(call.audio), "transcript": str(call.vendor)}])
    main, child = pty.openpty()  # stderr is a terminal, where the stages used to draw their bars anyway
    p = subprocess.Popen([sys.executable, "-m", "callfix", "batch", str(manifest), "-o", str(tmp_path / "out"), "-q",
                          "--workers", "0"], stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([main], [], [], 600)
        if not ready:
            p.kill()
            pytest.fail("batch hung")
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert p.wait(60) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert "1 done" in text, text
    for bar in ("transcribe", "diarize:", "%|", "callfix: aligning"):
        assert bar not in text, text
