"""Faults a batch meets in real life, through the real CLI: bad audio, wrong or oddly encoded transcripts,
a killed batch, a full disk. Each must end in a clear one-line reason (or a correct result), never a traceback,
never a half-written output."""
from __future__ import annotations

import csv
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_fixtures import OTHER_CALL, SCRIPT, make_call, to_flac, write_manifest
from callfix.batch.resume import MARKER, PARTIAL

ZH_PARAGRAPH = "大家好，欢迎参加金山云二零二四年第四季度业绩电话会。我是金山云首席执行官邹涛。"
ENV = {**os.environ, "PYANNOTE_METRICS_ENABLED": "false", "HF_HUB_OFFLINE": "1"}
CLI = [sys.executable, "-m", "callfix.cli"]


def callfix(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=300, **kw)


def _summary(out: Path) -> dict[str, dict]:
    return {r["call_id"]: r for r in csv.DictReader((out / "summary.csv").open())}


def _journal(out: Path) -> list[dict]:
    f = out / "batch-log.jsonl"
    # read while the batch appends: only whole lines count
    return [json.loads(x) for x in f.read_text().split("\n")[:-1]] if f.is_file() else []


def _no_partial_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".part") or (PARTIAL in p.parts and p.is_file())]


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    return make_call(tmp_path_factory.mktemp("good"), "good")


@pytest.mark.slow
def test_bad_inputs_in_one_batch(tmp_path, call):
    d = tmp_path
    (d / "corrupt.flac").write_bytes(b"fLaC" + os.urandom(4000))
    (d / "empty.flac").write_bytes(b"")
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "8",
                    str(d / "silence.flac")], check=True)
    to_flac(call.audio, d / "phone.wav", "-ar", "8000", "-ac", "2")
    (d / "other.txt").write_text(OTHER_CALL, encoding="utf-8")
    # Vendor text with a Mandarin paragraph, in two legacy encodings.
    zh_vendor = ZH_PARAGRAPH + "\n\n" + "\n\n".join(v for _, _, v in SCRIPT) + "\n"
    (d / "gb.txt").write_bytes(zh_vendor.encode("gb18030"))
    (d / "u16.txt").write_bytes(zh_vendor.encode("utf-16"))
    rows = [
        # the vendor text never names the company: the manifest brings its glossary
        {"id": "good", "audio": call.audio, "transcript": call.vendor, "reference": call.reference,
         "glossary": "earnings;kingsoft-cloud"},
        {"id": "corrupt", "audio": d / "corrupt.flac", "transcript": call.vendor},
        {"id": "empty", "audio": d / "empty.flac", "transcript": call.vendor},
        {"id": "silence", "audio": d / "silence.flac", "transcript": call.vendor},
        {"id": "phone", "audio": d / "phone.wav", "transcript": call.vendor, "reference": call.reference,
         "glossary": "earnings;kingsoft-cloud"},
        {"id": "other", "audio": call.audio, "transcript": d / "other.txt"},
        {"id": "gb18030", "audio": call.audio, "transcript": d / "gb.txt"},
        {"id": "utf16", "audio": call.audio, "transcript": d / "u16.txt"},
    ]
    out = d / "out"
    p = callfix("batch", write_manifest(d / "m.csv", rows), "-o", out, "--workers", "1")
    assert p.returncode == 1, p.stderr  # some calls failed
    assert "Traceback" not in p.stderr
    s = _summary(out)
    assert list(s) == [r["id"] for r in rows]

    # Unreadable audio: failed, with the file and the problem on one line; nothing published.
    assert s["corrupt"]["status"] == "failed" and "corrupt.flac" in s["corrupt"]["error"]
    assert "not a readable audio file" in s["corrupt"]["error"] or "could not decode" in s["corrupt"]["error"]
    assert s["empty"]["status"] == "failed" and "empty.flac: empty file" in s["empty"]["error"]
    for cid in ("corrupt", "empty"):
        assert not (out / cid).exists()

    # The good call and the telephone-band stereo copy of it are both corrected.
    for cid in ("good", "phone"):
        assert s[cid]["status"] == "done", s[cid]
        t = json.loads((out / cid / "transcript.json").read_text())
        assert "Kingsoft" in " ".join(w["text"] for seg in t["segments"] for w in seg["words"])
    # telephone band + stereo costs little accuracy and no time shift
    assert float(s["phone"]["wer"]) <= float(s["good"]["wer"]) + 0.15, (s["good"], s["phone"])
    assert abs(float(s["phone"]["audio_seconds"]) - float(s["good"]["audio_seconds"])) < 0.2

    # Silence: a finished call that changes nothing (no evidence, so no edit is applied).
    assert s["silence"]["status"] == "done", s["silence"]
    assert s["silence"]["edits_applied"] == "0"
    t = json.loads((out / "silence" / "transcript.json").read_text())
    assert t["segments"] == [] and all("unverified" in p["flags"] for p in t["paragraphs"])

    # The transcript of another call: aligned coverage is too low, so nothing is "corrected" into it.
    assert s["other"]["status"] == "done", s["other"]
    assert s["other"]["edits_applied"] == "0"
    t = json.loads((out / "other" / "transcript.json").read_text())
    assert t["meta"]["align"]["coverage"] < 0.35 and all("unverified" in p["flags"] for p in t["paragraphs"])

    # GB18030 and UTF-16 transcripts: read correctly, Mandarin intact in the outputs.
    for cid in ("gb18030", "utf16"):
        assert s[cid]["status"] == "done", s[cid]
        assert ZH_PARAGRAPH in (out / cid / "transcript.txt").read_text(encoding="utf-8")

    assert _no_partial_files(out) == []


