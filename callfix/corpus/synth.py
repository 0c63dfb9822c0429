"""Build a call from its script: audio, exact reference (JSON, STM, RTTM, text), flawed vendor text."""
from __future__ import annotations

import hashlib
import json
import random
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from callfix.corpus import errormodel
from callfix.corpus.script import CallScript, Channel, load_script
from callfix.corpus.tts import check_line, check_voice, read_wav, require_tools, synthesize, write_wav
from callfix.errors import CallfixError, InputError, OutputError
from callfix.io.atomic import atomic_path, atomic_write_text
from callfix.model import Segment, Speaker, Transcript, Turn
from callfix.progress import Hook, silent

LEAD_IN = 0.8  # seconds of line noise before the first turn
TAIL = 1.0


def build_call(script: str | Path | CallScript, out_dir: str | Path, hook: Hook = silent,
               channel: str | None = None, clip_cache: str | Path | None = None) -> dict[str, Path]:
    """Synthesise the call in `script` into out_dir; returns the written files by role. `channel`
    names one of the script's channels ("clean", "phone", ...); None uses its `channel:`.
    `clip_cache`: a folder keeping each line's clean clip, so that every channel of a call (and a
    rebuild) hears the very same speech; Piper samples its prosody afresh on every run. ``hook`` hears each line
    as it is voiced (callfix.progress)."""
    sc = script if isinstance(script, CallScript) else load_script(script)
    ch = sc.channel(channel)
    voiced = {ln.speaker for ln in sc.lines if not ln.audio}
    require_tools([s.voice for s in sc.speakers.values() if s.id in voiced])
    for s in sc.speakers.values():
        if s.id in voiced:
            check_voice(s.voice, f"{sc.path}: speaker {s.id}")
    for i, ln in enumerate(sc.lines, 1):
        check_line(ln, sc.speakers[ln.speaker], f"{sc.path}: line {i}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create the output folder ({e.strerror or e})") from None
    sr = sc.sample_rate
    pause_rng = random.Random(f"{sc.seed}-pauses")

    with tempfile.TemporaryDirectory(prefix="callfix-synth-") as tmp:
        work = Path(tmp)
        pieces: list[np.ndarray] = [np.zeros(int(LEAD_IN * sr), np.float32)]
        cursor = len(pieces[0])
        segments: list[Segment] = []
        for i, line in enumerate(sc.lines):
            hook(f"line {i + 1}/{len(sc.lines)}: {sc.speakers[line.speaker].name}")
            try:
                clip = _clip(line, sc.speakers[line.speaker], work, sr, f"{i + 1}", clip_cache)
            except InputError as e:
                raise InputError(f"{sc.path}: {e}") from None
            if i:
                gap = np.zeros(int(round(pause_rng.uniform(*sc.pause) * sr)), np.float32)
                pieces.append(gap)
                cursor += len(gap)
            segments.append(Segment(text=line.text, start=round(cursor / sr, 3),
                                    end=round((cursor + len(clip)) / sr, 3),
                                    language=line.language, speaker=line.speaker))
            pieces.append(clip)
            cursor += len(clip)
        pieces.append(np.zeros(int(TAIL * sr), np.float32))
        speech = np.concatenate(pieces)
        _render_channel(sc, ch, speech, work, out / "call.flac")

    duration = round(len(speech) / sr, 3)
    ref = Transcript(
        audio="call.flac",
        duration=duration,
        languages=sorted({s.language for s in segments}),
        segments=segments,
        turns=[Turn(s.speaker, s.start, s.end) for s in segments],
        speakers=[Speaker(id=s.id, name=s.name, role=s.role, organization=s.organization)
                  for s in sc.speakers.values()],
        header=list(sc.header),
        meta={"title": sc.title, "date": sc.date, "seed": sc.seed, "synthetic": True},
    )
    written = {"audio": out / "call.flac", "reference": ref.save(out / "reference.json")}
    written["stm"] = atomic_write_text(out / "reference.stm", to_stm(ref, "call"))
    written["rttm"] = atomic_write_text(out / "reference.rttm", to_rttm(ref.turns, "call"))
    written["text"] = atomic_write_text(out / "reference.txt", "\n".join(s.text for s in segments) + "\n")

    specs = [errormodel.LineSpec(ln.text, ln.language, ln.mt, ln.vendor_errors, ln.controls) for ln in sc.lines]
    try:
        paragraphs, defects, controls = errormodel.corrupt_call(specs, sc.seed, sc.errors)
    except ValueError as e:
        raise InputError(f"{sc.path}: {e}") from None
    written["vendor"] = atomic_write_text(out / "vendor.txt", "\n".join(sc.header + paragraphs) + "\n")
    written["defects"] = atomic_write_text(out / "defects.json", json.dumps({
        "vendor": "vendor.txt",
        "header_lines": len(sc.header),
        "seed": sc.seed,
        "defects": [d.to_dict() for d in defects],
    }, ensure_ascii=False, indent=1) + "\n")
    if controls:
        written["controls"] = atomic_write_text(out / "controls.json", json.dumps({
            "vendor": "vendor.txt",
            "header_lines": len(sc.header),
            "controls": [c.to_dict() for c in controls],
        }, ensure_ascii=False, indent=1) + "\n")
    return written


