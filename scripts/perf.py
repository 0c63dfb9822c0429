#!/usr/bin/env python
"""Performance of callfix on long calls (not a test): prints a table and writes it to OUT/perf.md.

Measures, in one run:
  * the whole pipeline (`run_call`, cold cache) on a 10- and a 60-minute call, with the default
    profile and with `--config fast`: wall time and real-time factor per stage, and peak RSS (each
    run in its own process, RSS from wait4);
  * plain faster-whisper `WhisperModel(...).transcribe()` on the same audio (pipeline / plain is
    the headline ratio; goal <= 1.5x);
  * acoustic verification of the edits inside alignment, against transcription time (goal <= 10%);
  * language routing: `callfix transcribe` of this checkout against a baseline revision (default
    fb416e8^, the last one with one language per 30 s group and no check of decoded units), the
    two one after the other on the same call, in CPU seconds (goal <= 1.10x);
  * word alignment of a 10k-word call (goal < 2 s);
  * batch throughput with 1 vs 2 workers.

The long calls loop the demo call (examples/kingsoft-q4-demo, built from its script if absent),
so the vendor text is the demo's vendor text repeated once per loop.

  python scripts/perf.py                     # everything (60 min of audio takes a while on 2 cores)
  python scripts/perf.py --minutes 10        # skip the 60-minute call
  python scripts/perf.py --skip plain,batch  # parts: pipeline, plain, routing, align, batch
  python scripts/perf.py --profiles default  # only the default profile
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "kingsoft-q4-demo"
PARTS = ("pipeline", "plain", "routing", "align", "batch")
ROUTING_BASELINE = "fb416e8^"  # one language per 30 s group, decoded units not checked
PROFILES = ("default", "fast")  # callfix/configs/<name>.yaml; "default" is callfix/configs/default.yaml alone
SEQUENTIAL = ("decode", "speech", "align", "outputs")  # run_call's stages in order; speech = transcribe || diarize

# callfix is imported inside each measured part, not here: every measurement runs this file again in a fresh
# process (``child``), and its peak RSS and time must hold only what that part loads (plain faster-whisper without
# callfix's stages, the pipeline without the benchmark's own imports).
os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


# ---------------------------------------------------------------- inputs

def demo_call(work: Path) -> tuple[Path, Path]:
    """The demo call's audio and vendor text (built from its script into `work` when not built yet)."""
    audio, vendor = DEMO / "call.flac", DEMO / "vendor.txt"
    if audio.is_file() and vendor.is_file():
        return audio, vendor
    built = work / "demo"
    if not (built / "call.flac").is_file():
        # imported in the part that uses it: see the note on imports at the top
        from callfix.corpus import build_call

        print(f"building the demo call from {DEMO / 'script.yaml'} ...", file=sys.stderr)
        build_call(DEMO / "script.yaml", built)
    return built / "call.flac", built / "vendor.txt"


def duration(path: Path) -> float:
    # imported in the part that uses it: see the note on imports at the top
    from callfix.audio import probe

    return probe(path).duration


def looped_call(clip: Path, vendor: Path, minutes: float, dest: Path) -> tuple[Path, Path, float]:
    """A call of about `minutes` made of whole loops of `clip` (and its vendor text repeated as often)."""
    dest.mkdir(parents=True, exist_ok=True)
    d = duration(clip)
    loops = max(1, round(minutes * 60 / d))
    audio, text = dest / f"call-{minutes:g}m.flac", dest / f"call-{minutes:g}m.vendor.txt"
    if not audio.is_file():
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-stream_loop", str(loops - 1), "-i", str(clip),
                        "-ac", "1", "-ar", "16000", str(audio)], check=True)
    body = vendor.read_text(encoding="utf-8").strip()
    text.write_text("\n\n".join([body] * loops) + "\n", encoding="utf-8")
    return audio, text, loops * d


def distinct_clips(clip: Path, n: int, seconds: float, dest: Path) -> list[Path]:
    """n different calls of `seconds` each (different start offsets, so no stage cache is shared)."""
    dest.mkdir(parents=True, exist_ok=True)
    d = duration(clip)
    out = []
    for i in range(n):
        p = dest / f"clip{i}.flac"
        if not p.is_file():
            start = (i * d / max(n, 1)) % d
            subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-stream_loop", "-1", "-ss", f"{start:.2f}", "-i", str(clip),
                            "-t", f"{seconds:.2f}", "-ac", "1", "-ar", "16000", str(p)], check=True)
        out.append(p)
    return out


