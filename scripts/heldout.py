"""Build the held-out test calls, correct each with `callfix run`, and score it: one table per call and channel.

  python scripts/heldout.py                                   # every call under tests/calls/, clean and phone
  python scripts/heldout.py --calls tallyfold-q3 lanting-q2 --channels clean,phone --config fast -o out/heldout

Each call (tests/calls/NAME/script.yaml) is built once per channel into OUT/NAME/CHANNEL/ (skipped
when already built from the same script), then `callfix run` corrects its vendor text into
OUT/NAME/CHANNEL/run/ and the bench scores vendor, ASR-only and corrected text against the exact
reference (callfix.bench), the injected defects (defects.json: applied = fixed by applied edits,
suggested = left to the editor with the right text), the applied edits' precision
(scripts/align_eval.py) and the controls (controls.json: phrases really said that must not change).
Writes OUT/heldout.md and OUT/heldout.json. Calls run one at a time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from align_eval import applied_precision  # noqa: E402

from callfix.bench.score import score_files  # noqa: E402
from callfix.corpus import build_call, load_script  # noqa: E402
from callfix.corpus.controls import controls_kept, read_controls  # noqa: E402
from callfix.errors import CallfixError  # noqa: E402
from callfix.io.atomic import atomic_write_text  # noqa: E402
from callfix.model import Transcript  # noqa: E402

CALLS = ROOT / "tests" / "calls"


def find_calls(names: list[str] | None, split: str | None = None) -> list[Path]:
    found = sorted(p.parent for p in CALLS.glob("*/script.yaml"))
    if split:
        found = [p for p in found if load_script(p / "script.yaml").split == split]
    if not names:
        return found
    by_name = {p.name: p for p in found}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise CallfixError(f"no held-out call {', '.join(missing)} (known: {', '.join(by_name)})")
    return [by_name[n] for n in names]


def script_digest(script: Path) -> str:
    """The script, every recording it names and the corpus builder's code: a change to any rebuilds."""
    h = hashlib.sha256(script.read_bytes())
    for src in sorted((ROOT / "callfix" / "corpus").glob("*.py")):
        h.update(src.read_bytes())
    for ln in load_script(script).lines:
        for clip in ln.audio or []:
            h.update(clip.read_bytes())
    return h.hexdigest()


def build(call: Path, channel: str, dest: Path) -> float:
    """Seconds spent building (0 when the folder already holds this script's build)."""
    stamp = dest / "built.json"
    digest = script_digest(call / "script.yaml")
    if stamp.is_file() and json.loads(stamp.read_text()).get("script_sha256") == digest:
        return 0.0
    t0 = time.perf_counter()
    build_call(call / "script.yaml", dest, channel=channel, clip_cache=dest.parent.parent / ".clips")
    atomic_write_text(stamp, json.dumps({"script_sha256": digest, "channel": channel}) + "\n")
    return time.perf_counter() - t0


def write_participants(call: Path, dest: Path) -> Path:
    """The call's participants as an IR team would list them (name, role, firm): the script's speakers."""
    people = [{k: v for k, v in (("name", sp.name), ("role", sp.role), ("organization", sp.organization)) if v}
              for sp in load_script(call / "script.yaml").speakers.values() if (sp.role or "").lower() != "operator"]
    path = dest / "participants.json"
    atomic_write_text(path, json.dumps(people, ensure_ascii=False, indent=1) + "\n")
    return path


def run(dest: Path, config: str | None, sets: list[str], keep_cache: bool = False,
        participants: Path | None = None) -> tuple[Path, float]:
    """`callfix run` afresh (its stage cache is keyed by config, not by code: a stale ASR would hide a change)."""
    out = dest / "run"
    if not keep_cache:
        shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "callfix.cli", "run", str(dest / "call.flac"), "--transcript", str(dest / "vendor.txt"),
           "-o", str(out), "-q"]
    if config:
        cmd += ["--config", config]
    if participants:
        cmd += ["--participants", str(participants)]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise CallfixError(f"callfix run failed on {dest}: {(r.stderr.strip().splitlines() or ['no output'])[-1]}")
    return out, time.perf_counter() - t0


def speech_coverage(asr_json: Path) -> float | None:
    """Share of VAD speech covered by ASR words, where asr.json's meta reports it."""
    meta = json.loads(asr_json.read_text(encoding="utf-8")).get("meta", {}).get("asr", {})
    v = meta.get("coverage", meta.get("speech_coverage"))
    return v if isinstance(v, (int, float)) else None


