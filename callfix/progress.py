"""Progress: one hook for every stage, with pyannote's signature.

    hook(step, artifact=None, *, completed=None, total=None)

A stage calls it with counts (``completed`` of ``total``: seconds transcribed, batches segmented or embedded) or,
at the start of a stage, with the step alone ("aligning"). pyannote calls its steps with their artifact. The
default is ``silent``; the CLI passes a ``TqdmHook``, a batch a hook forwarding to its display; a hook that raises
stops the stage calling it (``cancellable``).
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Protocol

from tqdm import tqdm

from callfix.errors import CallfixError

DIARIZE_STEPS = frozenset({"segmentation", "embeddings"})  # pyannote's steps that report counts
UNITS = {"transcribe": "s"}  # a step's count unit on its bar (else pyannote's batches)


class Hook(Protocol):
    def __call__(self, step: str, artifact: Any = None, *, completed: float | None = None,
                 total: float | None = None) -> None: ...


def silent(step: str, artifact: Any = None, *, completed: float | None = None, total: float | None = None) -> None:
    """The default hook: reports nothing."""


class Cancelled(CallfixError):
    """A run stopped because its caller no longer needs it (another stage failed)."""


def cancellable(hook: Hook, cancel: threading.Event) -> Hook:
    """``hook`` that first raises ``Cancelled`` once ``cancel`` is set: the stage stops at its next report."""

    def check(step, artifact=None, *, completed=None, total=None):
        if cancel.is_set():
            raise Cancelled(f"{step}: cancelled")
        hook(step, artifact, completed=completed, total=total)

    return check


class TqdmHook:
    """One tqdm bar per counted step on stderr, and a `callfix: <step>` line when a stage starts."""

    def __init__(self, file=None):
        self.file = file or sys.stderr
        self.bars: dict[str, tqdm] = {}
        self._lock = threading.Lock()  # transcription and diarization report from two threads

    def __call__(self, step, artifact=None, *, completed=None, total=None) -> None:
        with self._lock:
            if completed is not None and total is not None:
                bar = self.bars.get(step)
                if bar is None:
                    label = f"diarize: {step}" if step in DIARIZE_STEPS else step
                    bar = self.bars[step] = tqdm(total=total, desc=label, unit=UNITS.get(step, "batch"),
                                                 leave=False, file=self.file)
                bar.update(completed - bar.n)
                if completed >= total:
                    self.bars.pop(step).close()
            elif artifact is None:
                tqdm.write(f"callfix: {step}", file=self.file)

    def close(self) -> None:
        with self._lock:
            for bar in self.bars.values():
                bar.close()
            self.bars.clear()

    def __enter__(self) -> "TqdmHook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Silent:
    def __call__(self, step, artifact=None, *, completed=None, total=None) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def cli_hook(quiet: bool):
    """What a command shows, as a context manager that closes its bars: nothing with -q, else bars and stage lines."""
    return _Silent() if quiet else TqdmHook()