# ---------------------------------------------------------------- child processes (one measurement each)

def child(argv: list[str]) -> dict:
    """Run `perf.py _<kind> ...` in a fresh process; its peak RSS comes from wait4, not from ourselves."""
    proc = subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"perf: {' '.join(argv[:2])} failed (exit {proc.returncode})")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = ru.ru_maxrss / 1024  # kilobytes on Linux
    res["cpu_seconds"] = ru.ru_utime + ru.ru_stime  # unlike wall time, barely moved by other load on the machine
    return res


def _pipeline(audio: str, vendor: str, out: str, profile: str = "") -> dict:
    """Cold run of the whole pipeline; stage times from the pipeline's own timings."""
    # imported in the part that uses it: see the note on imports at the top
    from callfix.config import load_config
    from callfix.pipeline import run_call

    import threading

    samples: list[tuple[float, float]] = []  # (wall, process CPU) every 0.2 s: CPU per stage afterwards
    stop = threading.Event()

    def sample():
        while not stop.wait(0.2):
            samples.append((time.perf_counter(), time.process_time()))

    threading.Thread(target=sample, daemon=True).start()
    t0, c0 = time.perf_counter(), time.process_time()
    samples.append((t0, c0))
    t = run_call(Path(audio), Path(vendor), Path(out), load_config(profile or None), cache_dir=Path(out) / ".cache")
    total = time.perf_counter() - t0
    stop.set()
    samples.append((time.perf_counter(), time.process_time()))
    stages = t.meta["timings"]
    cpu, edge, prev = {}, t0, c0
    for name in SEQUENTIAL:  # transcribe and diarize run side by side inside "speech"
        if name not in stages:
            continue
        edge += stages[name]
        at = min(samples, key=lambda s: abs(s[0] - edge))[1]
        cpu[name], prev = max(0.0, at - prev), at
    return {"seconds": total, "audio_seconds": t.duration, "stages": stages, "stage_cpu": cpu, "words": len(t.words),
            "verify": t.meta.get("align", {}).get("verify")}


def _plain(audio: str) -> dict:
    """faster-whisper as a user would call it, on the same model and threads as the pipeline."""
    # imported in the part that uses it: see the note on imports at the top
    from faster_whisper import WhisperModel

    from callfix import store
    from callfix.config import load_config

    cfg = load_config()["asr"]
    t0 = time.perf_counter()
    m = WhisperModel(str(store.locate(cfg["model"])), device="cpu", compute_type="int8", cpu_threads=cfg["cpu_threads"])
    load = time.perf_counter() - t0
    segs, info = m.transcribe(audio, beam_size=cfg["beam_size"])
    words = sum(len(s.text.split()) for s in segs)
    return {"seconds": time.perf_counter() - t0, "load_seconds": load, "audio_seconds": info.duration, "words": words}


# ---------------------------------------------------------------- routing against a baseline revision

