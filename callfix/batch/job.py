"""One call of a batch: run the pipeline into a private build folder, score it, publish it whole."""
from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from callfix.batch import resume
from callfix.batch.manifest import CallSpec
from callfix.bench import read_doc, score_call
from callfix.config import merge
from callfix.errors import CallfixError, InputError
from callfix.io.atomic import atomic_write_text
from callfix.io.references import from_transcript
from callfix.io.vendor import read_vendor
from callfix.options import BatchOptions, Options, section
from callfix.pipeline import run_call
from callfix.progress import Hook, silent

LOG_DIR = ".logs"


@dataclass
class CallResult:
    id: str
    status: str  # "done" | "skipped" (finished by an earlier run) | "failed"
    seconds: float | None = None  # wall time of the run that made the outputs
    audio_seconds: float | None = None
    rtf: float | None = None
    speech_coverage: float | None = None  # share of the call's speech the ASR words cover
    wer_vendor: float | None = None  # vendor transcript vs reference
    wer: float | None = None  # corrected transcript vs reference
    edits_applied: int | None = None
    error: str = ""
    worker: str = ""
    model_loads: dict | None = None  # models loaded so far by the worker process that ran the call

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def call_config(base_cfg: dict, spec: CallSpec) -> dict:
    return merge(base_cfg, spec.overrides)


def skipped(spec: CallSpec, marker: dict) -> CallResult:
    m = marker.get("result", {})
    keep = {k: m.get(k) for k in ("seconds", "audio_seconds", "rtf", "speech_coverage", "wer_vendor", "wer",
                                  "edits_applied")}
    return CallResult(spec.id, "skipped", **keep)


def one_line(e: BaseException) -> str:
    if isinstance(e, CallfixError):
        msg = str(e)
    else:
        msg = f"{e.__class__.__name__}: {e}"
    lines = [ln.strip() for ln in msg.splitlines() if ln.strip()]
    return lines[0] if lines else e.__class__.__name__


def process_call(
    spec: CallSpec,
    out_root: Path,
    base_cfg: dict,
    cache_dir: Path | None,
    hook: Hook = silent,
    worker: str = "",
) -> CallResult:
    """Run one call; never raises for a problem with this call (the result says what failed)."""
    out_root = Path(out_root)
    cfg = call_config(base_cfg, spec)
    t0 = time.perf_counter()
    build: Path | None = None
    try:
        if spec.problem:
            raise InputError(spec.problem)
        fp = resume.fingerprint(spec, cfg)
        build = resume.partial_dir(out_root, spec.id)
        # One cache folder per audio content: the pipeline decodes into <cache>/audio/, which concurrent calls
        # on different audio must not share; calls on the same audio still share their ASR and diarization.
        call_cache = Path(cache_dir) / (fp["inputs"]["audio"] or spec.id)[:16] if cache_dir is not None else None
        t = run_call(spec.audio, spec.transcript, build, cfg, cache_dir=call_cache, hook=hook,
                     participants=spec.participants)
        seconds = time.perf_counter() - t0
        dur = t.duration or None
        res = CallResult(spec.id, "done", round(seconds, 2), round(dur, 2) if dur else None,
                         round(seconds / dur, 3) if dur else None, worker=worker)
        res.model_loads = model_load_counts()
        res.speech_coverage = t.meta.get("asr", {}).get("coverage")
        res.edits_applied = sum(1 for e in t.edits if e.decision == "applied")
        if spec.reference is not None:
            try:
                res.wer_vendor, res.wer = score(t, spec)
            except CallfixError as e:  # the outputs stand; only the benchmark is missing
                res.error = f"not scored: {one_line(e)}"
        marker = {
            "call": spec.id,
            "fingerprint": fp,
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "result": res.to_dict(),
            "source": spec.to_dict(),
        }
        resume.publish(build, out_root / spec.id, marker)
        build = None
        return res
    except Exception as e:  # a failed call is recorded; the batch goes on
        _log_failure(out_root, spec, e)
        return CallResult(spec.id, "failed", round(time.perf_counter() - t0, 2), error=one_line(e), worker=worker)
    finally:
        if build is not None:
            shutil.rmtree(build, ignore_errors=True)


def score(t, spec: CallSpec) -> tuple[float | None, float | None]:
    """Error rate of the vendor text and of the corrected text against the call's reference:
    WER for an English call, mixed error rate (words + Mandarin characters) when the reference holds Mandarin."""
    ref = read_doc(spec.reference)
    res = score_call(ref, {"vendor": from_transcript(read_vendor(spec.transcript), str(spec.transcript)),
                           "corrected": from_transcript(t, "corrected")}, name=spec.id)
    key = "mer" if res["reference"]["chinese_chars"] else "wer_en"
    return tuple(_round(res["sources"][src][key]["rate"]) for src in ("vendor", "corrected"))


def model_load_counts() -> dict[str, int]:
    """Models this process has loaded so far, by stage (a worker should load each once, not per call)."""
    counts = {}
    # Both stages' modules import their model libraries (faster-whisper; torch and pyannote): only a worker that
    # has run a call has them loaded already.
    from callfix.asr.backends import LOAD_COUNT

    from callfix.diarize import pipeline as dia

    counts["asr"] = LOAD_COUNT["n"]
    # the same loaded pipeline object from call to call means it was not reloaded
    counts["diarize_object"] = [id(p) for p in dia._CACHE.values()]
    return counts


def _round(x):
    return None if x is None else round(float(x), 4)


def _log_failure(out_root: Path, spec: CallSpec, e: BaseException) -> None:
    """Keep the full traceback for whoever debugs it; the summary gets one line."""
    try:
        text = f"{spec.id}: {one_line(e)}\n\n" + "".join(traceback.format_exception(e))
        atomic_write_text(out_root / LOG_DIR / f"{spec.id}.log", text)
    except CallfixError:
        pass  # the disk that refused the outputs may refuse the log too


def call_timeout(cfg: BatchOptions | Options | dict) -> float:
    """batch.call_timeout_seconds as a number (0: no limit)."""
    return max(0.0, float(section(cfg, BatchOptions).call_timeout_seconds or 0))


def timed_out(spec: CallSpec, seconds: float, limit: float, worker: str = "") -> CallResult:
    return CallResult(spec.id, "failed", round(seconds, 2), worker=worker,
                      error=f"timed out after {limit:g} s (batch.call_timeout_seconds); the call was stopped")
