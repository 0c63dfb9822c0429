"""Build the code-switched test calls under tests/calls/cs-*/ from real Mandarin and flite English.

Each call interleaves real Mandarin utterances (AISHELL-1 clips in tests/data/, see its README) with
English operator, analyst and interpreter turns spoken by flite voices, 0.3-0.8 s apart. Every call
is written twice: `call.flac` (16 kHz, clean) and `call-phone.flac` (8 kHz, 300-3400 Hz band, mu-law
round trip, pink line noise), with `reference.json` (one segment per turn: text, language, speaker,
start, end) beside them. The build is deterministic: the same turns, pauses and noise every run.

    python scripts/codeswitch_calls.py            # all calls
    python scripts/codeswitch_calls.py cs-short   # one call
"""
from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callfix.model import Segment, Speaker, Transcript, Turn  # noqa: E402

DATA = ROOT / "tests" / "data"
CALLS = ROOT / "tests" / "calls"
SR = 16000
WITHIN_TURN = 0.25  # pause between two utterances of one Mandarin turn

ZH = {  # AISHELL-1 utterance -> (file, transcript)
    "S0002W0122": ("aishell1-S0002/BAC009S0002W0122.wav", "而对楼市成交抑制作用最大的限购"),
    "S0002W0123": ("aishell1-S0002/BAC009S0002W0123.wav", "也成为地方政府的眼中钉"),
    "S0002W0124": ("aishell1-S0002/BAC009S0002W0124.wav", "自六月底呼和浩特市率先宣布取消限购后"),
    "S0724W0121": ("aishell1-BAC009S0724W0121/BAC009S0724W0121.wav", "广州市房地产中介协会分析"),
    "S0764W0121": ("aishell1-BAC009S0764W0121/BAC009S0764W0121.wav", "甚至出现交易几乎停滞的情况"),
}
SPEAKERS = {
    "operator": ("Operator", "slt"),
    "analyst": ("Brian Gong", "rms"),
    "interpreter": ("Interpreter", "awb"),
    "cfo": ("Henry He", "kal"),
}
# a turn: (speaker, "en", text) or (speaker, "zh", [AISHELL utterance ids]); the Mandarin speakers are real
CS_CALLS: dict[str, list[tuple]] = {
    # Mandarin then its interpretation inside one 30 s window (a 15 s Mandarin turn, 12 s of English)
    "cs-interpret": [
        ("operator", "en", "Thank you. Our next question comes from the line of Brian Gong from Citi. Please go ahead."),
        ("analyst", "en", "Thanks for taking my question. Could you comment on the housing market and on how the "
                          "purchase restrictions affected your customers this quarter?"),
        ("ceo-s0002", "zh", ["S0002W0122", "S0002W0123", "S0002W0124"]),
        ("interpreter", "en", "The purchase restrictions had the strongest dampening effect on home sales, and they "
                              "became a thorn in the side of local governments. Since the end of June, when Hohhot "
                              "first announced that it would lift its restrictions,"),
        ("ceo-s0724", "zh", ["S0724W0121"]),
        ("interpreter", "en", "the real estate agency association of Guangzhou has been analysing the market."),
        ("operator", "en", "Thank you. That concludes the question and answer session."),
    ],
    # a long English turn right before the Mandarin, then short exchanges
    "cs-operator": [
        ("operator", "en", "Good day and thank you for standing by. Welcome to the fourth quarter earnings conference "
                           "call. At this time all participants are in a listen only mode. After the speakers' "
                           "presentation there will be a question and answer session. I would now like to hand the "
                           "conference over to our chairman."),
        ("ceo-s0764", "zh", ["S0764W0121"]),
        ("ceo-s0724", "zh", ["S0724W0121"]),
        ("interpreter", "en", "There were even cases where trading almost came to a halt, according to the analysis "
                              "of the real estate agency association in Guangzhou."),
        ("analyst", "en", "Thank you. What is your outlook for next year?"),
        ("ceo-s0002", "zh", ["S0002W0123"]),
        ("cfo", "en", "Let me add that our gross margin improved for the fourth quarter in a row."),
        ("operator", "en", "Thank you. I would now like to turn the call back to management for closing remarks."),
    ],
    # quick alternation: every turn shorter than eight seconds
    "cs-alternate": [
        ("ceo-s0002", "zh", ["S0002W0122"]),
        ("interpreter", "en", "Purchase restrictions weighed most on home sales."),
        ("ceo-s0002", "zh", ["S0002W0123"]),
        ("interpreter", "en", "They also became a thorn in the side of local governments."),
        ("ceo-s0764", "zh", ["S0764W0121"]),
        ("interpreter", "en", "At times trading almost stopped."),
        ("analyst", "en", "Thanks. Could you share the capital expenditure plan for twenty twenty five?"),
        ("ceo-s0724", "zh", ["S0724W0121"]),
        ("interpreter", "en", "The agency association in Guangzhou is analysing it."),
        ("operator", "en", "Thank you. Ladies and gentlemen, this concludes today's conference call. "
                           "You may now disconnect."),
    ],
    # the suite's short clip (under 40 s): both languages, a closing sentence at the end
    "cs-short": [
        ("operator", "en", "Our next question comes from the line of Brian Gong from Citi."),
        ("ceo-s0002", "zh", ["S0002W0122", "S0002W0123"]),
        ("interpreter", "en", "Purchase restrictions weighed most on home sales and became a thorn in the side "
                              "of local governments."),
        ("ceo-s0764", "zh", ["S0764W0121"]),
        ("operator", "en", "Thank you. This concludes today's conference call."),
    ],
}


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert w.getframerate() == SR and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768


