"""Run a manifest of calls: skip finished ones, run the rest on a local process pool (or Ray), record everything.

Records in OUT/:
  <call id>/        the call's outputs, with DONE.json written last (see resume.py)
  summary.csv       one row per call: status, seconds, RTF, WER, error (rewritten after every call)
  batch-log.jsonl   append-only journal of start/done/failed/skipped events across runs
  .cache/<audio hash>/  stage results (decoded audio, ASR, diarization), reused by later runs and by calls on the same audio
  .logs/<id>.log    full traceback of a failed call
"""
from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import signal
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from callfix.batch import resume
from callfix.batch.display import Display
from callfix.batch.job import LOG_DIR, CallResult, call_config, call_timeout, process_call, skipped, timed_out
from callfix.batch.manifest import CallSpec, load_manifest
from callfix.batch.progress import StageReporter
from callfix.batch.ray_executor import RayExecutor
from callfix.config import merge
from callfix.errors import CallfixError, OutputError
from callfix.io.atomic import atomic_write_text
from callfix.options import AsrOptions, BatchOptions, Options, section
from callfix.progress import silent

SUMMARY_FIELDS = ["call_id", "status", "seconds", "audio_seconds", "rtf", "speech_coverage", "wer_vendor", "wer",
                  "edits_applied", "error"]
JOURNAL = "batch-log.jsonl"
CACHE = ".cache"


def run_batch(
    manifest: str | Path | list[CallSpec],
    out_dir: str | Path,
    cfg: dict,
    workers: int | None = None,
    executor: str | None = None,
    ray_address: str | None = None,
    cache_dir: str | Path | None = None,
    force: bool = False,
    quiet: bool = False,
) -> list[CallResult]:
    """Process every call of ``manifest`` into ``out_dir``/<call id>/; returns one result per call, in order."""
    specs = manifest if isinstance(manifest, list) else load_manifest(manifest)
    bopts = Options.of(cfg).batch  # the whole config checked once, before any call starts
    workers = int(workers if workers is not None else bopts.workers)
    executor = executor or bopts.executor
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create output folder ({e.strerror})") from None
    cache = Path(cache_dir) if cache_dir else out / CACHE

    with _lock(out):
        resume.clear_partials(out)
        run_id = uuid.uuid4().hex[:8]
        journal = Journal(out / JOURNAL, run_id)
        results: dict[str, CallResult] = {s.id: CallResult(s.id, "pending") for s in specs}
        todo: list[CallSpec] = []
        for s in specs:
            marker = None if force else resume.is_finished(out / s.id, resume.fingerprint(s, call_config(cfg, s)))
            if marker:
                results[s.id] = skipped(s, marker)
                journal.write(s.id, "skipped")
            else:
                todo.append(s)
        write_summary(out, results.values())

        display = Display(len(specs), quiet=quiet)
        display.skipped(len(specs) - len(todo))
        try:
            if todo:
                ex = make_executor(executor, workers, cfg, out, cache, ray_address, quiet)
                try:
                    for r in _schedule(ex, todo, display, journal):
                        results[r.id] = r
                        write_summary(out, results.values())
                finally:
                    ex.close()
        finally:
            display.close()
        return [results[s.id] for s in specs]


def make_executor(kind: str, workers: int, cfg: dict, out: Path, cache: Path, ray_address: str | None,
                  quiet: bool = False):
    if kind == "local":
        if workers < 0:
            raise CallfixError(f"--workers {workers}: must be 0 (in this process) or more")
        return InlineExecutor(cfg, out, cache, quiet) if workers == 0 else PoolExecutor(max(1, workers), cfg, out, cache)
    if kind == "ray":
        return RayExecutor(max(1, workers), cfg, out, cache, ray_address)
    raise CallfixError(f"unknown executor '{kind}' (choose: local, ray)")


def _schedule(ex, todo: list[CallSpec], display: Display, journal: "Journal") -> Iterator[CallResult]:
    """Keep every worker busy with one call; yield results as calls finish."""
    queue = list(todo)
    running: dict[str, CallSpec] = {}
    if isinstance(ex, InlineExecutor):  # the call runs on this thread: show its stages as they happen
        ex.sink = lambda ev: display.stage(*ev)
    while queue or running:
        while queue and ex.has_slot():
            s = queue.pop(0)
            worker = ex.submit(s)
            running[s.id] = s
            journal.write(s.id, "start", worker=worker)
            display.started(s.id, worker)
        for call_id, stage, frac in ex.events():
            display.stage(call_id, stage, frac)
        for r in ex.poll(0.2):
            running.pop(r.id, None)
            journal.write(r.id, r.status, seconds=r.seconds, error=r.error or None, worker=r.worker, loads=r.model_loads)
            display.finished(r)
            yield r


