#!/usr/bin/env python3
"""Diarization error rate of `callfix diarize` on calls with an exact or published RTTM.

Builds synthetic 4–6 speaker calls (scripts/diarize_synth.py: espeak-ng voices, telephone band,
noise, some overlap), adds any extra WAV/FLAC + RTTM pairs given with --call, runs the
configured pipeline and prints DER (pyannote.metrics) at collar 0.25 and 0, the speaker count
found, and the real-time factor (wall clock, and CPU time of this process: the wall figure
includes waiting for other work on a shared machine).

    python scripts/der_eval.py [--work /tmp/der] [--call AUDIO RTTM]... [--set diarize.threshold=0.6]
    python scripts/der_eval.py --sweep diarize.threshold=0.5,0.6,0.7   # tune one knob
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diarize_synth import build_call, pick_voices, random_script  # noqa: E402

from callfix.audio import decode  # noqa: E402
from callfix.config import load_config, set_dotted  # noqa: E402
from callfix.diarize.pipeline import diarize_waveform  # noqa: E402
from callfix.diarize.rttm import read_rttm, turns_to_annotation  # noqa: E402

# (uri, speakers, turns, seed, telephone band, SNR dB, overlap rate)
SYNTHETIC = [
    ("syn4a", 4, 28, 11, True, 25.0, 0.10),
    ("syn5a", 5, 34, 12, True, 20.0, 0.10),
    ("syn6a", 6, 40, 13, True, 25.0, 0.10),
    ("syn4b", 4, 28, 14, False, None, 0.05),
    ("syn5b", 5, 34, 15, False, 30.0, 0.15),
    ("syn6b", 6, 40, 16, True, 15.0, 0.10),
]


def synthetic_calls(work: Path) -> list[tuple[str, Path, Path]]:
    calls = []
    for uri, n, turns, seed, phone, snr, ov in SYNTHETIC:
        wav, rttm = work / f"{uri}.wav", work / f"{uri}.rttm"
        if not (wav.is_file() and rttm.is_file()):
            build_call(work, random_script(n, turns, seed, overlap_rate=ov), pick_voices(n), phone, snr, seed, uri=uri)
        calls.append((uri, wav, rttm))
    return calls


def score(ref_turns, hyp_turns, uri: str, duration: float) -> dict:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref = turns_to_annotation(ref_turns, uri)
    hyp = turns_to_annotation(hyp_turns, uri)
    uem = Timeline([Segment(0, duration)], uri=uri)
    out = {}
    for collar in (0.25, 0.0):
        out[collar] = DiarizationErrorRate(collar=collar, skip_overlap=False)(ref, hyp, uem=uem)
    return out


def evaluate(cfg: dict, calls, workdir: Path) -> list[dict]:
    rows = []
    for uri, audio_path, rttm in calls:
        audio = decode(audio_path, workdir / uri)
        ref = read_rttm(rttm).get(uri) or next(iter(read_rttm(rttm).values()))
        t0, c0 = time.perf_counter(), time.process_time()
        hyp = diarize_waveform(audio.as_float(), cfg, progress=False, uri=uri)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        der = score(ref, hyp, uri, audio.duration)
        rows.append({
            "uri": uri, "dur": audio.duration, "ref_spk": len({t.speaker for t in ref}),
            "hyp_spk": len({t.speaker for t in hyp}), "der25": der[0.25], "der0": der[0.0], "rtf": dt / audio.duration, "cpu_rtf": cpu / audio.duration,
        })
    return rows


def print_table(rows: list[dict], title: str = "") -> None:
    if title:
        print(f"\n## {title}")
    print(f"{'call':<22}{'dur s':>8}{'ref spk':>9}{'hyp spk':>9}{'DER@.25':>9}{'DER@0':>8}{'RTF':>7}{'CPU RTF':>9}")
    for r in rows:
        print(f"{r['uri']:<22}{r['dur']:>8.1f}{r['ref_spk']:>9}{r['hyp_spk']:>9}"
              f"{100 * r['der25']:>8.1f}%{100 * r['der0']:>7.1f}%{r['rtf']:>7.3f}{r['cpu_rtf']:>9.3f}")
    if len(rows) > 1:
        m = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
        print(f"{'mean':<22}{'':>8}{'':>9}{'':>9}{100 * m('der25'):>8.1f}%{100 * m('der0'):>7.1f}%{m('rtf'):>7.3f}{m('cpu_rtf'):>9.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "callfix-der")
    ap.add_argument("--call", nargs=2, action="append", default=[], metavar=("AUDIO", "RTTM"))
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--sweep", help="KEY=V1,V2,… evaluate each value")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    cfg = load_config()
    for item in a.set:
        k, v = item.split("=", 1)
        set_dotted(cfg, k, v)
    calls = [] if a.no_synthetic else synthetic_calls(a.work)
    for audio, rttm in a.call:
        calls.append((Path(audio).stem, Path(audio), Path(rttm)))
    if a.sweep:
        key, values = a.sweep.split("=", 1)
        for v in values.split(","):
            set_dotted(cfg, key, v)
            print_table(evaluate(cfg, calls, a.work), f"{key}={v}")
    else:
        d = cfg["diarize"]
        print_table(evaluate(cfg, calls, a.work),
                    f"pipeline={d['pipeline']} segmentation={d['segmentation']} embedding={d['embedding']} "
                    f"{d['clustering']} {d.get('method')} threshold={d.get('threshold')}")


if __name__ == "__main__":
    main()