def transcribe_cost(audio: Path, tree: Path, out: Path) -> dict:
    """`callfix transcribe` of the checkout at `tree` on `audio`, in a fresh process: wall, CPU, peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    # cwd = tree: `-m callfix` imports the working directory's package before PYTHONPATH's
    proc = subprocess.Popen([sys.executable, "-m", "callfix", "transcribe", str(audio), "-o", str(out), "-q"],
                            cwd=tree, env=env)
    _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"perf: callfix transcribe in {tree} failed on {audio}")
    meta = json.loads((out / "asr.json").read_text()).get("meta", {}).get("asr", {})
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": ru.ru_utime + ru.ru_stime,
            "peak_rss_mb": ru.ru_maxrss / 1024, "units": len(meta.get("units", [])),
            "retries": len(meta.get("retries", [])), "extra_language_passes": meta.get("extra_language_passes")}


def routing_cost(audio: Path, work: Path, baseline: str) -> dict:
    """Transcription by the baseline revision, then by this checkout, on the same call."""
    tree = work / f"rev-{baseline.replace('^', '-parent').replace('/', '-')}"
    if not (tree / "callfix").is_dir():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", baseline], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    out = {}
    for name, src in (("baseline", tree), ("current", ROOT)):
        print(f"routing: callfix transcribe ({name}) on {audio.name} ...", file=sys.stderr)
        out[name] = transcribe_cost(audio, src, work / f"transcribe-{audio.stem}-{name}")
    out["revision"] = baseline
    return out


# ---------------------------------------------------------------- alignment of 10k words

def align_10k(transcript_json: Path, vendor: Path, n_words: int = 10_000) -> dict:
    """Align a 10k-word call: the measured call's ASR words and vendor text, repeated to 10k words."""
    # imported in the part that uses it: see the note on imports at the top
    from callfix.align import align_call
    from callfix.io.vendor import read_vendor
    from callfix.align.aligner import align_tokens
    from callfix.config import load_config
    from callfix.model import Segment, Transcript

    t = Transcript.load(transcript_json)
    segs, shift = [], 0.0
    while sum(len(s.words) for s in segs) < n_words:
        for s in t.segments:
            c = Segment.__new__(Segment)
            c.__dict__.update(s.__dict__)
            c.words = [type(w)(**{**w.__dict__, "start": w.start + shift, "end": w.end + shift}) for w in s.words]
            c.start, c.end = s.start + shift, s.end + shift
            segs.append(c)
        shift += t.duration or 0.0
    ev = Transcript(audio=t.audio, duration=shift, languages=t.languages, segments=segs, turns=[], speakers=t.speakers)
    ev.turns = [type(x)(x.speaker, x.start + k * (t.duration or 0), x.end + k * (t.duration or 0))
                for k in range(max(1, round(shift / (t.duration or 1)))) for x in t.turns]
    words = ev.words
    body = vendor.read_text(encoding="utf-8").strip()
    n_vendor = len(body.split())
    reps = max(1, math.ceil(len(words) / max(1, n_vendor)))
    big_vendor = vendor.parent / f"{vendor.stem}.10k.txt"
    big_vendor.write_text("\n\n".join([body] * reps) + "\n", encoding="utf-8")
    v = read_vendor(big_vendor)

    a = [w.text.lower().strip(".,?!") for w in words]
    b = [tok.text.lower().strip(".,?!") for p in v.paragraphs for tok in p.tokens]
    t0 = time.perf_counter()
    align_tokens(a, b)
    tokens_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    align_call(ev, v, load_config())
    call_s = time.perf_counter() - t0
    return {"asr_words": len(a), "vendor_words": len(b), "align_tokens_seconds": tokens_s, "align_call_seconds": call_s}


# ---------------------------------------------------------------- batch throughput

def batch_throughput(clips: list[Path], vendor: Path, work: Path, workers: int) -> dict:
    # imported in the part that uses it: see the note on imports at the top
    from callfix.batch import run_batch
    from callfix.config import load_config

    out = work / f"batch-w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    manifest = out / "manifest.csv"
    manifest.write_text("id,audio,transcript\n" + "".join(f"c{i},{c},{vendor}\n" for i, c in enumerate(clips)))
    t0 = time.perf_counter()
    results = run_batch(manifest, out / "out", load_config(), workers=workers, executor="local", quiet=True)
    wall = time.perf_counter() - t0
    audio = sum(r.audio_seconds or 0 for r in results)
    failed = [r for r in results if r.status != "done"]
    if failed:
        raise SystemExit(f"perf: batch call {failed[0].id} {failed[0].status}: {failed[0].error}")
    return {"workers": workers, "calls": len(results), "wall_seconds": wall, "audio_seconds": audio,
            "calls_per_hour": len(results) * 3600 / wall, "rtf": wall / audio}


# ---------------------------------------------------------------- report