class CallTimeout(CallfixError):
    pass


class _alarm:
    """Raise CallTimeout in this (main) thread after ``limit`` seconds."""

    def __init__(self, limit: float):
        self.limit = limit

    def __enter__(self):
        import threading

        self.armed = bool(self.limit) and threading.current_thread() is threading.main_thread()
        if self.armed:
            def ring(signum, frame):
                raise CallTimeout(f"timed out after {self.limit:g} s (batch.call_timeout_seconds); the call was stopped")

            self.old = signal.signal(signal.SIGALRM, ring)
            signal.setitimer(signal.ITIMER_REAL, self.limit)
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.old)


class InlineExecutor:
    """workers=0: calls run one after another inside the batch process itself (no isolation)."""

    def __init__(self, cfg: dict, out: Path, cache: Path, quiet: bool = False):
        self.cfg, self.out, self.cache, self.quiet = cfg, out, cache, quiet
        self._pending: list[CallSpec] = []
        self._events: list[tuple] = []
        self.sink = self._events.append

    def has_slot(self) -> bool:
        return not self._pending

    def submit(self, spec: CallSpec) -> str:
        self._pending.append(spec)
        return "main"

    def events(self) -> list[tuple]:
        ev, self._events = self._events, []
        return ev

    def poll(self, timeout: float) -> list[CallResult]:
        if not self._pending:
            return []
        spec = self._pending.pop()
        hook = silent if self.quiet else StageReporter(spec.id, self.sink)
        limit = call_timeout(self.cfg)
        with _alarm(limit):  # no process to kill here: the call is interrupted where Python next runs
            return [process_call(spec, self.out, self.cfg, self.cache, hook, "main")]

    def close(self) -> None:
        pass


class PoolExecutor:
    """N worker processes; each keeps its loaded models between calls (the pipeline caches them per process)."""

    def __init__(self, workers: int, cfg: dict, out: Path, cache: Path):
        import multiprocessing as mp

        self.workers, self.out, self.cache = workers, out, cache
        self.cfg = worker_config(cfg, workers)
        self.limit = call_timeout(cfg)
        self._ctx = mp.get_context("spawn")  # torch and fork do not mix
        self._queue = self._ctx.Queue()
        self._pool = self._new_pool()
        self._running: dict[Future, CallSpec] = {}
        self._started: dict[str, float] = {}  # call id -> when it was handed to the pool
        self._pids: dict[str, int] = {}  # call id -> the worker process running it (it says so first)
        self._events: list[tuple] = []
        self._stopped: set[str] = set()  # calls this executor killed for running over the limit

    def _new_pool(self) -> ProcessPoolExecutor:
        threads = section(self.cfg, AsrOptions).cpu_threads
        return ProcessPoolExecutor(self.workers, mp_context=self._ctx, initializer=_worker_init,
                                   initargs=(self._queue, threads, str(self.out / LOG_DIR)))

    def has_slot(self) -> bool:
        return len(self._running) < self.workers

    def submit(self, spec: CallSpec) -> str:
        fut = self._pool.submit(_worker_call, spec.to_dict(), str(self.out), self.cfg, str(self.cache))
        self._running[fut] = spec
        self._started[spec.id] = time.monotonic()
        return "pool"

    def _drain(self) -> None:
        try:
            while True:
                ev = self._queue.get_nowait()
                if ev[1] == PID_EVENT:
                    self._pids[ev[0]] = ev[2]
                else:
                    self._events.append(ev)
        except Exception:  # queue.Empty, or a queue broken by a dead worker
            pass

    def events(self) -> list[tuple]:
        self._drain()
        ev, self._events = self._events, []
        return ev

    def _stop_overdue(self) -> None:
        """Kill the worker of every call over batch.call_timeout_seconds (its pool breaks; see poll)."""
        if not self.limit:
            return
        self._drain()
        now = time.monotonic()
        for spec in self._running.values():
            pid = self._pids.get(spec.id)
            if spec.id not in self._stopped and pid and now - self._started[spec.id] > self.limit:
                self._stopped.add(spec.id)
                try:
                    os.kill(pid, signal.SIGKILL)  # a call stuck in C code (a decoder, a regex) ignores anything softer
                except ProcessLookupError:
                    pass

    def poll(self, timeout: float) -> list[CallResult]:
        if not self._running:
            return []
        self._stop_overdue()
        done, _ = wait(list(self._running), timeout=timeout, return_when=FIRST_COMPLETED)
        out = []
        broken = False
        lost: list[CallSpec] = []
        for fut in done:
            spec = self._running.pop(fut)
            try:
                out.append(CallResult(**fut.result()))
            except BrokenProcessPool:
                broken = True
                lost.append(spec)
        if broken:
            # Every call in flight on the broken pool is lost. A call we stopped is recorded as timed out and
            # the others beside it are run again; after any other death (killed, out of memory) all are failed.
            lost += list(self._running.values())
            self._running.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            ours = any(s.id in self._stopped for s in lost)
            for spec in lost:
                if spec.id in self._stopped:
                    out.append(timed_out(spec, time.monotonic() - self._started[spec.id], self.limit,
                                         f"pid {self._pids.get(spec.id, '?')}"))
                elif ours:
                    self.submit(spec)
                else:
                    out.append(CallResult(spec.id, "failed", error="worker process died (killed or out of memory)"))
        for r in out:
            self._started.pop(r.id, None)
            self._pids.pop(r.id, None)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._queue.close()


