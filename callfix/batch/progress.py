"""What a call running in a batch reports: (call id, stage, fraction) events for the batch display."""
from __future__ import annotations

import time

from callfix.progress import DIARIZE_STEPS


class StageReporter:
    """The hook (callfix.progress) a call's pipeline reports to: forwards (call id, stage, fraction) events.

    Diarization runs beside transcription, so its steps are shown next to the transcription's
    fraction instead of taking turns with it on the call's line.
    """

    BESIDE = DIARIZE_STEPS

    def __init__(self, call_id: str, sink, min_interval: float = 0.5):
        self.call_id, self.sink, self.min_interval = call_id, sink, min_interval
        self._last = (None, 0.0)
        self._main: tuple[str, float | None] | None = None
        self._beside: str | None = None

    def __call__(self, stage, artifact=None, *, completed=None, total=None) -> None:
        counted = isinstance(completed, (int, float)) and isinstance(total, (int, float))
        if artifact is not None and not counted:
            return  # a pyannote step handing over its result: nothing to show
        fraction = completed / total if counted and total > 0 else None
        stage = str(stage)
        if stage in self.BESIDE:
            self._beside = f"diarize: {stage}" + (f" {fraction:.0%}" if fraction is not None else "")
        else:
            self._main = (stage, fraction)
        now = time.monotonic()
        # Forward every stage change, but throttle updates within a stage.
        if stage == self._last[0] and now - self._last[1] < self.min_interval and (fraction or 0) < 1:
            return
        self._last = (stage, now)
        if self._main is None:
            label, shown = self._beside, None
        else:
            (label, shown), beside = self._main, self._beside
            label = f"{label} | {beside}" if beside else label
        try:
            self.sink((self.call_id, label, shown))
        except Exception:
            pass  # progress must never fail a call
