"""VAD chunking and language routing for calls that switch between English and Mandarin.

Silero VAD (shipped inside faster-whisper) cuts speech at pauses. Neighbouring chunks are grouped
up to 30 s (one encoder window); each group's language is identified once, restricted to the
allowed set. A group whose language is uncertain is split and its chunks identified one by one,
so code-switching costs extra encoder passes only where the language actually changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from faster_whisper.vad import VadOptions, get_speech_timestamps

from callfix.audio import SAMPLE_RATE, Audio

VAD_BLOCK_SECONDS = 600  # VAD reads the memory-mapped audio a block at a time: RAM stays flat


@dataclass
class Unit:
    """A span of speech sent to the decoder in one language."""

    start: float
    end: float
    chunks: list[tuple[float, float]] = field(default_factory=list)
    language: str | None = None
    language_prob: float = 0.0


def speech_chunks(audio: Audio, vad: dict) -> list[tuple[float, float]]:
    opts = VadOptions(
        threshold=vad["threshold"],
        min_speech_duration_ms=vad["min_speech_duration_ms"],
        min_silence_duration_ms=vad["min_silence_duration_ms"],
        speech_pad_ms=vad["speech_pad_ms"],
        max_speech_duration_s=30,
    )
    chunks: list[tuple[float, float]] = []
    t = 0.0
    while t < audio.duration:
        block = audio.window(t, t + VAD_BLOCK_SECONDS)
        for ts in get_speech_timestamps(block, opts, sampling_rate=SAMPLE_RATE):
            s, e = t + ts["start"] / SAMPLE_RATE, t + ts["end"] / SAMPLE_RATE
            if chunks and s - chunks[-1][1] < 0.05:  # speech running across a block edge
                chunks[-1] = (chunks[-1][0], e)
            else:
                chunks.append((s, e))
        t += VAD_BLOCK_SECONDS
    return chunks


def group(chunks: list[tuple[float, float]], max_seconds: float) -> list[Unit]:
    units: list[Unit] = []
    for s, e in chunks:
        if units and e - units[-1].start <= max_seconds:
            units[-1].end = e
            units[-1].chunks.append((s, e))
        else:
            units.append(Unit(s, e, [(s, e)]))
    return units


def pick_language(probs: dict[str, float], allowed: list[str], aliases: dict | None = None) -> tuple[str, float]:
    """Best allowed language and its probability renormalised over the allowed set.

    Whisper often labels Mandarin chunks Thai, Khmer or Vietnamese with zh near zero, so the
    probability of a language's configured look-alikes counts towards that language.
    """
    aliases = aliases or {}
    scores = {lang: probs.get(lang, 0.0) + sum(probs.get(x, 0.0) for x in aliases.get(lang, [])) for lang in allowed}
    total = sum(scores.values())
    lang = max(scores, key=scores.get)
    return lang, (scores[lang] / total if total > 0 else 1.0 / len(allowed))


def route(audio: Audio, chunks, backend, allowed: list[str], max_seconds: float, confident: float = 0.9,
          aliases: dict | None = None) -> Iterator[Unit]:
    """Language per chunk, then consecutive same-language chunks merged into decoder units.

    Units are yielded as soon as they are complete, so a unit is decoded right after its
    language ID and the backend can reuse that encoder pass.
    """
    if len(allowed) == 1:
        for u in group(chunks, max_seconds):
            u.language, u.language_prob = allowed[0], 1.0
            yield u
        return
    unit: Unit | None = None
    for s, e, lang, p in _labelled(audio, chunks, backend, allowed, max_seconds, confident, aliases):
        if unit and unit.language == lang and e - unit.start <= max_seconds:
            unit.end, unit.language_prob = e, min(unit.language_prob, p)
            unit.chunks.append((s, e))
            continue
        if unit:
            yield unit
        unit = Unit(s, e, [(s, e)], lang, p)
    if unit:
        yield unit


def _labelled(audio, chunks, backend, allowed, max_seconds, confident, aliases):
    for g in group(chunks, max_seconds):
        lang, p = pick_language(backend.language_probs(audio.window(g.start, g.end)), allowed, aliases)
        if p >= confident or len(g.chunks) == 1:
            yield from ((s, e, lang, p) for s, e in g.chunks)
            continue
        for s, e in g.chunks:
            yield (s, e, *pick_language(backend.language_probs(audio.window(s, e)), allowed, aliases))
