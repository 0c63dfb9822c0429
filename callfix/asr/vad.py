"""Voice activity: Silero VAD (shipped inside faster-whisper) as the ASR runs it.

Speech is cut at pauses twice: into chunks at pauses of ``min_silence_duration_ms`` and, finer,
into pieces at the short pauses between turns (``piece_silence_ms``). Over phone-band audio a
second, lenient pass adds what the first did not hear.
"""
from __future__ import annotations

from faster_whisper.vad import VadOptions as SileroVadOptions
from faster_whisper.vad import get_speech_timestamps

from callfix.audio import SAMPLE_RATE, Audio
from callfix.options import VadOptions, from_dict

VAD_BLOCK_SECONDS = 600  # VAD reads the memory-mapped audio a block at a time: RAM stays flat


def vad_options(vad: VadOptions | dict, fine: bool = False, threshold: float | None = None) -> SileroVadOptions:
    """Silero VAD settings of the ``asr.vad`` options (or that section as a dict); ``fine`` cuts at the shorter
    pauses between turns; ``threshold`` replaces the configured one."""
    v = vad if isinstance(vad, VadOptions) else from_dict(VadOptions, vad, "asr.vad")
    return SileroVadOptions(
        threshold=v.threshold if threshold is None else threshold,
        min_speech_duration_ms=v.min_speech_duration_ms,
        min_silence_duration_ms=v.piece_silence_ms if fine else v.min_silence_duration_ms,
        speech_pad_ms=v.piece_pad_ms if fine else v.speech_pad_ms,
        max_speech_duration_s=30,
    )


def speech_chunks(audio: Audio, vad: VadOptions | dict, fine: bool = False) -> list[tuple[float, float]]:
    """Speech spans; ``fine`` cuts at the shorter pauses between turns as well (language pieces).

    Over phone-band audio Silero can give a whole turn, or its first second, probabilities of
    0.2-0.5, under its threshold, while the line's silence stays near 0.02. A second, lenient pass
    (``rescue_threshold``) adds lenient speech of at least ``rescue_min_seconds`` the first pass
    found none in, and reaches a span's start and end out to the lenient speech around it (see
    ``widen``); the pauses the first pass cut at stay cut. The checks after decoding flag whatever
    in the added time is not speech.
    """
    v = vad if isinstance(vad, VadOptions) else from_dict(VadOptions, vad, "asr.vad")
    chunks = _detect(audio, vad_options(v, fine))
    if v.rescue_threshold is None or v.rescue_threshold >= v.threshold:
        return chunks
    return widen(chunks, _detect(audio, vad_options(v, fine, v.rescue_threshold)), v.rescue_min_seconds,
                 v.rescue_min_onset_seconds)


def widen(spans: list[tuple[float, float]], lenient: list[tuple[float, float]], min_seconds: float,
          min_onset: float | None = None) -> list[tuple[float, float]]:
    """``spans`` (sorted) reaching out to the ``lenient`` spans they touch (never into each other),
    and the lenient spans of ``min_seconds`` or more that touch none of them.

    A span's end reaches out only by ``min_seconds`` or more, its start by ``min_onset`` or more
    (default: the same): Silero lingers a few tenths of a second after speech, which is not speech,
    but on phone audio it can score a turn's first second under its threshold."""
    onset = min_seconds if min_onset is None else min_onset
    out = [list(x) for x in spans]
    extra = []
    for ls, le in lenient:
        touch = [i for i, (s, e) in enumerate(spans) if s < le and e > ls]
        if not touch:
            if le - ls >= min_seconds:
                extra.append((ls, le))
            continue
        i, j = touch[0], touch[-1]
        if out[i][0] - ls >= onset:
            out[i][0] = max(ls, spans[i - 1][1] if i > 0 else 0.0)
        if le - out[j][1] >= min_seconds:
            out[j][1] = min(le, spans[j + 1][0] if j + 1 < len(spans) else le)
    return sorted([tuple(x) for x in out] + extra)


def outside(span: tuple[float, float], spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of ``span`` that no interval of the sorted ``spans`` touches."""
    s, e = span
    out, at = [], s
    for a, b in spans:
        if b <= at or a >= e:
            continue
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if e > at:
        out.append((at, e))
    return out


def _detect(audio: Audio, opts: SileroVadOptions) -> list[tuple[float, float]]:
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


def split_long(chunks: list[tuple[float, float]], fine: list[tuple[float, float]],
               max_seconds: float) -> list[tuple[float, float]]:
    """Chunks longer than one decoder window, cut at the pauses between their pieces.

    A chunk longer than ``max_seconds`` would be decoded as several 30 s windows whose seams fall
    wherever the decoder's timestamps put them, and words at a seam get lost. Cut at the last pause
    between two pieces that keeps a part within the window; with no such pause, at the window's end.
    """
    out: list[tuple[float, float]] = []
    for s, e in chunks:
        gaps = [((a[1] + b[0]) / 2) for a, b in zip(fine, fine[1:]) if s < a[1] and b[0] < e and b[0] > a[1]]
        while e - s > max_seconds:
            fits = [g for g in gaps if s + 1.0 < g <= s + max_seconds]
            cut = fits[-1] if fits else s + max_seconds
            out.append((s, cut))
            s = cut
        out.append((s, e))
    return out
