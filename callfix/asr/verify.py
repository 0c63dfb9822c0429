"""Checks on a decoded unit: is each segment believable, and is each piece of speech covered?

A segment the decoder likely made up is flagged (``Segment.suspect``) with its reason, never
dropped. Speech coverage is the share of VAD speech seconds that believable ASR words cover; a
piece of speech left uncovered, or covered in the wrong script, sends its audio back to be
identified and decoded again.
"""
from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from callfix.model import Segment
from callfix.options import AsrOptions
from callfix.turns import merge_spans

WORD_PAD = 0.3  # a word covers this much either side: the gaps between words inside a piece of speech
# A segment this much made of the glossary prompt's words is the prompt read back, however sure the
# decoder is of it ("Folasade, Tessa Marlowe, Declan Moriarty, Folasade Bankole, ..." over an analyst's
# question on phone audio). Speech naming people keeps its own words between the names.
PROMPT_COPY_SHARE = 0.8
PROMPT_COPY_MIN_WORDS = 5
CHARACTER_WORDS = frozenset({"zh", "yue", "ja"})  # Whisper's words are single characters: a looped phrase spans more of them


@dataclass
class CheckOptions:
    log_prob_threshold: float = -1.0
    min_segment_probability: float = 0.35
    compression_ratio_threshold: float = 2.4
    max_words_per_second: float = 6.0  # English; Mandarin counts characters at twice this
    min_piece_coverage: float = 0.5  # a piece covered less than this is decoded again
    min_piece_probability: float = 0.45  # so is a piece whose words the decoder was this unsure of
    max_uncovered_seconds: float = 1.0  # or one that leaves this much of its speech without words

    @classmethod
    def from_options(cls, a: AsrOptions) -> "CheckOptions":
        v = a.verify
        return cls(a.log_prob_threshold, a.min_segment_probability, a.compression_ratio_threshold,
                   v.max_words_per_second, v.min_piece_coverage, v.min_piece_probability, v.max_uncovered_seconds)


def is_cjk(c: str) -> bool:
    return "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff"


LATIN_WORD = re.compile(r"[A-Za-z]+")


def cjk_share(text: str) -> float | None:
    """Share of CJK characters among the characters and Latin words of ``text`` (None: neither).

    A Latin word weighs as much as one character: a Mandarin sentence naming DeepSeek is Mandarin.
    """
    cjk = sum(1 for c in text if is_cjk(c))
    latin = len(LATIN_WORD.findall(text))
    return cjk / (cjk + latin) if cjk + latin else None


def script_matches(text: str, language: str) -> bool:
    share = cjk_share(text)
    if share is None:
        return True
    return share >= 0.5 if language in CHARACTER_WORDS else share < 0.5


def compression_ratio(text: str) -> float:
    b = text.encode("utf-8")
    return len(b) / len(zlib.compress(b)) if b else 0.0


def _key(text: str) -> str:
    return text.lower().strip(" ,.!?;:，。！？、")


LOOP_SHARE = 0.7  # a phrase repeated over this share of a segment is a loop, whatever stands either side


