"""Speech for one script line; sox resamples and trims every clip the same way.

A voice is an espeak-ng voice name (``en-gb-x-rp+m3``, ``cmn-latn-pinyin``), ``flite:<voice>``
(``flite:rms``, ``flite:slt``), ``piper:<voice>`` (a Piper model from the store, ``piper:joe``),
``festival:<voice>`` (``festival:us_slt_hts``, ``festival:kal``, ``festival:ked``) or ``recording``
for a speaker whose lines are all real recordings (``audio:`` on the line). Whisper recognises
Piper and festival HTS far better than flite, and flite better than espeak-ng.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

from callfix.corpus import festival_voice, piper_voice, recorded
from callfix.corpus.script import ScriptLine, ScriptSpeaker
from callfix.errors import CallfixError, InputError

# Chinese punctuation becomes ASCII so espeak pauses at it; pinyin syllables carry tone digits.
_ZH_PUNCT = str.maketrans({"，": ", ", "。": ". ", "、": ", ", "；": "; ", "：": ": ", "！": "! ", "？": "? "})
ENGLISH_ONLY = {"piper", "festival"}


def engine(voice: str) -> str:
    for prefix in ("flite", "piper", "festival"):
        if voice.startswith(prefix + ":"):
            return prefix
    return "recording" if voice == "recording" else "espeak-ng"


def require_tools(voices: list[str]) -> None:
    engines = {engine(v) for v in voices}
    needed = {"sox", "ffmpeg"} | (engines & {"espeak-ng", "flite"})
    missing = sorted(t for t in needed if not shutil.which(t))
    if missing:
        raise CallfixError(f"synthesis needs {', '.join(missing)} (apt-get install {' '.join(missing)})")
    if "piper" in engines:
        piper_voice.require()
    if "festival" in engines:
        festival_voice.require()


def check_voice(voice: str, where: str) -> None:
    """Refuse a voice the engine does not have (flite would silently fall back to its default)."""
    kind = engine(voice)
    if kind == "recording":
        return
    if kind == "piper":
        return piper_voice.check(voice, where)
    if kind == "festival":
        return festival_voice.check(voice, where)
    if kind == "flite":
        r = subprocess.run(["flite", "-lv"], capture_output=True, text=True)
        have = r.stdout.split(":", 1)[-1].split()
        if voice.split(":", 1)[1] not in have:
            raise InputError(f"{where}: flite has no voice {voice.split(':', 1)[1]!r} (it has {', '.join(have)})")
        return
    r = subprocess.run(["espeak-ng", "-v", voice, "-q", "a"], capture_output=True, text=True)
    if r.returncode != 0:
        raise InputError(f"{where}: espeak-ng has no voice {voice!r} (see espeak-ng --voices)")


def check_line(line: ScriptLine, speaker: ScriptSpeaker, where: str) -> None:
    """A line the speaker's voice cannot say: no text-to-speech for recordings, no Mandarin for
    the English-only engines."""
    kind = engine(speaker.voice)
    if line.audio:
        recorded.check(line.audio, where)
    elif kind == "recording":
        raise InputError(f"{where}: speaker {speaker.id} has voice 'recording' but the line has no audio")
    elif line.language != "en" and kind in ENGLISH_ONLY:
        raise InputError(f"{where}: {speaker.voice} speaks English only; give this {line.language} line "
                         "an `audio:` recording or an espeak-ng voice")


def to_pinyin(text: str) -> str:
    """Mandarin text as tone-numbered pinyin, the input espeak-ng's cmn-latn-pinyin voice reads."""
    from pypinyin import Style, lazy_pinyin

    syl = lazy_pinyin(text.translate(_ZH_PUNCT), style=Style.TONE3, neutral_tone_with_five=True)
    out = " ".join(s.strip() for s in syl if s.strip())
    return re.sub(r"\s+([,.;:!?])", r"\1", out)


def spoken_text(line: ScriptLine) -> str:
    text = line.say or line.text
    if line.language == "zh":
        return to_pinyin(text)
    return text


def synthesize(line: ScriptLine, speaker: ScriptSpeaker, workdir: Path, sample_rate: int, key: str) -> np.ndarray:
    """float32 mono samples at `sample_rate`, leading/trailing silence trimmed."""
    raw = workdir / f"{key}.raw.wav"
    clip = workdir / f"{key}.wav"
    if line.audio:
        recorded.render(line.audio, clip, sample_rate)
        return _samples(clip, line, key)
    txt = workdir / f"{key}.txt"
    txt.write_text(spoken_text(line), encoding="utf-8")
    kind = engine(speaker.voice)
    effects: list[str] = []
    if kind == "flite":
        # flite has no words-per-minute knob: stretch durations relative to its ~175 wpm
        stretch = 175.0 / max(60, speaker.speed)
        _run(["flite", "-voice", speaker.voice.split(":", 1)[1], "--setf", f"duration_stretch={stretch:.3f}",
              "-f", str(txt), "-o", str(raw)])
    elif kind == "piper":
        piper_voice.synthesize(spoken_text(line), speaker.voice, speaker.speed, raw)
    elif kind == "festival":
        festival_voice.synthesize(txt, speaker.voice, raw)
        tempo = max(60, speaker.speed) / festival_voice.NATURAL_WPM
        if abs(tempo - 1) > 0.01:
            effects += ["tempo", "-s", f"{tempo:.3f}"]
    else:
        _run(["espeak-ng", "-v", speaker.voice, "-p", str(speaker.pitch), "-s", str(speaker.speed),
              "-w", str(raw), "-f", str(txt)])
    if speaker.semitones:
        effects += ["pitch", f"{100 * speaker.semitones:.0f}"]
    # trim the synthesiser's own silence so the clip span is the exact turn
    _run(["sox", "-R", str(raw), "-r", str(sample_rate), "-c", "1", "-b", "16", str(clip), *effects,
          "silence", "1", "0.02", "0.3%", "reverse", "silence", "1", "0.02", "0.3%", "reverse"])
    return _samples(clip, line, key)


def _samples(clip: Path, line: ScriptLine, key: str) -> np.ndarray:
    samples = read_wav(clip)
    if not len(samples):
        raise InputError(f"line {key}: no speech for {line.text[:40]!r}")
    return samples


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return data.astype(np.float32) / 32768.0


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise CallfixError(f"{cmd[0]} failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}")