def write_wav(path: Path, x: np.ndarray, sr: int = SR) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(x, -1, 1) * 32767).astype(np.int16).tobytes())


def sox(*args: str) -> None:
    subprocess.run(["sox", "-R", *args], check=True, capture_output=True)


def trimmed(src: Path, work: Path) -> np.ndarray:
    """The clip without its leading and trailing silence, at a common speech level."""
    out = work / f"trim-{src.stem}.wav"
    sox(str(src), "-r", str(SR), "-c", "1", "-b", "16", str(out),
        "silence", "1", "0.05", "-40d", "reverse", "silence", "1", "0.05", "-40d", "reverse", "norm", "-6")
    return read_wav(out)


def flite(text: str, voice: str, work: Path, key: str) -> np.ndarray:
    raw = work / f"{key}-raw.wav"
    subprocess.run(["flite", "-voice", voice, "-t", text, "-o", str(raw)], check=True, capture_output=True)
    return trimmed(raw, work)


def build(name: str, turns: list[tuple], out: Path, seed: int = 11) -> Transcript:
    rng = random.Random(f"{name}-{seed}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs-call-") as tmp:
        work = Path(tmp)
        pieces = [np.zeros(int(0.6 * SR), np.float32)]
        cursor = len(pieces[0])
        segments: list[Segment] = []
        for i, (who, lang, what) in enumerate(turns):
            if lang == "en":
                clip, text = flite(what, SPEAKERS[who][1], work, f"{i}"), what
            else:
                parts = [trimmed(DATA / ZH[u][0], work) for u in what]
                gap = np.zeros(int(WITHIN_TURN * SR), np.float32)
                clip = np.concatenate([x for p in parts for x in (p, gap)][:-1])
                text = "".join(ZH[u][1] for u in what)
            if i:
                pause = np.zeros(int(round(rng.uniform(0.3, 0.8) * SR)), np.float32)
                pieces.append(pause)
                cursor += len(pause)
            segments.append(Segment(text=text, start=round(cursor / SR, 3), end=round((cursor + len(clip)) / SR, 3),
                                    language=lang, speaker=who))
            pieces.append(clip)
            cursor += len(clip)
        pieces.append(np.zeros(int(0.8 * SR), np.float32))
        speech = np.concatenate(pieces)
        clean = work / "clean.wav"
        write_wav(clean, speech)
        sox(str(clean), "-C", "8", str(out / "call.flac"))
        # telephone: band-limit, 8 kHz mu-law and back, then pink line noise about 20 dB under the speech
        band = work / "band.wav"
        sox(str(clean), "-r", "8000", "-e", "u-law", str(work / "band.ul.wav"), "sinc", "300-3400")
        sox(str(work / "band.ul.wav"), "-e", "signed-integer", "-b", "16", str(band))
        noise = work / "noise.wav"
        sox("-n", "-r", "8000", "-c", "1", "-b", "16", str(noise), "synth", f"{len(speech) / SR:.3f}",
            "pinknoise", "vol", "0.03")
        sox("-m", str(band), str(noise), "-C", "8", str(out / "call-phone.flac"), "norm", "-3")
    speakers = sorted({s.speaker for s in segments})
    ref = Transcript(
        audio="call.flac", duration=round(len(speech) / SR, 3), languages=sorted({s.language for s in segments}),
        segments=segments, turns=[Turn(s.speaker, s.start, s.end) for s in segments],
        speakers=[Speaker(id=s, name=SPEAKERS.get(s, (s,))[0]) for s in speakers],
        meta={"title": f"code-switched test call {name}", "synthetic": True,
              "mandarin": "real AISHELL-1 utterances (tests/data/README.md)", "english": "flite voices"},
    )
    ref.save(out / "reference.json")
    return ref


def main(argv: list[str]) -> int:
    names = argv or list(CS_CALLS)
    for name in names:
        if name not in CS_CALLS:
            print(f"codeswitch_calls: unknown call {name!r} (have: {', '.join(CS_CALLS)})", file=sys.stderr)
            return 2
        ref = build(name, CS_CALLS[name], CALLS / name)
        zh = sum(s.end - s.start for s in ref.segments if s.language == "zh")
        print(f"{name}: {ref.duration:.1f} s, {len(ref.segments)} turns, {zh:.1f} s Mandarin -> {CALLS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
