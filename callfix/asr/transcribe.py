"""Transcribe a decoded call into the data model: VAD → language routing → Whisper per unit."""
from __future__ import annotations

import sys

from tqdm import tqdm

from callfix.asr.backends import load_backend
from callfix.asr.cleanup import collapse_loops, to_simplified
from callfix.asr.routing import route, speech_chunks
from callfix.audio import Audio
from callfix.model import Segment, Transcript, Word

CHARACTER_WORDS = {"zh", "yue", "ja"}  # Whisper's words are single characters: a looped phrase spans more of them


def transcribe(audio: Audio, cfg: dict, hotwords: list[str] | None = None, progress=None) -> Transcript:
    """``progress``: None shows a bar when stderr is a terminal, True always, False never; a callable
    gets ``progress("transcribe", seconds_done, seconds_total)`` after each decoder unit."""
    a = cfg["asr"]
    t = Transcript(audio=audio.source, duration=round(audio.duration, 3))
    t.meta["asr"] = {"backend": a["backend"], "model": a["model"], "languages": list(a["languages"])}
    chunks = speech_chunks(audio, a["vad"])
    if not chunks:  # silence: no text rather than hallucinated text
        t.meta["asr"]["units"] = []
        return t
    backend = load_backend(cfg)
    units: list = []
    prompt = ", ".join(hotwords[: a["max_hotwords"]]) if hotwords and a["hotwords"] else None
    report = progress if callable(progress) else None
    show = sys.stderr.isatty() if progress is None else (bool(progress) and report is None)
    bar = tqdm(total=round(audio.duration, 1), unit="s", desc="transcribe", disable=not show, leave=False)
    loops = dropped = 0
    hot = {_bare(h) for h in hotwords or []} if prompt else set()
    for u in route(audio, chunks, backend, list(a["languages"]), a["merge_max_seconds"],
                   a["lid_confidence"], a.get("language_aliases")):
        units.append(u)
        raw = backend.transcribe(audio.window(u.start, u.end), u.language, a, prompt if u.language == "en" else None)
        segs = [_segment(rs, u, a) for rs in raw]
        loops += _collapse_unit_loops(segs, a["max_repeats"])
        kept = [s for s in segs if s.text and not _hallucinated(s, a, hot)]
        dropped += len([s for s in segs if s.text]) - len(kept)
        t.segments += kept
        bar.update(round(u.end - u.start, 1))
        if report:
            report("transcribe", round(u.end, 1), round(audio.duration, 1))
    bar.close()
    t.languages = sorted({s.language for s in t.segments}, key=list(a["languages"]).index)
    t.meta["asr"]["units"] = [
        {"start": round(u.start, 3), "end": round(u.end, 3), "language": u.language, "p": round(u.language_prob, 3)}
        for u in units
    ]
    t.meta["asr"]["loops_removed"] = loops
    t.meta["asr"]["hallucinations_dropped"] = dropped
    return t


def _segment(rs, u, a: dict) -> Segment:
    words = [
        Word(w.text.strip(), round(u.start + w.start, 3), round(u.start + w.end, 3), round(float(w.probability), 4), u.language)
        for w in rs.words if w.text.strip()
    ]
    text = rs.text.replace("\ufffd", "").strip()  # a multi-byte character cut by the tokenizer
    if u.language == "zh" and a.get("chinese_script") == "simplified":
        text = to_simplified(text)
        for w in words:
            w.text = to_simplified(w.text)
    return Segment(text=text, start=round(u.start + rs.start, 3), end=round(u.start + rs.end, 3), language=u.language,
                   words=words, avg_logprob=round(rs.avg_logprob, 4), no_speech_prob=round(rs.no_speech_prob, 4))


def _collapse_unit_loops(segs: list[Segment], max_repeats: int) -> int:
    """Loops can span Whisper's segments, so collapse over the unit's whole word sequence."""
    words = [w for s in segs for w in s.words]
    chars = bool(segs) and segs[0].language in CHARACTER_WORDS
    kept, dropped = collapse_loops(words, max_repeats, max_n=24 if chars else 8)
    if dropped:
        keep = {id(w) for w in kept}
        joiner = "" if chars else " "
        for s in segs:
            s.words = [w for w in s.words if id(w) in keep]
            s.text = joiner.join(w.text for w in s.words)
    return dropped


def _bare(text: str) -> str:
    return text.lower().strip(" ,.!?;:")


def _hallucinated(s: Segment, a: dict, hot: set[str]) -> bool:
    """Text Whisper made up at a chunk's edge: unsure words, or nothing but prompt hotwords."""
    if not s.words or s.avg_logprob is None or s.avg_logprob >= a["log_prob_threshold"]:
        return False
    mean_p = sum(w.probability for w in s.words) / len(s.words)
    only_hotwords = all(any(_bare(w.text) in h.split() for h in hot) for w in s.words)
    return mean_p < a["min_segment_probability"] or (only_hotwords and len(s.words) <= 4)