def worker_config(cfg: dict, workers: int) -> dict:
    """Split the machine's cores between workers (a speed knob only: not part of any cache key)."""
    per = section(cfg, BatchOptions).threads_per_worker or "auto"
    threads = max(1, (os.cpu_count() or 1) // max(1, workers)) if per == "auto" else int(per)
    return merge(cfg, {"asr": {"cpu_threads": threads}})


_Q = None


def _worker_init(queue, threads: int, log_dir: str) -> None:
    global _Q
    _Q = queue
    _die_with_parent()
    quiet_worker(Path(log_dir))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    os.environ.setdefault("MKL_NUM_THREADS", str(threads))


PID_EVENT = "\0pid"  # (call id, PID_EVENT, pid): which worker runs a call, so an overdue one can be stopped


def _worker_call(spec: dict, out: str, cfg: dict, cache: str) -> dict:
    s = CallSpec.from_dict(spec)
    sink = _Q.put_nowait if _Q is not None else (lambda ev: None)
    if _Q is not None:
        _Q.put((s.id, PID_EVENT, os.getpid()))
    return process_call(s, Path(out), cfg, Path(cache), StageReporter(s.id, sink), f"pid {os.getpid()}").to_dict()


def quiet_worker(log_dir: Path) -> None:
    """A worker's own console output (stage bars, library warnings) goes to a log, not over the batch display."""
    import sys

    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        f = open(log_dir / f"worker-{os.getpid()}.log", "a", buffering=1, encoding="utf-8")
        sys.stdout = sys.stderr = f
        os.dup2(f.fileno(), 1)
        os.dup2(f.fileno(), 2)
    except OSError:
        pass  # no log folder (disk full): keep the console


def _die_with_parent() -> None:
    """A worker must not outlive a killed batch: it would publish into a folder a resumed run is rebuilding."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)
    except OSError:
        pass  # not Linux: workers stop when their call queue closes


class Journal:
    """Append-only log of what each run did to each call (a resumed run can be audited against it)."""

    def __init__(self, path: Path, run_id: str):
        self.path, self.run_id = path, run_id

    def write(self, call_id: str, event: str, **kw) -> None:
        rec = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "run": self.run_id,
               "call": call_id, "event": event, **{k: v for k, v in kw.items() if v is not None}}
        line = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)  # one write per record: O_APPEND keeps records whole
            finally:
                os.close(fd)
        except OSError as e:
            raise OutputError(f"{self.path}: cannot write ({e.strerror})") from None


def write_summary(out: Path, results) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, SUMMARY_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in results:
        d = r.to_dict()
        d["call_id"] = d.pop("id")
        w.writerow({k: ("" if d.get(k) is None else d.get(k)) for k in SUMMARY_FIELDS})
    return atomic_write_text(out / "summary.csv", buf.getvalue())


class _lock:
    """One batch at a time per output folder (the lock dies with its process, so a kill never leaves it stuck)."""

    def __init__(self, out: Path):
        self.path = out / ".lock"

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise CallfixError(f"{self.path.parent}: another callfix batch is writing to this folder") from None
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