def table(res: dict) -> str:
    lines = ["| measurement | value |", "|---|---|"]
    if "load_before" in res:
        # other work on the machine inflates every time below: say how busy it was
        lines.append(f"| machine | {res['cpu_count']} cores, load average {res['load_before']:.1f} at start"
                     + (f", {res['load_after']:.1f} at end |" if "load_after" in res else " |"))
    for m, r in sorted(res.get("calls", {}).items(), key=lambda kv: float(kv[0])):
        runs, q = r.get("pipeline") or {}, r.get("plain")
        label = f"{float(m):g}-min call ({r['audio_seconds'] / 60:.1f} min audio)"
        if q:
            lines.append(f"| {label}: plain faster-whisper transcribe() | {_run_cell(q, r)} |")
        for prof, p in runs.items():
            lines.append(f"| {label}: pipeline, {prof} profile | {_run_cell(p, r)} |")
            for st, s in p["stages"].items():
                c = p.get("stage_cpu", {}).get(st)
                note = " (side by side)" if st in ("transcribe", "diarize") else ""
                lines.append(f"| &nbsp;&nbsp;stage {st}{note} | {s:.1f} s wall" + (f" ({c:.0f} s CPU)" if c is not None else "")
                             + f", RTF {s / r['audio_seconds']:.3f} |")
            v = p.get("verify")
            if v and p["stages"].get("transcribe"):
                lines.append(f"| &nbsp;&nbsp;of align: acoustic verification ({v['windows']} windows, {v['rows']} wordings, "
                             f"{v['stretches']} edits) | {v['seconds']:.1f} s wall"
                             + (f" ({v['cpu_seconds']:.0f} s CPU)" if "cpu_seconds" in v else "") + f", **{v['seconds'] / p['stages']['transcribe']:.1%}** "
                             f"of transcription (goal <= 10%) |")
            if q:
                lines.append(f"| {label}: **pipeline ({prof}) / plain** | **{p['seconds'] / q['seconds']:.2f}x** wall, "
                             f"{p['cpu_seconds'] / q['cpu_seconds']:.2f}x CPU (goal <= 1.5x) |")
        rt = r.get("routing")
        if rt:
            for name in ("baseline", "current"):
                x = rt[name]
                rev = f"revision {rt['revision']}" if name == "baseline" else "this checkout"
                lines.append(f"| {label}: `callfix transcribe`, {rev} | {_run_cell(x, r)}; {x['units']} units, "
                             f"{x['retries']} decoded again, {x['extra_language_passes'] or 0} extra language passes |")
            b, c = rt["baseline"], rt["current"]
            lines.append(f"| {label}: **routing, this checkout / baseline** | **{c['cpu_seconds'] / b['cpu_seconds']:.2f}x** CPU, "
                         f"{c['seconds'] / b['seconds']:.2f}x wall (goal <= 1.10x) |")
    mins = sorted((m for m, r in res.get("calls", {}).items() if (r.get("pipeline") or {}).get("default")), key=float)
    if len(mins) >= 2:
        a, b = (res["calls"][k]["pipeline"]["default"]["peak_rss_mb"] for k in (mins[0], mins[-1]))
        lines.append(f"| peak RSS {float(mins[-1]):g} min / {float(mins[0]):g} min (default profile) | {b / a:.2f} (goal: flat, ~1.0) |")
    if "align" in res:
        a = res["align"]
        lines.append(f"| align {a['asr_words']} ASR words x {a['vendor_words']} vendor words: token alignment | {a['align_tokens_seconds']:.2f} s (goal < 2 s) |")
        lines.append(f"| &nbsp;&nbsp;whole align_call (alignment + evidence + decisions) | {a['align_call_seconds']:.2f} s |")
    for b in res.get("batch", []):
        lines.append(f"| batch {b['calls']} x {b['audio_seconds'] / b['calls'] / 60:.1f}-min calls, {b['workers']} worker(s) | {b['wall_seconds']:.1f} s, {b['calls_per_hour']:.0f} calls/h, RTF {b['rtf']:.3f} |")
    if len(res.get("batch", [])) == 2:
        one, two = res["batch"]
        lines.append(f"| batch speed-up 2 vs 1 worker | {one['wall_seconds'] / two['wall_seconds']:.2f}x |")
    return "\n".join(lines)


