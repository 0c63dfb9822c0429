"""Build the code-switched test calls under tests/calls/cs-*/ from real Mandarin and Piper/festival English.

Each call interleaves real Mandarin utterances (AISHELL-1 clips and the PaddleSpeech and FunASR
example recordings in tests/data/, see its README) with English operator, analyst, interpreter,
investor-relations and CFO turns, 0.3-0.8 s apart. The English is spoken by callfix's own corpus
voices (callfix.corpus.tts): Piper `piper:joe` (three speakers by pitch and speed) and the festival
voices `us_slt_hts`, `kal` and `ked`, one voice per English speaker. Every call is written twice:
`call.flac` (16 kHz, clean) and `call-phone.flac` (8 kHz, 300-3400 Hz band, mu-law round trip, pink
line noise), with `reference.json` (one segment per turn: text, language, speaker, start, end)
beside them.

The build is deterministic: pauses and noise are seeded, and every English clip is kept in a clip
cache (`out/cs-clips/` by default; callfix corpus's cache, keyed by text and voice), because Piper
samples its prosody afresh on every run. A rebuild with the cache gives the same audio byte for
byte; after the cache is deleted the English turns are voiced anew (same words and voices, slightly
different timing), so rebuild the committed calls only when their turns change.

    python scripts/codeswitch_calls.py                 # all calls
    python scripts/codeswitch_calls.py cs-short        # one call
    python scripts/codeswitch_calls.py --clips DIR     # another clip cache
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from callfix.corpus.script import ScriptLine, ScriptSpeaker  # noqa: E402
from callfix.corpus.synth import _clip  # noqa: E402  (callfix corpus's clip cache: same key, same files)
from callfix.corpus.tts import check_voice, require_tools  # noqa: E402
from callfix.model import Segment, Speaker, Transcript, Turn  # noqa: E402

DATA = ROOT / "tests" / "data"
CALLS = ROOT / "tests" / "calls"
CLIPS = ROOT / "out" / "cs-clips"
SR = 16000
WITHIN_TURN = 0.25  # pause between two utterances of one Mandarin turn
LEVEL_DB = -6.0  # peak level of every turn, English and Mandarin alike

ZH = {  # real Mandarin utterance -> (file, published transcript)
    "S0002W0122": ("aishell1-S0002/BAC009S0002W0122.wav", "而对楼市成交抑制作用最大的限购"),
    "S0002W0123": ("aishell1-S0002/BAC009S0002W0123.wav", "也成为地方政府的眼中钉"),
    "S0002W0124": ("aishell1-S0002/BAC009S0002W0124.wav", "自六月底呼和浩特市率先宣布取消限购后"),
    "S0724W0121": ("aishell1-BAC009S0724W0121/BAC009S0724W0121.wav", "广州市房地产中介协会分析"),
    "S0764W0121": ("aishell1-BAC009S0764W0121/BAC009S0764W0121.wav", "甚至出现交易几乎停滞的情况"),
    "paddle-zh": ("paddlespeech-zh/zh.wav", "我认为跑步最重要的就是给我带来了身体健康"),
    "funasr-example": ("funasr-asr-example/asr_example.wav", "欢迎大家来体验达摩院推出的语音识别模型"),
}
# English speakers: (name, voice, speed in words per minute, semitones); one distinct voice each
SPEAKERS = {
    "operator": ("Operator", "festival:us_slt_hts", 160, 0.0),
    "analyst": ("Brian Gong", "piper:joe", 170, 0.0),
    "interpreter": ("Interpreter", "piper:joe", 160, -3.0),
    "cfo": ("Henry He", "festival:kal", 155, 0.0),
    "analyst2": ("Laura Chen", "festival:ked", 160, 0.0),
    "ir": ("Investor Relations", "piper:joe", 175, 3.0),
}
# a turn: (speaker, "en", text) or (speaker, "zh", [utterance ids]); the Mandarin speakers are real
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
    # an electric-vehicle maker: the CEO answers in Mandarin between an analyst and the CFO
    "cs-ev": [
        ("ir", "en", "Good morning, and welcome to Voltaris Motors' third quarter call. Joining me today are our "
                     "chief executive and our chief financial officer, Henry He."),
        ("analyst2", "en", "Hi, this is Laura Chen from Morgan Stanley. How do you keep the team focused while "
                           "deliveries are ramping this fast?"),
        ("ceo-paddle", "zh", ["paddle-zh"]),
        ("interpreter", "en", "I think the most important thing running has given me is my health."),
        ("cfo", "en", "And on the numbers, we delivered forty one thousand vehicles in the quarter, up sixty "
                      "percent, and our battery costs fell again."),
        ("ceo-s0764", "zh", ["S0764W0121"]),
        ("interpreter", "en", "There were even times when trading almost came to a standstill."),
        ("operator", "en", "Thank you. Our next question comes from Brian Gong from Citi."),
    ],
    # a bank: a Mandarin welcome right after investor relations, then the CFO and a short Mandarin reply
    "cs-bank": [
        ("ir", "en", "Thank you, operator. Welcome to Harbourline Bank's full year results. Our chairman will "
                     "open in Mandarin, and the interpreter will follow."),
        ("chair-funasr", "zh", ["funasr-example"]),
        ("interpreter", "en", "Welcome, everyone, to try the speech recognition model launched by the DAMO "
                              "Academy."),
        ("cfo", "en", "Net interest margin was two point one percent, and the common equity tier one ratio "
                      "ended the year at twelve point eight percent."),
        ("analyst2", "en", "Thank you. Could the chairman comment on mortgage demand?"),
        ("chair-funasr", "zh", ["funasr-example"]),
        ("ceo-s0724", "zh", ["S0724W0121"]),
        ("interpreter", "en", "The Guangzhou real estate agency association is analysing it."),
        ("operator", "en", "Thank you. This concludes today's call. You may now disconnect."),
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


def leveled(x: np.ndarray) -> np.ndarray:
    return x * np.float32(10 ** (LEVEL_DB / 20) / max(float(np.abs(x).max()), 1e-6))


def mandarin(src: Path, work: Path) -> np.ndarray:
    """The recording without its leading and trailing silence, at the common speech level."""
    out = work / f"trim-{src.stem}.wav"
    sox(str(src), "-r", str(SR), "-c", "1", "-b", "16", str(out),
        "silence", "1", "0.05", "-40d", "reverse", "silence", "1", "0.05", "-40d", "reverse")
    return leveled(read_wav(out))


def english(who: str, text: str, work: Path, key: str, clips: Path) -> np.ndarray:
    name, voice, speed, semitones = SPEAKERS[who]
    speaker = ScriptSpeaker(id=who, name=name, voice=voice, speed=speed, semitones=semitones)
    return leveled(_clip(ScriptLine(speaker=who, text=text), speaker, work, SR, key, clips))


def build(name: str, turns: list[tuple], out: Path, clips: Path, seed: int = 11) -> Transcript:
    rng = random.Random(f"{name}-{seed}")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cs-call-") as tmp:
        work = Path(tmp)
        pieces = [np.zeros(int(0.6 * SR), np.float32)]
        cursor = len(pieces[0])
        segments: list[Segment] = []
        for i, (who, lang, what) in enumerate(turns):
            if lang == "en":
                clip, text = english(who, what, work, f"{i}", clips), what
            else:
                parts = [mandarin(DATA / ZH[u][0], work) for u in what]
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
    voices = {SPEAKERS[s][1] + (f"{SPEAKERS[s][3]:+g}st" if SPEAKERS[s][3] else "") for s in speakers if s in SPEAKERS}
    ref = Transcript(
        audio="call.flac", duration=round(len(speech) / SR, 3), languages=sorted({s.language for s in segments}),
        segments=segments, turns=[Turn(s.speaker, s.start, s.end) for s in segments],
        speakers=[Speaker(id=s, name=SPEAKERS.get(s, (s,))[0]) for s in speakers],
        meta={"title": f"code-switched test call {name}", "synthetic": True,
              "mandarin": "real recordings: AISHELL-1, PaddleSpeech and FunASR examples (tests/data/README.md)",
              "english": "callfix corpus voices: " + ", ".join(sorted(voices))},
    )
    ref.save(out / "reference.json")
    return ref


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="codeswitch_calls", description=__doc__.split("\n\n")[0])
    ap.add_argument("calls", nargs="*", help=f"calls to build (default: all of {', '.join(CS_CALLS)})")
    ap.add_argument("--clips", type=Path, default=CLIPS, help="clip cache folder (default: %(default)s)")
    args = ap.parse_args(argv)
    names = args.calls or list(CS_CALLS)
    unknown = [n for n in names if n not in CS_CALLS]
    if unknown:
        print(f"codeswitch_calls: unknown call {unknown[0]!r} (have: {', '.join(CS_CALLS)})", file=sys.stderr)
        return 2
    voices = sorted({v for _, v, _, _ in SPEAKERS.values()})
    require_tools(voices)
    for v in voices:
        check_voice(v, "codeswitch_calls")
    for name in names:
        ref = build(name, CS_CALLS[name], CALLS / name, args.clips)
        zh = sum(s.end - s.start for s in ref.segments if s.language == "zh")
        longest = max(s.end - s.start for s in ref.segments)
        print(f"{name}: {ref.duration:.1f} s, {len(ref.segments)} turns, {zh:.1f} s Mandarin, "
              f"longest turn {longest:.1f} s -> {CALLS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
