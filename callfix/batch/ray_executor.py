"""Run a batch on Ray: one long-lived actor per worker, each holding its loaded models across calls.

Cluster: ``--ray-address ray://head:10001`` (Ray client) or ``auto`` / ``head:6379``, or set RAY_ADDRESS;
with neither, a private local Ray is started for the run. Every node must see the manifest's files
and OUT at the same paths (a shared filesystem) and have callfix and its models installed.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from callfix.batch.job import CallResult, call_timeout, model_load_counts, process_call, timed_out
from callfix.batch.manifest import CallSpec
from callfix.batch.progress import StageReporter
from callfix.errors import CallfixError
from callfix.options import AsrOptions, BatchOptions, section


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc), children before grandchildren."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(d))
    out, todo = [], list(children.get(pid, []))
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(children.get(p, []))
    return out


# Run beside a batch that started its own Ray: when the batch process dies, however it dies (its pipe to
# here closes), every process Ray started under it is killed. Ray's own reaper only SIGTERMs its process
# group, which the agents and actor workers have left or ignore.
_WATCHDOG = """
import os, signal, sys
from callfix.batch.ray_executor import descendants
roots = [int(p) for p in sys.argv[2:]]  # argv[1] names this watchdog in ps
sys.stdin.buffer.read()
doomed = [q for p in roots for q in [p, *descendants(p)]]
for p in doomed:
    try:
        os.kill(p, signal.SIGKILL)
    except OSError:
        pass
"""


def start_watchdog(before: set[int]):
    """A watchdog for the processes the driver gained since ``before`` (those ``ray.init`` started)."""
    import subprocess
    import sys

    roots = [p for p in descendants(os.getpid()) if p not in before]
    if not roots or not os.path.isdir("/proc"):
        return None
    return subprocess.Popen([sys.executable, "-c", _WATCHDOG, "callfix.batch.ray_executor", *map(str, roots)],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # not in the group a terminal or Ray's reaper signals


class CallWorker:
    """Ray actor body: runs calls one at a time in one process, so the pipeline's model cache persists."""

    def __init__(self, cfg: dict, out: str, cache: str, progress_queue=None):
        self.cfg, self.out, self.cache, self.queue = cfg, Path(out), Path(cache), progress_queue
        self.name = f"{os.uname().nodename}:{os.getpid()}"
        threads = int(section(cfg, AsrOptions).cpu_threads)
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))

    def run(self, spec: dict) -> dict:
        s = CallSpec.from_dict(spec)
        sink = self.queue.put_nowait if self.queue is not None else (lambda ev: None)
        return process_call(s, self.out, self.cfg, self.cache, StageReporter(s.id, sink, 1.0), self.name).to_dict()

    def model_loads(self) -> dict:
        """How many times this worker has loaded each kind of model (tests check: once, not per call)."""
        return model_load_counts()


class RayExecutor:
    def __init__(self, workers: int, cfg: dict, out: Path, cache: Path, address: str | None = None):
        import ray  # a second or two to import: only a batch on Ray pays it
        from ray.util.queue import Queue
        self.ray = ray
        self.out, self.cache = str(out), str(cache)
        b = section(cfg, BatchOptions)
        address = address or b.ray_address or os.environ.get("RAY_ADDRESS")
        cpus = float(b.ray_cpus_per_worker or 1)
        gpus = float(b.ray_gpus_per_worker or 0)
        self._own = not ray.is_initialized()
        self._watchdog = None
        if self._own:
            before = set(descendants(os.getpid())) if os.path.isdir("/proc") else set()
            try:
                if address:
                    ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
                else:  # a private Ray for this run, sized to hold every actor; no dashboard, no chatter
                    ray.init(num_cpus=max(1, int(workers * cpus + 0.999)), include_dashboard=False,
                             log_to_driver=False, logging_level=logging.ERROR)
            except Exception as e:  # ConnectionError, RuntimeError … from ray.init
                first = str(e).splitlines()[0] if str(e) else e.__class__.__name__
                raise CallfixError(f"cannot start or reach Ray{f' at {address}' if address else ''}: {first}") from None
            if not address:  # a private Ray dies with this process, even a SIGKILLed one
                self._watchdog = start_watchdog(before)
        # Each actor runs its ASR on the CPUs it reserved.
        self.cfg = {**cfg, "asr": {**cfg["asr"], "cpu_threads": max(1, int(cpus))}}
        self.queue = Queue(maxsize=1000, actor_options={"num_cpus": 0})
        self._actor_cls = ray.remote(num_cpus=cpus, num_gpus=gpus, max_restarts=0)(CallWorker)
        self.actors = [self._new_actor() for _ in range(workers)]
        self._idle = list(self.actors)
        self._running: dict = {}  # ObjectRef -> (spec, actor)
        self.limit = call_timeout(cfg)
        self._started: dict = {}  # ObjectRef -> when its call was handed to its actor
        self._stopped: set = set()  # refs whose actor this executor killed for running over the limit

    def _new_actor(self):
        return self._actor_cls.remote(self.cfg, self.out, self.cache, self.queue)

    def has_slot(self) -> bool:
        return bool(self._idle)

    def submit(self, spec: CallSpec) -> str:
        actor = self._idle.pop(0)
        ref = actor.run.remote(spec.to_dict())
        self._running[ref] = (spec, actor)
        self._started[ref] = time.monotonic()
        return "ray"

    def events(self) -> list[tuple]:
        ev = []
        while True:
            try:
                ev.append(self.queue.get_nowait())
            except Exception:  # ray.util.queue.Empty
                return ev

    def poll(self, timeout: float) -> list[CallResult]:
        if not self._running:
            return []
        if self.limit:  # an overdue call's actor is killed: its ref then fails with RayActorError below
            now = time.monotonic()
            for ref, (spec, actor) in self._running.items():
                if ref not in self._stopped and now - self._started[ref] > self.limit:
                    self._stopped.add(ref)
                    self.ray.kill(actor, no_restart=True)
        ready, _ = self.ray.wait(list(self._running), num_returns=1, timeout=timeout)
        out = []
        for ref in ready:
            spec, actor = self._running.pop(ref)
            started = self._started.pop(ref, time.monotonic())
            try:
                out.append(CallResult(**self.ray.get(ref)))
                self._idle.append(actor)
            except Exception as e:  # RayActorError: the actor's process died mid-call
                if ref in self._stopped:
                    self._stopped.discard(ref)
                    out.append(timed_out(spec, time.monotonic() - started, self.limit, "ray"))
                else:
                    out.append(CallResult(spec.id, "failed", error=f"Ray worker died ({e.__class__.__name__})"))
                self.actors.remove(actor)
                fresh = self._new_actor()
                self.actors.append(fresh)
                self._idle.append(fresh)
        return out

    def model_loads(self) -> list[dict]:
        return self.ray.get([a.model_loads.remote() for a in self.actors])

    def close(self) -> None:
        for a in self.actors:
            self.ray.kill(a)
        self.queue.shutdown()
        if self._own:
            self.ray.shutdown()
        if self._watchdog is not None:
            self._watchdog.stdin.close()  # leftovers of the shutdown go too
            self._watchdog.wait(timeout=30)