def is_loop(words: list[str], min_repeats: int = 3, min_n: int = 1) -> bool:
    """The segment is mostly one short phrase said over and over ("I'm sorry, I'm sorry, ...";
    "由鞋子来鞋子来鞋子来鞋子来鞋", where a stray character either side kept the copies from being the whole).
    Mandarin is checked by character from ``min_n`` 2: a doubled character is a word ("谢谢")."""
    keys = [_key(w) for w in words if _key(w)]
    for n in range(min_n, len(keys) // min_repeats + 1):
        i = 0
        while i + n * min_repeats <= len(keys):
            reps = 1
            while keys[i + reps * n:i + (reps + 1) * n] == keys[i:i + n]:
                reps += 1
            if reps >= min_repeats and reps * n >= LOOP_SHARE * len(keys):
                return True
            i += 1
    return False


REPEAT_MIN_UNITS = 4  # words (characters for Mandarin) a segment needs for its verbatim repeat to count as a loop


def repeated_segments(segments: list[Segment]) -> list[int]:
    """Indices of segments that repeat their neighbour's text verbatim ("我们请您的保护者,好吗?" three
    times over an English question): Whisper looping from one segment into the next, which the
    word-level loop guard misses when each copy is a long phrase said fewer than ``max_repeats`` times.
    Every copy is flagged: the loop's first copy is made up as much as its last. Short phrases
    ("Thank you.") are said twice in a row for real, so they do not count."""
    def units(s: Segment) -> list[str]:
        if s.language in CHARACTER_WORDS:
            return list(_key("".join(w.text for w in s.words)))
        return [k for w in s.words if (k := _key(w.text))]

    keys = [units(s) for s in segments]
    out: set[int] = set()
    for i in range(1, len(segments)):
        if len(keys[i]) >= REPEAT_MIN_UNITS and keys[i] == keys[i - 1]:
            out.update((i - 1, i))
    return sorted(out)


def suspect_reason(s: Segment, compression: float | None, language: str, hot: set[str],
                   opt: CheckOptions) -> str | None:
    """Why ``s`` looks made up, or None. Order: the most specific reason first."""
    words = s.words
    if not words:
        return None
    texts = [w.text for w in words]
    unsure = s.avg_logprob is not None and s.avg_logprob < opt.log_prob_threshold
    cjk = language in CHARACTER_WORDS
    if len(words) >= 3 and is_loop([c for t in texts for c in t] if cjk else texts, 3 if unsure else 4, 2 if cjk else 1):
        return "loop"
    if not script_matches(s.text, language):
        return "script"
    span = max(s.end - s.start, max(w.end for w in words) - min(w.start for w in words), 0.01)
    units = sum(len(t) for t in texts) if cjk else len(words)
    limit = opt.max_words_per_second * (2 if cjk else 1)
    if units >= 4 and units / span > limit:
        return "too_fast"
    if compression is not None and compression > opt.compression_ratio_threshold and len(words) >= 6:
        return "repetitive"
    hot_words = {x for h in hot for x in h.split()}
    from_prompt = sum(1 for w in words if _bare(w.text) in hot_words) / len(words)
    if len(words) >= PROMPT_COPY_MIN_WORDS and from_prompt >= PROMPT_COPY_SHARE:
        return "prompt_copy"
    if not unsure:
        return None
    mean_p = sum(w.probability for w in words) / len(words)
    if mean_p < opt.min_segment_probability:
        return "low_confidence"
    if from_prompt == 1 and len(words) <= 4:
        return "prompt_only"
    return None


def _bare(text: str) -> str:
    return text.lower().strip(" ,.!?;:")


def covered(span: tuple[float, float], cover: list[tuple[float, float]]) -> float:
    """Seconds of ``span`` inside the merged intervals ``cover``."""
    s, e = span
    return sum(max(0.0, min(e, b) - max(s, a)) for a, b in cover if b > s and a < e)


def word_cover(segments: Iterable[Segment], pad: float = WORD_PAD) -> list[tuple[float, float]]:
    """Where believable words are, widened by ``pad``: the time the ASR accounts for."""
    return merge_spans((w.start - pad, w.end + pad) for s in segments if not s.suspect for w in s.words)


@dataclass
class Coverage:
    speech_seconds: float
    covered_seconds: float

    @property
    def share(self) -> float:
        return self.covered_seconds / self.speech_seconds if self.speech_seconds > 0 else 1.0


def speech_coverage(speech: list[tuple[float, float]], segments: Iterable[Segment]) -> Coverage:
    cover = word_cover(segments)
    spans = merge_spans(speech)
    return Coverage(sum(e - s for s, e in spans), sum(covered(sp, cover) for sp in spans))


def failing_pieces(pieces: list[tuple[float, float]], segments: list[Segment], language: str,
                   opt: CheckOptions) -> dict[int, str]:
    """The pieces a unit's decoding failed, by index, with why: ``uncovered`` (speech without
    believable words), ``script`` (words in the other language's script) or ``unsure`` (words the
    decoder was unsure of: worth decoding again only in another language)."""
    cover = word_cover(segments)
    bad: dict[int, str] = {}
    for i, (s, e) in enumerate(pieces):
        if e - s <= 0:
            continue
        got = covered((s, e), cover)
        words = words_in((s, e), segments)
        wrong_script = bool(words_in((s, e), [seg for seg in segments if seg.suspect_reason == "script"],
                                     believable=False))
        if wrong_script:
            bad[i] = "script"
        elif got / (e - s) < opt.min_piece_coverage or (e - s) - got >= opt.max_uncovered_seconds:
            bad[i] = "uncovered"
        elif not script_matches("".join(w.text for w in words), language):
            bad[i] = "script"
        elif words and mean_probability(words) < opt.min_piece_probability:
            bad[i] = "unsure"
    return bad


def words_in(span: tuple[float, float], segments: Iterable[Segment], believable: bool = True) -> list:
    """The words whose middle lies in ``span`` (widened by WORD_PAD); ``believable``: of unflagged segments only."""
    s, e = span
    return [w for seg in segments if not (believable and seg.suspect) for w in seg.words
            if s - WORD_PAD <= (w.start + w.end) / 2 <= e + WORD_PAD]


def mean_probability(words) -> float:
    return sum(w.probability for w in words) / len(words) if words else 0.0