def score(dest: Path, out: Path) -> dict:
    res = score_files(dest / "reference.json", {"vendor": dest / "vendor.txt", "asr": out / "asr.json",
                                                "corrected": out / "transcript.json"},
                      name=f"{dest.parent.name}/{dest.name}", defects=dest / "defects.json")
    src = res["sources"]
    defects = json.loads((dest / "defects.json").read_text(encoding="utf-8"))["defects"]
    stray = {d["paragraph"] for d in defects if d["type"] == "not_in_audio"}
    corrected = Transcript.load(out / "transcript.json")
    ref_lines = (dest / "reference.txt").read_text(encoding="utf-8").splitlines()
    prec = applied_precision(corrected, ref_lines, stray)
    ctrl = controls_kept(read_controls(dest / "controls.json"), corrected)
    dr = src["corrected"]["defects"]
    missed = [{"id": d["id"], "type": d["type"], "wrong": d["wrong"][:60], "right": d["right"][:60],
               "suggested": d["id"] in dr["suggested_ids"]} for d in defects if d["id"] not in dr["fixed_ids"]]
    wrong_edits = [{"id": e.id, "vendor": e.vendor, "replacement": e.replacement}
                   for e in corrected.edits if e.id in set(prec["wrong"])]
    return {
        "call": dest.parent.name, "channel": dest.name,
        "wer_en": {s: src[s]["wer_en"]["rate"] for s in ("vendor", "asr", "corrected")},
        "english_words": res["reference"]["english_words"],
        "cer_zh": ({s: src[s]["cer_zh"]["rate"] for s in ("vendor", "asr", "corrected")}
                   if res["reference"]["chinese_chars"] else None),
        "chinese_chars": res["reference"]["chinese_chars"],
        "defects": {"n": dr["injected"], "applied": dr["fixed"], "suggested": dr["suggested"], "by_type": dr["by_type"]},
        "missed": missed,
        "applied_edits": prec["applied"], "applied_right": prec["applied_right"], "precision": prec["precision"],
        "wrong_edits": wrong_edits,
        "controls": ctrl,
        "speech_coverage": speech_coverage(out / "asr.json"),
        "duration": corrected.duration,
    }


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def to_markdown(r: dict) -> str:
    w, c, d = r["wer_en"], r["cer_zh"], r["defects"]
    rows = [f"### {r['call']} — {r['channel']} ({r.get('split', 'test')} split, {r['duration'] / 60:.1f} min, "
            f"run {r['run_seconds']:.0f} s)", "",
            "| metric | vendor | ASR only | corrected |", "|---|---|---|---|",
            f"| WER English ({r['english_words']} words) | {_pct(w['vendor'])} | {_pct(w['asr'])} | {_pct(w['corrected'])} |"]
    if c:
        rows.append(f"| CER Mandarin ({r['chinese_chars']} chars) | {_pct(c['vendor'])} | {_pct(c['asr'])} | {_pct(c['corrected'])} |")
    rows += [f"| injected defects applied / suggested / of N | – | – | {d['applied']} / {d['suggested']} / {d['n']} |",
             f"| applied-edit precision | – | – | {r['applied_right']}/{r['applied_edits']} ({_pct(r['precision'])}) |",
             f"| controls kept | – | – | {r['controls']['kept']} of {r['controls']['n']} |",
             f"| speech coverage (asr.json) | – | {_pct(r['speech_coverage'])} | – |", ""]
    if r["missed"]:
        rows.append("missed: " + "; ".join(f"{m['id']} {m['type']} {m['wrong']!r}→{m['right']!r}"
                                           + (" (suggested)" if m["suggested"] else "") for m in r["missed"]))
    if r["wrong_edits"]:
        rows.append("wrong applied edits: " + "; ".join(f"{e['vendor']!r}→{e['replacement']!r}" for e in r["wrong_edits"]))
    if r["controls"]["changed"]:
        rows.append("controls changed: " + "; ".join(f"{c['id']} {c['text']!r}" for c in r["controls"]["changed"]))
    return "\n".join(rows) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", nargs="+", help="call names (folders of tests/calls/); default: all")
    ap.add_argument("--split", choices=["dev", "test"], help="only the calls of this split (script key `split:`): "
                    "tune on dev, report on test")
    ap.add_argument("--channels", default="clean,phone", help="comma-separated channels (default clean,phone)")
    ap.add_argument("--config", help="profile or YAML passed to callfix run (default: callfix/configs/default.yaml)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to callfix run")
    ap.add_argument("-o", "--out", type=Path, default=ROOT / "out" / "heldout")
    ap.add_argument("--keep-cache", action="store_true", help="reuse the previous run's ASR/diarization cache")
    ap.add_argument("--participants", action="store_true", help="give `callfix run` the call's participants "
                    "(name, role, firm of each speaker but the operator), as an IR team knows them")
    a = ap.parse_args()
    command = "python scripts/heldout.py " + " ".join(shlex.quote(x) for x in sys.argv[1:])
    try:
        calls = find_calls(a.calls, a.split)
        channels = [c.strip() for c in a.channels.split(",") if c.strip()]
        results: list[dict] = []
        for call in calls:
            for ch in channels:
                dest = a.out / call.name / ch
                took = build(call, ch, dest)
                if took:
                    print(f"built {dest} in {took:.0f} s", file=sys.stderr)
                people = write_participants(call, dest) if a.participants else None
                out, secs = run(dest, a.config, a.set, a.keep_cache, people)
                r = score(dest, out)
                r["run_seconds"] = round(secs, 1)
                r["split"] = load_script(call / "script.yaml").split
                results.append(r)
                print(to_markdown(r), flush=True)
                md = f"# Held-out calls\n\n`{command}`\n\n" + "\n".join(to_markdown(x) for x in results)
                atomic_write_text(a.out / "heldout.md", md)
                atomic_write_text(a.out / "heldout.json", json.dumps(
                    {"command": command, "config": a.config, "sets": a.set, "results": results},
                    ensure_ascii=False, indent=1) + "\n")
    except CallfixError as e:
        print(f"heldout: {e}", file=sys.stderr)
        return 1
    print(f"wrote {a.out / 'heldout.md'} and {a.out / 'heldout.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
