#!/usr/bin/env python3
"""Build synthetic multi-speaker calls with an exact reference RTTM (espeak-ng voices + sox).

Each speaker is an espeak-ng voice with its own pitch and rate. Every utterance is rendered
alone, its leading/trailing silence trimmed by sox, then placed on the call timeline after a
pause (a negative pause overlaps the previous utterance). The reference turn of an utterance
is exactly where its trimmed samples sit. Optionally the mix is band-limited to the telephone
band and noise is added at a given SNR.

    python scripts/diarize_synth.py OUT_DIR --speakers 5 --turns 30 --seed 1 [--phone] [--snr 25]
"""
from __future__ import annotations

import argparse
import random
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 16000

# (espeak-ng voice+variant, pitch 0-99, words per minute). The variant sets the timbre; the language
# alone barely does (en-gb/en-us/cmn share one voice). Chosen so that CAM++ cosine similarity
# across voices (<= 0.5) stays well below within a voice (>= 0.83).
VOICES = [
    ("en-us+f3", 60, 165),
    ("en-us+m1", 40, 155),
    ("en-us+Andy", 50, 170),
    ("en-us+quincy", 50, 160),
    ("en-us+edward", 45, 150),
    ("en-us+f1", 65, 160),
    ("en-us+f5", 70, 165),
    ("cmn-latn-pinyin+klatt", 50, 150),
]

LINES = [
    "Good day and thank you for standing by. Welcome to the fourth quarter earnings conference call.",
    "Thank you, operator. Hello everyone, and welcome to our call today.",
    "Total revenues reached two point two billion, up thirty percent year over year.",
    "Our gross margin improved to fifteen point eight percent this quarter.",
    "Adjusted operating profit turned positive for the first time.",
    "We will continue to invest in artificial intelligence infrastructure.",
    "Our next question comes from the line of an analyst. Please go ahead.",
    "Thank you for taking my question. Could you talk about capital expenditure next year?",
    "Sure. We expect capital expenditure to increase as we build more capacity.",
    "Yes.",
    "Thank you.",
    "That is very helpful, thank you.",
    "Let me add a few words on the public cloud business and customer demand.",
    "Non GAAP net loss narrowed significantly compared with the same period last year.",
    "Industry cloud revenues were one point one billion in the quarter.",
    "Our line is open. Please go ahead with your question.",
    "Can you give us some colour on the margin trend for the coming quarters?",
    "We see strong demand from internet customers and from the ecosystem partners.",
    "Okay, got it.",
    "Next, I will pass the call to our chief financial officer.",
]

PINYIN = [
    "da jia hao, huan ying can jia wo men de dian hua hui yi.",
    "wo men de ying shou zeng zhang le san shi ge bai fen dian.",
    "xie xie, wo de wen ti jiu shi zhe xie.",
]


@dataclass
class RefTurn:
    speaker: str
    start: float
    end: float


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0


def write_wav(path: Path, x: np.ndarray) -> None:
    pcm = (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def render(text: str, voice: tuple[str, int, int], tmp: Path, idx: int) -> np.ndarray:
    """One utterance at 16 kHz with its edge silence trimmed by sox."""
    name, pitch, rate = voice
    raw, trimmed = tmp / f"u{idx}.wav", tmp / f"u{idx}-16k.wav"
    _run(["espeak-ng", "-v", name, "-p", str(pitch), "-s", str(rate), "-w", str(raw), text])
    _run(["sox", str(raw), "-r", str(SR), "-c", "1", "-b", "16", str(trimmed),
          "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"])
    return read_wav(trimmed)


def build_call(out_dir: Path, script: list[tuple[int, str, float]], voices: list[tuple[str, int, int]],
               phone: bool = False, snr_db: float | None = None, seed: int = 0, lead: float = 0.5,
               uri: str = "call") -> tuple[Path, list[RefTurn]]:
    """script: (speaker index, text, pause before in seconds; negative overlaps). Returns wav + turns."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pieces: list[tuple[int, int, np.ndarray]] = []
    turns: list[RefTurn] = []
    cursor = int(lead * SR)
    with tempfile.TemporaryDirectory() as td:
        for i, (spk, text, pause) in enumerate(script):
            x = render(text, voices[spk], Path(td), i)
            start = max(0, cursor + int(pause * SR)) if i else cursor
            pieces.append((spk, start, x))
            turns.append(RefTurn(f"spk{spk}", start / SR, (start + len(x)) / SR))
            cursor = max(cursor, start + len(x))
    total = cursor + int(lead * SR)
    mix = np.zeros(total, dtype=np.float32)
    for _, start, x in pieces:
        mix[start:start + len(x)] += 0.5 * x
    wav = out_dir / f"{uri}.wav"
    if phone or snr_db is not None:
        rng = np.random.default_rng(seed)
        if snr_db is not None:
            speech_power = float(np.mean(mix[np.abs(mix) > 1e-4] ** 2)) if np.any(np.abs(mix) > 1e-4) else 1e-6
            noise = rng.standard_normal(total).astype(np.float32)
            mix = mix + noise * np.sqrt(speech_power / 10 ** (snr_db / 10))
        if phone:
            clean = out_dir / f"{uri}.pre.wav"
            write_wav(clean, mix)
            _run(["sox", str(clean), str(wav), "sinc", "300-3400"])
            clean.unlink()
        else:
            write_wav(wav, mix)
    else:
        write_wav(wav, mix)
    rttm = out_dir / f"{uri}.rttm"
    rttm.write_text("".join(
        f"SPEAKER {uri} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n" for t in turns))
    return wav, turns


def random_script(num_speakers: int, num_turns: int, seed: int, overlap_rate: float = 0.1,
                  mandarin: bool = True) -> list[tuple[int, str, float]]:
    """A call-like sequence: an operator (speaker 0) hands over; others answer in runs."""
    rng = random.Random(seed)
    script = [(0, LINES[0], 0.0)]
    prev = 0
    for _ in range(num_turns - 1):
        spk = rng.choice([s for s in range(num_speakers) if s != prev])
        if mandarin and num_speakers > 3 and spk == num_speakers - 1:
            text = rng.choice(PINYIN)
        else:
            text = rng.choice(LINES[1:])
        pause = rng.uniform(0.3, 1.2)
        if rng.random() < overlap_rate:
            pause = -rng.uniform(0.2, 0.8)
        script.append((spk, text, pause))
        prev = spk
    return script


def pick_voices(num_speakers: int, mandarin: bool = True) -> list[tuple[str, int, int]]:
    voices = [v for v in VOICES if not v[0].startswith("cmn")][: num_speakers]
    if mandarin and num_speakers > 3:
        voices[-1] = VOICES[-1]
    return voices


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--speakers", type=int, default=4)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--phone", action="store_true")
    ap.add_argument("--snr", type=float, default=None)
    ap.add_argument("--uri", default="call")
    a = ap.parse_args()
    script = random_script(a.speakers, a.turns, a.seed)
    wav, turns = build_call(a.out_dir, script, pick_voices(a.speakers), a.phone, a.snr, a.seed, uri=a.uri)
    print(f"{wav}: {turns[-1].end:.1f} s, {len(turns)} turns, {a.speakers} speakers")


if __name__ == "__main__":
    main()