def _run_cell(p: dict, r: dict) -> str:
    return (f"{p['seconds']:.1f} s wall ({p['cpu_seconds']:.0f} s CPU), RTF {p['seconds'] / r['audio_seconds']:.3f}, "
            f"peak RSS {p['peak_rss_mb']:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[10, 60], help="call lengths to measure (default: 10 60)")
    ap.add_argument("--profiles", default=",".join(PROFILES),
                    help=f"config profiles the pipeline runs with (default {','.join(PROFILES)})")
    ap.add_argument("--skip", default="", help=f"comma-separated parts to skip: {', '.join(PARTS)}")
    ap.add_argument("--routing-baseline", default=ROUTING_BASELINE,
                    help=f"revision the routing part compares this checkout with (default {ROUTING_BASELINE})")
    ap.add_argument("--batch-calls", type=int, default=4, help="calls in the throughput batch (default 4)")
    ap.add_argument("--batch-seconds", type=float, default=60, help="length of each throughput call (default 60 s)")
    ap.add_argument("-o", "--out", default=str(ROOT / "out" / "perf"), help="work and results folder (default out/perf)")
    ap.add_argument("--keep", action="store_true", help="keep earlier results (OUT/perf.json) of the parts not measured now")
    args = ap.parse_args(argv)
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if skip - set(PARTS):
        ap.error(f"--skip: unknown part(s) {', '.join(sorted(skip - set(PARTS)))}")
    profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
    work = Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    clip, vendor = demo_call(work)
    res: dict = {"clip": str(clip), "clip_seconds": duration(clip), "cpu_count": os.cpu_count(), "calls": {},
                 "load_before": os.getloadavg()[0]}
    if args.keep and (work / "perf.json").is_file():
        old = json.loads((work / "perf.json").read_text())
        res = {**old, "load_before": max(old.get("load_before", 0), res["load_before"])}
    last_json = None
    for m in args.minutes:
        audio, text, secs = looped_call(clip, vendor, m, work / "calls")
        r = res["calls"].setdefault(str(m), {})
        r.update({"audio": str(audio), "audio_seconds": secs})
        if "pipeline" not in skip:
            r["pipeline"] = r.get("pipeline", {}) if args.keep else {}  # --keep: other profiles' runs stay
            for prof in profiles:
                out = work / f"run-{m:g}m-{prof}"
                shutil.rmtree(out, ignore_errors=True)
                print(f"pipeline ({prof}) on {audio.name} ({secs / 60:.1f} min) ...", file=sys.stderr)
                r["pipeline"][prof] = child(["_pipeline", str(audio), str(text), str(out), "" if prof == "default" else prof])
                last_json = out / "transcript.json"
        if "plain" not in skip:
            print(f"plain faster-whisper on {audio.name} ...", file=sys.stderr)
            r["plain"] = child(["_plain", str(audio)])
        if "routing" not in skip:
            r["routing"] = routing_cost(audio, work, args.routing_baseline)
        _save(work, res)
    if "align" not in skip:
        if last_json is None or not last_json.is_file():
            cands = sorted(work.glob("run-*m-*/transcript.json"))
            last_json = cands[-1] if cands else None
        if last_json is None:
            print("align: skipped (needs a pipeline run's transcript.json)", file=sys.stderr)
        else:
            print("alignment of 10k words ...", file=sys.stderr)
            res["align"] = align_10k(last_json, vendor if vendor.parent != DEMO else _copy(vendor, work))
    if "batch" not in skip:
        clips = distinct_clips(clip, args.batch_calls, args.batch_seconds, work / "batch-clips")
        v = _copy(vendor, work)
        res["batch"] = []
        for w in (1, 2):
            print(f"batch of {len(clips)} calls, {w} worker(s) ...", file=sys.stderr)
            res["batch"].append(batch_throughput(clips, v, work, w))
    res["load_after"] = os.getloadavg()[0]
    _save(work, res)
    print(table(res))
    return 0


def _copy(vendor: Path, work: Path) -> Path:
    dest = work / "vendor.txt"
    shutil.copyfile(vendor, dest)
    return dest


def _save(work: Path, res: dict) -> None:
    (work / "perf.json").write_text(json.dumps(res, indent=1))
    (work / "perf.md").write_text(f"# callfix performance ({os.cpu_count()} CPU cores)\n\n{table(res)}\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("_pipeline", "_plain"):
        fn = {"_pipeline": _pipeline, "_plain": _plain}[sys.argv[1]]
        print(json.dumps(fn(*sys.argv[2:])))
        sys.exit(0)
    sys.exit(main())
