"""Progress of a batch: one bar across calls, one line per running call with its current stage.

On a terminal this is a live rich display; otherwise (logs, CI) one plain line per finished call.
"""
from __future__ import annotations

import sys

from callfix.batch.job import CallResult


def describe(r: CallResult) -> str:
    parts = [f"{r.id} {r.status}"]
    if r.seconds is not None and r.status != "failed":
        parts.append(f"{r.seconds:.1f} s")
    if r.rtf is not None and r.status != "failed":
        parts.append(f"RTF {r.rtf:.2f}")
    if r.wer is not None:
        parts.append(f"WER {r.wer:.1%}" + (f" (vendor {r.wer_vendor:.1%})" if r.wer_vendor is not None else ""))
    if r.error:
        parts.append(f"- {r.error}")
    return " ".join(parts)


class Display:
    def __init__(self, total: int, quiet: bool = False, stream=None):
        self.total, self.quiet = total, quiet
        self.stream = stream or sys.stderr
        self.finished_n = 0
        self._live = None
        self._tasks: dict[str, int] = {}
        if not quiet and self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._live = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(file=self.stream), transient=False,
            )
            self._overall = self._live.add_task("calls", total=total)
            self._live.start()

    def skipped(self, n: int) -> None:
        if n:
            self._advance(n)
            self._print(f"{n} call(s) already finished: skipped")

    def started(self, call_id: str, worker: str = "") -> None:
        if self._live:
            label = f"  {call_id}" + (f" [{worker}]" if worker else "")
            self._tasks[call_id] = self._live.add_task(label, total=None)  # pulses until a stage reports a fraction

    def stage(self, call_id: str, stage: str, fraction: float | None = None) -> None:
        task = self._tasks.get(call_id)
        if self._live and task is not None:
            desc = self._live.tasks[self._index(task)].description.split(" · ")[0]
            kw = {"description": f"{desc} · {stage}"}
            if fraction is not None:
                kw.update(total=100, completed=max(0.0, min(1.0, fraction)) * 100)
            self._live.update(task, **kw)

    def finished(self, r: CallResult) -> None:
        task = self._tasks.pop(r.id, None)
        if self._live and task is not None:
            self._live.remove_task(task)
        self._advance(1)
        self._print(f"[{self.finished_n}/{self.total}] {describe(r)}", error=r.status == "failed")

    def close(self) -> None:
        if self._live:
            self._live.stop()
            self._live = None

    def _index(self, task_id: int) -> int:
        return next(i for i, t in enumerate(self._live.tasks) if t.id == task_id)

    def _advance(self, n: int) -> None:
        self.finished_n += n
        if self._live:
            self._live.update(self._overall, completed=self.finished_n)

    def _print(self, line: str, error: bool = False) -> None:
        if self._live:
            self._live.console.print(line, markup=False, highlight=False)
        elif not self.quiet or error:
            print(f"callfix batch: {line}", file=self.stream, flush=True)
