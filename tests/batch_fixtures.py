"""Short synthetic calls for batch and fault tests: espeak-ng speech, a flawed vendor text, a reference."""
from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000

# (espeak voice, what is said, what the vendor wrote)
SCRIPT = [
    ("en-us", "Good morning and welcome to the Kingsoft Cloud fourth quarter earnings call.",
     "Good morning and welcome to the Google Cloud fourth quarter earnings call."),
    ("en-gb-x-rp", "Thank you. Our gross margin improved again this quarter.",
     "Thank you. Our growth margin improved again this quarter."),
]
OTHER_CALL = ("Operator: The weather today is sunny with light winds from the west.\n\n"
              "Analyst: Football results follow after the break, stay tuned.\n")


@dataclass
class Call:
    audio: Path
    vendor: Path
    reference: Path


def espeak(text: str, voice: str, wav: Path, speed: int = 150) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True, capture_output=True)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), "-ac", "1", "-ar", str(RATE), str(wav) + ".16k.wav"],
                   check=True)
    with wave.open(str(wav) + ".16k.wav") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype(np.int16).tobytes())
    return path


def to_flac(wav: Path, flac: Path, *ffmpeg_args: str) -> Path:
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(wav), *ffmpeg_args, str(flac)], check=True)
    return flac


def make_call(folder: Path, name: str = "call", speed: int = 150) -> Call:
    """A two-voice call of ~10 s with a vendor text holding two typical defects, and its reference.

    Calls made at different ``speed`` differ in their audio, so they share no stage cache."""
    folder.mkdir(parents=True, exist_ok=True)
    gap = np.zeros(int(0.6 * RATE), dtype=np.int16)
    parts = [gap]
    for i, (voice, said, _) in enumerate(SCRIPT):
        parts += [espeak(said, voice, folder / f".{name}-{i}.wav", speed), gap]
    wav = write_wav(folder / f".{name}.wav", np.concatenate(parts))
    audio = to_flac(wav, folder / f"{name}.flac")
    vendor = folder / f"{name}.vendor.txt"
    vendor.write_text("\n\n".join(v for _, _, v in SCRIPT) + "\n", encoding="utf-8")
    ref = folder / f"{name}.reference.txt"
    ref.write_text(" ".join(s for _, s, _ in SCRIPT) + "\n", encoding="utf-8")
    return Call(audio, vendor, ref)


def write_manifest(path: Path, rows: list[dict]) -> Path:
    import csv

    cols = ["id", "audio", "transcript", "reference"] + sorted({k for r in rows for k in r} - {"id", "audio", "transcript", "reference"})
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in cols})
    return path
