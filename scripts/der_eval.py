#!/usr/bin/env python3
"""Diarization error rate of `callfix diarize` on recordings with an exact or published RTTM.

Recordings come from folders of audio + RTTM pairs (``NAME.wav|flac|mp3`` beside ``NAME.rttm``;
a ``NAME.uem`` limits scoring to its spans; a ``NAME.asr.json`` from ``callfix transcribe`` lets the
call's structure refine the turns, as ``callfix run`` does), from ``--call AUDIO RTTM`` pairs, and, unless
``--no-synthetic``, from synthetic 4–6 speaker calls (scripts/diarize_synth.py: espeak-ng voices,
telephone band, noise, some overlap). For each recording it prints DER (pyannote.metrics) at
collar 0.25 and 0, the speaker count found against the true one, and the real-time factor (wall
clock, and CPU time of this process: the wall figure includes waiting for other work on a shared
machine).

    python scripts/der_eval.py --folder tests/data/ami-excerpts --no-synthetic
    python scripts/der_eval.py --folder DIR --variant base= --variant seg3=diarize.segmentation=pyannote-segmentation-3.0
    python scripts/der_eval.py --sweep diarize.threshold=0.5,0.6,0.7     # tune one knob
    python scripts/der_eval.py --folder DIR --oracle-speakers             # --num-speakers = the true count
    python scripts/der_eval.py --folder DIR --oracle-clustering           # perfect clustering: what segmentation allows
    python scripts/der_eval.py --folder DIR --cache /tmp/der-cache --variant …   # later runs skip both model passes

A variant is ``NAME=KEY=VALUE;KEY=VALUE…`` over the configuration (and ``--set``). Variants that
differ only after the embedding step share one segmentation and one embedding pass per recording.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diarize_synth import build_call, pick_voices, random_script  # noqa: E402

from callfix.audio import decode  # noqa: E402
from callfix.config import load_config, set_dotted  # noqa: E402
from callfix.diarize.pipeline import diarize_waveform, fill_pauses, load_pipeline  # noqa: E402
from callfix.diarize.structure import StructureOptions, refine_turns  # noqa: E402
from callfix.io.rttm import read_rttm  # noqa: E402
from callfix.model import Transcript  # noqa: E402
from callfix.options import DiarizeOptions, section  # noqa: E402
from callfix.turns import Turns  # noqa: E402

# (uri, speakers, turns, seed, telephone band, SNR dB, overlap rate)
SYNTHETIC = [
    ("syn4a", 4, 28, 11, True, 25.0, 0.10),
    ("syn5a", 5, 34, 12, True, 20.0, 0.10),
    ("syn6a", 6, 40, 13, True, 25.0, 0.10),
    ("syn4b", 4, 28, 14, False, None, 0.05),
    ("syn5b", 5, 34, 15, False, 30.0, 0.15),
    ("syn6b", 6, 40, 16, True, 15.0, 0.10),
]
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".m4a")
# Keys that decide segmentation and embeddings; variants equal on these share both passes.
FRONT_KEYS = ("pipeline", "segmentation", "segmentation_step", "segmentation_threshold",
              "embedding", "embedding_runtime", "embedding_exclude_overlap")


def synthetic_calls(work: Path) -> list[tuple[str, Path, Path]]:
    calls = []
    for uri, n, turns, seed, phone, snr, ov in SYNTHETIC:
        wav, rttm = work / f"{uri}.wav", work / f"{uri}.rttm"
        if not (wav.is_file() and rttm.is_file()):
            build_call(work, random_script(n, turns, seed, overlap_rate=ov), pick_voices(n), phone, snr, seed, uri=uri)
        calls.append((uri, wav, rttm))
    return calls


def folder_calls(folder: Path) -> list[tuple[str, Path, Path]]:
    """Audio files of ``folder`` (and its subfolders) that have an RTTM of the same stem beside them."""
    calls = []
    for audio in sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES):
        rttm = audio.with_suffix(".rttm")
        if not rttm.is_file():
            rttms = list(audio.parent.glob("*.rttm"))
            rttm = rttms[0] if len(rttms) == 1 else rttm
        if rttm.is_file():
            calls.append((audio.stem, audio, rttm))
    if not calls:
        raise SystemExit(f"{folder}: no audio + RTTM pairs")
    return calls


def read_uem(path: Path, duration: float):
    from pyannote.core import Segment, Timeline

    spans = []
    if path.is_file():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                spans.append(Segment(float(parts[2]), min(float(parts[3]), duration)))
    return Timeline(spans or [Segment(0, duration)])


def score(ref_turns, hyp_turns, uri: str, duration: float, uem=None) -> dict:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref = Turns(ref_turns).to_annotation(uri)
    hyp = Turns(hyp_turns).to_annotation(uri)
    uem = Timeline(list(uem) if uem is not None else [Segment(0, duration)], uri=uri)
    out = {}
    for collar in (0.25, 0.0):
        c = DiarizationErrorRate(collar=collar, skip_overlap=False)(ref, hyp, uem=uem, detailed=True)
        out[collar] = (c["diarization error rate"], c["confusion"] + c["missed detection"] + c["false alarm"], c["total"],
                       {k: c[k] / c["total"] if c["total"] else 0.0
                        for k in ("missed detection", "false alarm", "confusion")})
    return out


class FrontCache:
    """Segmentation and embeddings per recording, shared by variants that differ only in clustering.

    With ``folder`` they are also kept on disk (``.npz``, no pickles), keyed by the recording's samples
    and the front-end settings, so a later run that only changes clustering skips
    both model passes."""

    def __init__(self, folder: Path | None = None):
        self.store: dict = {}
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def _disk(self, file, front, kind: str) -> Path | None:
        if self.folder is None or "waveform" not in file:
            return None
        import hashlib

        digest = hashlib.sha256(file["waveform"].numpy().tobytes())
        digest.update(repr(front).encode())
        return self.folder / f"{file['uri']}.{digest.hexdigest()[:16]}.{kind}.npz"

    def attach(self, cfg: dict) -> None:
        from pyannote.core import SlidingWindow, SlidingWindowFeature

        d = cfg["diarize"]
        pipe = load_pipeline(d)
        if getattr(pipe, "_der_cached", False) or not hasattr(pipe, "get_embeddings"):
            return
        front = tuple(repr(d.get(k)) for k in FRONT_KEYS)
        seg, emb = pipe.get_segmentations, pipe.get_embeddings

        def get_segmentations(file, hook=None):
            key = (file["uri"], front, "seg")
            if key not in self.store:
                path = self._disk(file, front, "seg")
                if path is not None and path.is_file():
                    z = np.load(path, allow_pickle=False)
                    start, duration, step = z["window"]
                    self.store[key] = SlidingWindowFeature(z["data"], SlidingWindow(start=float(start),
                                                           duration=float(duration), step=float(step)))
                else:
                    out = self.store[key] = seg(file, hook=hook)
                    if path is not None:
                        sw = out.sliding_window
                        np.savez(path, data=out.data, window=np.array([sw.start, sw.duration, sw.step]))
            return self.store[key]

        def get_embeddings(file, binary_segmentations, exclude_overlap=False, hook=None):
            key = (file["uri"], front, "emb")
            if key not in self.store:
                path = self._disk(file, front, "emb")
                if path is not None and path.is_file():
                    self.store[key] = np.load(path, allow_pickle=False)["emb"]
                else:
                    out = self.store[key] = emb(file, binary_segmentations, exclude_overlap=exclude_overlap,
                                                hook=hook)
                    if path is not None:
                        np.savez(path, emb=out)
            return self.store[key]

        pipe.get_segmentations, pipe.get_embeddings = get_segmentations, get_embeddings
        pipe._der_cached = True


def with_structure(hyp, audio_path: Path, cfg: dict):
    """Turns refined by the call's structure when ``NAME.asr.json`` (``callfix transcribe``) sits
    beside the audio: the ASR words' languages and the operator's hand-overs."""
    asr = audio_path.with_name(audio_path.stem + ".asr.json")
    opts = StructureOptions.from_config(cfg["diarize"].get("structure"))
    if not asr.is_file() or not (opts.split_languages or opts.split_handovers):
        return hyp
    return refine_turns(hyp, Transcript.load(asr).words, opts)[0]


def oracle_clustered(samples, ref_turns, cfg: dict, uri: str):
    """The pipeline's turns with each chunk's local speakers given their reference speaker (pyannote's
    ``OracleClustering``): what the segmentation and the speaker count allow when clustering and
    the speaker count are perfect. The same segmentation, count and reconstruction as the product."""
    import torch
    from pyannote.audio.pipelines.clustering import OracleClustering

    d = section(cfg, DiarizeOptions)
    pipe = load_pipeline(cfg["diarize"])
    file = {"waveform": torch.from_numpy(np.ascontiguousarray(samples))[None], "sample_rate": 16000, "uri": uri,
            "annotation": Turns(ref_turns).to_annotation(uri)}
    ours, expects = pipe.clustering, pipe._expects_num_speakers
    pipe.clustering, pipe._expects_num_speakers = OracleClustering(), True
    try:
        out = pipe(file)
    finally:
        pipe.clustering, pipe._expects_num_speakers = ours, expects
    annotation = getattr(out, "speaker_diarization", out)
    return fill_pauses(Turns.from_annotation(annotation).turns, d.fill_pauses)


def evaluate(cfg: dict, calls, workdir: Path, oracle: bool = False, cache: FrontCache | None = None,
             oracle_clustering: bool = False) -> list[dict]:
    rows = []
    for uri, audio_path, rttm in calls:
        audio = decode(audio_path, workdir / uri)
        table = read_rttm(rttm)
        ref = table.get(uri) or next(iter(table.values()))
        n_ref = len({t.speaker for t in ref})
        run_cfg = cfg
        if oracle:
            run_cfg = {**cfg, "diarize": {**cfg["diarize"], "num_speakers": n_ref,
                                          "min_speakers": None, "max_speakers": None}}
        if cache is not None:
            cache.attach(run_cfg)
        t0, c0 = time.perf_counter(), time.process_time()
        if oracle_clustering:
            hyp = oracle_clustered(audio.as_float(), ref, run_cfg, uri)
        else:
            hyp = diarize_waveform(audio.as_float(), run_cfg, uri=uri)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        hyp = with_structure(hyp, audio_path, run_cfg)
        der = score(ref, hyp, uri, audio.duration, read_uem(audio_path.with_suffix(".uem"), audio.duration))
        rows.append({
            "uri": uri, "dur": audio.duration, "ref_spk": n_ref, "hyp_spk": len({t.speaker for t in hyp}),
            "der25": der[0.25][0], "der0": der[0.0][0], "err": {c: der[c][1] for c in der},
            "total": {c: der[c][2] for c in der}, "parts": der[0.25][3], "rtf": dt / audio.duration, "cpu_rtf": cpu / audio.duration,
        })
    return rows


def pooled(rows: list[dict], collar: float) -> float:
    """DER over all recordings together (errors summed over total reference speech), as NIST scores a set."""
    err = sum(r["err"][collar] for r in rows)
    total = sum(r["total"][collar] for r in rows)
    return err / total if total else 0.0


def summary(rows: list[dict]) -> dict:
    m = lambda k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    small = [r for r in rows if r["ref_spk"] <= 4]
    return {"der25": m("der25"), "der0": m("der0"), "rtf": m("rtf"), "cpu_rtf": m("cpu_rtf"),
            "pooled25": pooled(rows, 0.25), "pooled0": pooled(rows, 0.0),
            "count_ok": sum(abs(r["hyp_spk"] - r["ref_spk"]) <= 1 for r in small), "small": len(small),
            "count_exact": sum(r["hyp_spk"] == r["ref_spk"] for r in rows), "n": len(rows)}


def print_table(rows: list[dict], title: str = "") -> None:
    if title:
        print(f"\n## {title}")
    print(f"{'recording':<22}{'dur s':>8}{'ref spk':>9}{'hyp spk':>9}{'DER@.25':>9}{'DER@0':>8}{'RTF':>7}{'CPU RTF':>9}"
          "   miss / FA / confusion @.25")
    for r in rows:
        parts = r["parts"]
        print(f"{r['uri']:<22}{r['dur']:>8.1f}{r['ref_spk']:>9}{r['hyp_spk']:>9}"
              f"{100 * r['der25']:>8.1f}%{100 * r['der0']:>7.1f}%{r['rtf']:>7.3f}{r['cpu_rtf']:>9.3f}"
              f"   {100 * parts['missed detection']:.1f} / {100 * parts['false alarm']:.1f} / "
              f"{100 * parts['confusion']:.1f}")
    if len(rows) > 1:
        s = summary(rows)
        print(f"{'mean':<22}{'':>8}{'':>9}{'':>9}{100 * s['der25']:>8.1f}%{100 * s['der0']:>7.1f}%"
              f"{s['rtf']:>7.3f}{s['cpu_rtf']:>9.3f}")
        print(f"{'pooled':<22}{'':>8}{'':>9}{'':>9}{100 * s['pooled25']:>8.1f}%{100 * s['pooled0']:>7.1f}%")
        print(f"speaker count exact on {s['count_exact']}/{s['n']}; within 1 on {s['count_ok']}/{s['small']} "
              "recordings of <= 4 speakers")
    sys.stdout.flush()


def parse_variant(text: str) -> tuple[str, list[tuple[str, str]]]:
    name, _, body = text.partition("=")
    sets = []
    for item in filter(None, (x.strip() for x in body.split(";"))):
        k, v = item.split("=", 1)
        sets.append((k, v))
    return name, sets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "callfix-der")
    ap.add_argument("--folder", type=Path, action="append", default=[], help="audio + RTTM pairs (repeatable)")
    ap.add_argument("--call", nargs=2, action="append", default=[], metavar=("AUDIO", "RTTM"))
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument("--config", help="profile (cpu, gpu, fast) or YAML file over callfix/configs/default.yaml")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--sweep", help="KEY=V1,V2,… evaluate each value")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=KEY=V;KEY=V",
                    help="a configuration to compare (repeatable; NAME= alone is the base configuration)")
    ap.add_argument("--cache", type=Path, help="keep segmentations and embeddings here between runs")
    ap.add_argument("--oracle-speakers", action="store_true", help="pass the true speaker count as --num-speakers")
    ap.add_argument("--oracle-clustering", action="store_true",
                    help="each chunk's local speakers get their reference speaker (pyannote's OracleClustering): "
                         "the DER the segmentation and speaker count allow with perfect clustering")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    cfg = load_config(a.config)
    for item in a.set:
        k, v = item.split("=", 1)
        set_dotted(cfg, k, v)
    calls = [] if a.no_synthetic else synthetic_calls(a.work)
    for folder in a.folder:
        calls.extend(folder_calls(folder))
    for audio, rttm in a.call:
        calls.append((Path(audio).stem, Path(audio), Path(rttm)))
    cache = FrontCache(a.cache)
    variants = [parse_variant(v) for v in a.variant]
    if a.sweep:
        key, values = a.sweep.split("=", 1)
        variants = [(f"{key}={v}", [(key, v)]) for v in values.split(",")]
    if not variants:
        d = cfg["diarize"]
        variants = [(f"pipeline={d['pipeline']} segmentation={d['segmentation']} embedding={d['embedding']} "
                     f"{d['clustering']} {d.get('method')} threshold={d.get('threshold')}", [])]
    results = []
    for name, sets in variants:
        vcfg = load_config(a.config)
        for item in a.set:
            k, v = item.split("=", 1)
            set_dotted(vcfg, k, v)
        for k, v in sets:
            set_dotted(vcfg, k, v)
        rows = evaluate(vcfg, calls, a.work, oracle=a.oracle_speakers, cache=cache,
                        oracle_clustering=a.oracle_clustering)
        print_table(rows, name + (" (oracle speaker count)" if a.oracle_speakers else "")
                    + (" (oracle clustering)" if a.oracle_clustering else ""))
        results.append((name, rows))
    if len(results) > 1:
        print("\n## summary")
        print(f"{'variant (mean DER; pooled)':<40}{'DER@.25':>9}{'DER@0':>8}{'pooled.25':>10}{'pooled0':>8}"
              f"{'count +-1':>11}{'exact':>7}{'CPU RTF':>9}")
        for name, rows in results:
            s = summary(rows)
            print(f"{name[:39]:<40}{100 * s['der25']:>8.1f}%{100 * s['der0']:>7.1f}%"
                  f"{100 * s['pooled25']:>9.1f}%{100 * s['pooled0']:>7.1f}%"
                  f"{s['count_ok']:>6}/{s['small']:<4}{s['count_exact']:>4}/{s['n']:<3}{s['cpu_rtf']:>8.3f}")


if __name__ == "__main__":
    main()