@pytest.mark.parametrize("enc, name", [("gb18030", "金山云"), ("big5", "金山雲"), ("gb18030", "邹涛"), ("big5", "鄒濤")])
def test_a_few_chinese_names_in_english_text(enc, name):
    from callfix.io.vendor import decode_bytes

    text = "\n\n".join(v for _, _, v in SCRIPT).replace("Google Cloud", f"Google Cloud ({name})") + "\n"
    assert decode_bytes(text.encode(enc), "vendor.txt") == (text, enc)


def test_single_call_bad_input_is_one_line(tmp_path, call):
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    p = callfix("run", empty, "--transcript", call.vendor, "-o", tmp_path / "out")
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [f"callfix: error: {empty}: empty file (0 bytes)"]
    bad = tmp_path / "bad.csv"
    bad.write_text("audio,vendor,colour\nx.wav,x.txt,red\n")
    p = callfix("batch", bad, "-o", tmp_path / "out2")
    assert p.returncode == 2 and p.stderr.strip().splitlines() == [
        f"callfix: error: {bad}:1: unknown column(s) colour (known: audio, transcript, reference, id, languages, glossary, "
        "speakers, participants, set)"]


def _workers_of(pid: int) -> list[int]:
    """Pool worker processes of the batch process ``pid``."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmd:
            out.append(int(stat.parent.name))
    return out


def _wait_for(cond, proc, what: str, timeout: float = 240):
    deadline = time.monotonic() + timeout
    while not cond():
        assert proc.poll() is None, f"batch ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_killed_worker_and_killed_batch_resume_without_loss_or_repeat(tmp_path):
    calls = [make_call(tmp_path / "in", f"k{i}", speed=140 + 15 * i) for i in range(3)]
    manifest = write_manifest(tmp_path / "m.csv", [
        {"id": f"k{i}", "audio": c.audio, "transcript": c.vendor} for i, c in enumerate(calls)])
    out = tmp_path / "out"
    proc = subprocess.Popen([*CLI, "batch", str(manifest), "-o", str(out), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    try:
        _wait_for(lambda: any(e["event"] == "done" for e in _journal(out)), proc, "its first call finished")
        # The worker dies mid-call (as under the OOM killer): that call fails, the batch goes on.
        _wait_for(lambda: _workers_of(proc.pid), proc, "a worker process")
        for w in _workers_of(proc.pid):
            os.kill(w, signal.SIGKILL)
        started = lambda: any(e["call"] == "k2" and e["event"] == "start" for e in _journal(out))  # noqa: E731
        _wait_for(started, proc, "the next call started")
        # Then the whole batch is killed, with no chance to clean up.
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    first = (out / "k0" / MARKER).read_text()
    time.sleep(1.0)  # a surviving worker would publish k2 now
    assert [c for c in ("k1", "k2") if (out / c / MARKER).is_file()] == [], "a call finished after its batch died"
    failed = [e for e in _journal(out) if e["event"] == "failed"]
    assert [e["call"] for e in failed] == ["k1"] and "worker process died" in failed[0]["error"]

    p = callfix("batch", manifest, "-o", out, "--workers", "1")
    assert p.returncode == 0, p.stderr
    s = _summary(out)
    assert [s[c]["status"] for c in ("k0", "k1", "k2")] == ["skipped", "done", "done"]
    assert (out / "k0" / MARKER).read_text() == first  # not redone
    done = [e for e in _journal(out) if e["event"] == "done"]
    assert sorted(e["call"] for e in done) == ["k0", "k1", "k2"]  # each call done exactly once, across both runs
    for e in done:  # and published by the worker the journal names (no stray worker from the killed run)
        assert json.loads((out / e["call"] / MARKER).read_text())["result"]["worker"] == e["worker"]
    assert _no_partial_files(out) == []


def _limit_file_size(n: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))

    return apply


@pytest.mark.slow
def test_disk_full_on_output_write(tmp_path, call):
    """Outputs refused by the disk (RLIMIT_FSIZE: writes past 24 kB fail): one-line error, nothing half-written."""
    manifest = write_manifest(tmp_path / "m.csv", [{"id": "c", "audio": call.audio, "transcript": call.vendor}])
    cache = tmp_path / "cache"
    # Fill the stage cache first, so the limited run fails on writing outputs, not on decoding.
    assert callfix("batch", manifest, "-o", tmp_path / "warm", "--cache", cache, "-q").returncode == 0
    full = tmp_path / "full"
    p = callfix("batch", manifest, "-o", full, "--cache", cache, preexec_fn=_limit_file_size(24_000))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    err = _summary(full)["c"]["error"]
    assert _summary(full)["c"]["status"] == "failed"
    assert "cannot write" in err and "File too large" in err and str(full) in err, err
    assert not (full / "c").exists()  # nothing that looks finished
    assert _no_partial_files(full) == []
    # Space freed: the same command completes the call.
    assert callfix("batch", manifest, "-o", full, "--cache", cache, "-q").returncode == 0
    assert (full / "c" / MARKER).is_file() and _summary(full)["c"]["status"] == "done"