def _clip(line, speaker, work: Path, sr: int, key: str, cache: str | Path | None) -> np.ndarray:
    if cache is None:
        return synthesize(line, speaker, work, sr, key)
    spec = {"text": line.text, "say": line.say, "language": line.language, "sr": sr,
            "speaker": {k: v for k, v in vars(speaker).items() if k in ("voice", "pitch", "speed", "semitones")},
            "audio": [hashlib.sha256(Path(c).read_bytes()).hexdigest() for c in line.audio or []]}
    path = Path(cache) / (hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32] + ".wav")
    if path.is_file():
        return read_wav(path)
    samples = synthesize(line, speaker, work, sr, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as part:
        write_wav(part, samples, sr)
    return read_wav(path)  # the same 16-bit samples a later build reads


def _render_channel(sc: CallScript, ch: Channel, speech: np.ndarray, work: Path, dest: Path) -> None:
    """Line noise, telephone band, codec and level, then 16-bit FLAC at the channel's rate."""
    sr = sc.sample_rate
    mix = speech.copy()
    if ch.noise_db is not None:
        noise = np.random.default_rng(sc.seed).standard_normal(len(mix)).astype(np.float32)
        mix += noise * np.float32(10 ** (ch.noise_db / 20))
    dry = work / "mix.wav"
    write_wav(dry, mix * 0.5, sr)  # headroom for the filter
    rate = ch.sample_rate or sr
    effects: list[str] = []
    if ch.band:
        effects += ["sinc", f"{ch.band[0]}-{min(ch.band[1], rate // 2 - 100)}"]
    effects += ["gain", "-n", "-3"]
    src = dry
    if ch.codec == "mulaw":
        src = work / "mulaw.wav"
        _sox([str(dry), "-r", str(rate), "-c", "1", "-e", "u-law", "-b", "8", str(src), *effects])
        effects = []
    with atomic_path(dest) as part:
        _sox([str(src), "-t", "flac", "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer", str(part), *effects])


def _sox(args: list[str]) -> None:
    r = subprocess.run(["sox", "-R", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise CallfixError(f"sox failed: {r.stderr.strip()}")


def to_stm(t: Transcript, file_id: str) -> str:
    """NIST STM: file channel speaker begin end transcript, one segment per line, sorted by time."""
    rows = [f"{file_id} 1 {s.speaker or 'unknown'} {s.start:.3f} {s.end:.3f} {' '.join(s.text.split())}"
            for s in sorted(t.segments, key=lambda s: s.start)]
    return "\n".join(rows) + "\n"


def to_rttm(turns: list[Turn], file_id: str) -> str:
    rows = [f"SPEAKER {file_id} 1 {tu.start:.3f} {tu.end - tu.start:.3f} <NA> <NA> {tu.speaker} <NA> <NA>"
            for tu in sorted(turns, key=lambda tu: tu.start)]
    return "\n".join(rows) + "\n"
