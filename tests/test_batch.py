"""`callfix batch` end to end on short synthetic calls with the real models: resume, cache, failures, Ray."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from batch_fixtures import make_call, write_manifest
from callfix.batch import run_batch
from callfix.batch.resume import MARKER, PARTIAL
from callfix.config import load_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    d = tmp_path_factory.mktemp("calls")
    return [make_call(d, f"call{i}", speed=150 + 12 * i) for i in range(3)]


def _journal(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "batch-log.jsonl").read_text().splitlines()]


def _summary(out: Path) -> dict[str, dict]:
    return {r["call_id"]: r for r in csv.DictReader((out / "summary.csv").open())}


def _cache_files(out: Path, stage: str) -> set[str]:
    return {p.name for p in (out / ".cache").glob(f"*/{stage}/*.json")}


def test_batch_resume_cache_and_failure(tmp_path, calls):
    a, b, _ = calls
    gloss = tmp_path / "extra.yaml"
    gloss.write_text("confusions: {}\n")
    manifest = tmp_path / "m.csv"
    rows = [
        {"id": "a", "audio": str(a.audio), "transcript": str(a.vendor), "reference": str(a.reference)},
        {"id": "b", "audio": str(b.audio), "transcript": str(b.vendor)},
        {"id": "lost", "audio": str(tmp_path / "missing.flac"), "transcript": str(b.vendor)},
    ]
    write_manifest(manifest, rows)
    manifest.write_text(manifest.read_text().replace("id,audio,transcript,reference", "id,audio,transcript,reference,glossary")
                        .replace(f"{a.reference}\n", f"{a.reference},earnings;extra.yaml\n"))
    out = tmp_path / "out"
    cfg = load_config()

    r1 = {r.id: r for r in run_batch(manifest, out, cfg, workers=0, quiet=True)}
    assert r1["a"].status == "done" and r1["b"].status == "done", r1
    assert r1["lost"].status == "failed" and "missing.flac" in r1["lost"].error and "\n" not in r1["lost"].error
    for cid in ("a", "b"):
        assert (out / cid / MARKER).is_file() and (out / cid / "transcript.json").is_file()
        assert r1[cid].rtf and r1[cid].rtf > 0
    assert not (out / "lost").exists() and not any((out / PARTIAL).iterdir())
    assert (out / ".logs" / "lost.log").is_file()  # the full traceback, for whoever debugs it
    s = _summary(out)
    assert [s[c]["status"] for c in ("a", "b", "lost")] == ["done", "done", "failed"]
    assert s["a"]["wer"] != "" and s["b"]["wer"] == ""  # scored only where a reference is given
    assert 0 <= float(s["a"]["wer"]) < float(s["a"]["wer_vendor"]) + 0.5

    # Re-run: nothing finished is redone; the failed call is tried again.
    marker_a = (out / "a" / MARKER).read_text()
    r2 = {r.id: r for r in run_batch(manifest, out, cfg, workers=0, quiet=True)}
    assert (r2["a"].status, r2["b"].status, r2["lost"].status) == ("skipped", "skipped", "failed")
    assert r2["a"].wer == r1["a"].wer  # carried from the marker into the new summary
    assert (out / "a" / MARKER).read_text() == marker_a

    # A glossary edited in place (a new confusion, no new hotword): call a is redone; ASR and diarization come from the cache.
    asr, dia = _cache_files(out, "asr"), _cache_files(out, "diarize")
    assert len(asr) == 2 and len(dia) == 2
    gloss.write_text("confusions: {Google Cloud: Kingsoft Cloud}\n")
    r3 = {r.id: r for r in run_batch(manifest, out, cfg, workers=0, quiet=True)}
    assert (r3["a"].status, r3["b"].status) == ("done", "skipped")
    assert _cache_files(out, "asr") == asr and _cache_files(out, "diarize") == dia
    assert (out / "a" / MARKER).read_text() != marker_a

    events = [(e["call"], e["event"]) for e in _journal(out)]
    assert events.count(("a", "done")) == 2 and events.count(("b", "done")) == 1
    assert events.count(("lost", "failed")) == 3


def test_batch_on_ray_loads_models_once_per_actor(tmp_path, calls):
    ray = pytest.importorskip("ray")
    manifest = write_manifest(tmp_path / "m.csv", [
        {"id": f"c{i}", "audio": str(c.audio), "transcript": str(c.vendor)} for i, c in enumerate(calls)
    ])
    out = tmp_path / "out"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        res = run_batch(manifest, out, load_config(), workers=2, executor="ray", quiet=True)
    finally:
        ray.shutdown()
    assert [r.status for r in res] == ["done"] * 3, [r.error for r in res]
    by_worker: dict[str, list[dict]] = {}
    for e in _journal(out):
        if e["event"] == "done":
            by_worker.setdefault(e["worker"], []).append(e["loads"])
    assert len(by_worker) == 2  # both actors worked
    for loads in by_worker.values():
        # each actor loaded Whisper once and kept the same diarization pipeline for all its calls
        assert all(x["asr"] == 1 for x in loads), loads
        if "diarize_object" in loads[0]:
            assert all(x["diarize_object"] == loads[0]["diarize_object"] for x in loads)
        else:
            assert all(x["diarize"] == 1 for x in loads)
    assert max(len(v) for v in by_worker.values()) == 2  # one actor ran two calls without reloading
