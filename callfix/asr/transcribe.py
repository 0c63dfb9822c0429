"""Transcribe a decoded call into the data model: VAD → language routing → Whisper per unit → check.

Every decoded unit is checked piece by piece (callfix/asr/verify.py). Pieces its words leave
uncovered, or cover in the other language's script, are identified again on their own audio and
decoded again; the new words replace the old ones over those pieces when they cover more of them.
Segments that look made up stay in the transcript, flagged ``suspect`` with their reason.
"""
from __future__ import annotations

import math
import sys
from collections import Counter
from dataclasses import replace

from callfix.asr.backends import load_backend
from callfix.asr.cleanup import collapse_loops
from callfix.asr.routing import LidOptions, Unit, pick_language, route
from callfix.asr.vad import outside, speech_chunks
from callfix.asr.verify import (CHARACTER_WORDS, WORD_PAD, CheckOptions, cjk_share, compression_ratio, covered, failing_pieces,
                                mean_probability, repeated_segments, speech_coverage, suspect_reason, word_cover, words_in)
from callfix.audio import Audio
from callfix.model import Segment, Transcript, Word
from callfix.options import AsrOptions, Options, section
from callfix.progress import Hook, silent
from callfix.text import simplified

LOW_COVERAGE = 0.9  # below this share of speech covered by ASR words a call gets a warning


def transcribe(audio: Audio, opts: AsrOptions | Options | dict, hotwords: list[str] | None = None,
               hook: Hook = silent) -> Transcript:
    """The speech evidence of a decoded call. ``opts``: the asr options (or the options, or a whole config dict);
    ``hook("transcribe", completed=seconds_done, total=seconds)`` after each decoder unit (callfix.progress)."""
    a = section(opts, AsrOptions)
    t = Transcript(audio=audio.source, duration=round(audio.duration, 3))
    t.meta["asr"] = {"backend": a.backend, "model": a.model, "languages": list(a.languages)}
    chunks = speech_chunks(audio, a.vad)
    if not chunks:  # silence: no text rather than hallucinated text
        t.meta["asr"].update(units=[], speech_seconds=0.0, covered_seconds=0.0, coverage=1.0)
        return t
    fine = speech_chunks(audio, a.vad, fine=True)
    backend = load_backend(a)
    dec = _Decoder(audio, backend, a, hotwords, sum(e - s for s, e in fine))
    units: list[Unit] = []
    speech: list[tuple[float, float]] = []
    lid = LidOptions(list(a.languages), a.merge_max_seconds, a.lid_confidence, a.lid_slice_confidence,
                     a.lid_min_piece_seconds, a.lid_island_seconds, a.language_aliases, a.lead_seconds)
    for u in route(audio, chunks, backend, lid, fine):
        units.append(u)
        speech += u.pieces
        t.segments += dec.unit(u)
        hook("transcribe", completed=round(u.end, 1), total=round(audio.duration, 1))
    t.segments.sort(key=lambda s: s.start)
    t.languages = sorted({s.language for s in t.segments if not s.suspect}, key=list(a.languages).index)
    cov = speech_coverage(speech, t.segments)
    t.meta["asr"].update({
        "units": [_unit_meta(u) for u in units],
        "retries": [_unit_meta(u) for u in dec.retries],
        "extra_language_passes": dec.lid_passes + lid.passes,
        "loops_removed": dec.loops,
        "units_without_prompt": dec.unprompted,
        "suspect_segments": dict(Counter(s.suspect_reason for s in t.segments if s.suspect)),
        "speech_seconds": round(float(cov.speech_seconds), 2),
        "covered_seconds": round(float(cov.covered_seconds), 2),
        "coverage": round(float(cov.share), 4),
    })
    if cov.share < LOW_COVERAGE:
        print(f"callfix: warning: {audio.source}: ASR words cover {cov.share:.0%} of the speech "
              f"({cov.covered_seconds:.0f} of {cov.speech_seconds:.0f} s); turns may be missing", file=sys.stderr)
    return t


def _unit_meta(u: Unit) -> dict:
    return {"start": round(u.start, 3), "end": round(u.end, 3), "language": u.language, "p": round(u.language_prob, 3)}


class _Decoder:
    """Decodes units, checks them and decodes failing pieces again."""

    def __init__(self, audio: Audio, backend, a: AsrOptions, hotwords: list[str] | None, speech_seconds: float):
        self.audio, self.backend, self.a = audio, backend, a
        self.opt = CheckOptions.from_options(a)
        v = a.verify
        self.retry = v.retry
        self.min_retry_seconds = v.min_retry_seconds
        self.same_language_seconds = v.same_language_retry_seconds
        # A share of the call's speech, but never less than one longest retry: on a short call a
        # share alone would leave a whole lost sentence at a unit's end undecoded.
        self.retry_budget = max(v.max_retry_share * speech_seconds, self.same_language_seconds)
        self.retried = 0.0
        self.prompt = ", ".join(hotwords[: a.max_hotwords]) if hotwords and a.hotwords else None
        self.hot = {_bare(h) for h in hotwords or []} if self.prompt else set()
        self.loops = 0
        self.lid_passes = 0  # encoder passes spent identifying failing pieces again
        self.unprompted = 0  # units decoded again without the glossary prompt
        self.retries: list[Unit] = []

    def decode(self, u: Unit, prompt: bool = True) -> list[Segment]:
        # Every decoding stops where speech would: a loop otherwise runs on to the model's limit, at
        # each temperature of the fallback. A second decoding skips the fallback (where the first
        # looped, sampling loops too).
        opts = replace(self.a, max_new_tokens=_token_cap(u.end - u.start, self.a.tokens_per_second, self.a.max_new_tokens))
        if u.retry:
            opts = replace(opts, temperatures=list(self.a.temperatures)[:1])
        raw = self.backend.transcribe(self.audio.window(u.start, u.end), u.language, opts,
                                      self.prompt if u.language == "en" and prompt else None)
        segs = [_segment(rs, u, self.a) for rs in raw]
        self.loops += _collapse_unit_loops(segs, self.a.max_repeats)
        segs = [s for s in segs if s.text]
        for s in segs:
            reason = suspect_reason(s, compression_ratio(s.text), u.language, self.hot, self.opt)
            if reason:
                s.suspect, s.suspect_reason = True, reason
        for i in repeated_segments(segs):
            if not segs[i].suspect:
                segs[i].suspect, segs[i].suspect_reason = True, "loop"
        return segs

    def unit(self, u: Unit) -> list[Segment]:
        segs = self.decode(u)
        if not self.retry:
            return segs
        bad = self._failing(u, segs)
        prompt = True
        if self.prompt and u.language == "en" and _share(u, bad) > 0.5:
            # Most of the unit failed under the glossary prompt (on phone audio the decoder can skip,
            # loop or read the prompt back through whole turns with it): the unit once more without it
            # costs one decoding, where each failing piece alone would cost one apiece. Its pieces
            # decoded again start without the prompt too.
            self.unprompted += 1
            prompt = False
            new = self.decode(u, prompt=False)
            if _better(u.pieces, new, segs):
                segs = new
                bad = self._failing(u, segs)
        for run in _runs(sorted(bad)):
            segs = self._redo(u, run, segs, bad, prompt)
        return segs

    def _failing(self, u: Unit, segs: list[Segment]) -> dict[int, str]:
        return {i: why for i, why in failing_pieces(u.pieces, segs, u.language, self.opt).items()
                if u.pieces[i][1] - u.pieces[i][0] >= self.min_retry_seconds}

    def _afford(self, piece: tuple[float, float]) -> bool:
        """Decoding again in the same language is capped at a share of the call's speech."""
        seconds = piece[1] - piece[0]
        if self.retried + seconds > self.retry_budget:
            return False
        self.retried += seconds
        return True

    def _redo(self, u: Unit, run: list[int], segs: list[Segment], why: dict[int, str],
              prompt: bool = True) -> list[Segment]:
        """Identify each failing piece on its own audio, decode each same-language stretch alone, and
        keep the new words where they cover more of those pieces than the first decoding did."""
        a = self.a
        labels = []
        for i in run:
            if why[i] == "uncovered" and i < len(u.sure) and u.sure[i]:
                labels.append((u.language, u.language_prob))  # its language was clear: only the words went missing
                continue
            written = _script_language(u, i, segs, list(a.languages)) if why[i] == "script" else None
            if written:
                # Whisper held to one language wrote the piece out in the other's script ("please go
                # ahead" under zh): the words say which language was spoken, better than a second
                # language pass over the same second of audio, which had already picked wrong
                labels.append((written, 0.0))
                continue
            s, e = _piece_window(u, i)
            self.lid_passes += 1
            lang, p = pick_language(self.backend.stretch_language(self.audio.window(s, e)), list(a.languages),
                                    a.language_aliases)
            # an unsure reading of a second or so of audio does not move a piece out of its unit's language
            labels.append((lang, p) if lang == u.language or p >= a.lid_confidence else (u.language, u.language_prob))
        # Decoding a piece again in the same language pays where the first decoding lost a short
        # stretch (a sentence at a unit's end); unsure words or a long stretch would come out the same.
        # A piece in another language is always decoded again; the same language only within a budget.
        keep = [k for k, i in enumerate(run) if labels[k][0] != u.language or
                (why[i] == "uncovered" and u.pieces[i][1] - u.pieces[i][0] <= self.same_language_seconds
                 and self._afford(u.pieces[i]))]
        for k, i in enumerate(run):
            if k not in keep and labels[k][0] == u.language and why[i] == "uncovered":
                segs = self._redo_gaps(u, u.pieces[i], segs, prompt)
        run, labels = [run[k] for k in keep], [labels[k] for k in keep]
        k = 0
        while k < len(run):
            j = k
            while j + 1 < len(run) and labels[j + 1][0] == labels[k][0] and run[j + 1] == run[j] + 1:
                j += 1
            first, last = run[k], run[j]
            start, end = _piece_window(u, first)[0], _piece_window(u, last)[1]
            pieces = u.pieces[first:last + 1]
            sub = Unit(start, end, [], labels[k][0], min(p for _, p in labels[k:j + 1]), pieces, retry=True)
            self.retries.append(sub)
            new = self.decode(sub, prompt)
            if self.prompt and sub.language == "en" and not _better(pieces, new, segs):
                # On a short noisy stretch the glossary prompt can win out; where the unit failed under
                # it, a stretch decoded without it may still need it: the other way once, kept if better.
                other = self.decode(sub, prompt=not prompt)
                if _better(pieces, other, segs):
                    new = other
            if _better(pieces, new, segs):
                segs = _without(segs, start, end) + new
            k = j + 1
        return sorted(segs, key=lambda s: s.start)

    def _redo_gaps(self, u: Unit, piece: tuple[float, float], segs: list[Segment],
                   prompt: bool = True) -> list[Segment]:
        """A piece too long to decode again whole: decode again only the stretches its words leave
        bare (sentences the decoder skipped inside its window), each within the budget. A bare
        stretch, unlike a piece with unsure words, comes out anew when decoded alone, whatever its length."""
        for gap in _gaps(piece, segs, self.min_retry_seconds):
            if not self._afford(gap):
                continue
            sub = Unit(gap[0], gap[1], [], u.language, u.language_prob, [gap], retry=True)
            self.retries.append(sub)
            new = self.decode(sub, prompt)
            if _better([gap], new, segs):
                segs = sorted(_without(segs, *gap) + new, key=lambda s: s.start)
        return segs


def _script_language(u: Unit, i: int, segs: list[Segment], languages: list[str]) -> str | None:
    """The allowed language, other than the unit's, whose script the words over piece ``i`` are written in."""
    share = cjk_share(" ".join(w.text for w in words_in(u.pieces[i], segs, believable=False)))
    if share is None:
        return None
    chars = share >= 0.5
    return next((lang for lang in languages if lang != u.language and (lang in CHARACTER_WORDS) == chars), None)


def _token_cap(seconds: float, per_second: float | None, limit: int | None = None) -> int | None:
    """New tokens a decoding of ``seconds`` of audio may take: its speech, timestamps and a margin
    (the backend keeps it within the model's room beside the prompt)."""
    caps = [] if limit is None else [limit]
    if per_second is not None:
        caps.append(math.ceil(per_second * seconds) + 16)
    return min(caps, default=None)


def _gaps(piece: tuple[float, float], segs: list[Segment], min_seconds: float) -> list[tuple[float, float]]:
    """The stretches of ``piece`` at least ``min_seconds`` long that no believable word covers."""
    return [g for g in outside(piece, word_cover(segs)) if g[1] - g[0] >= min_seconds]


def _share(u: Unit, pieces: dict[int, str]) -> float:
    """The share of the unit's speech that lies in ``pieces``."""
    total = sum(e - s for s, e in u.pieces)
    return sum(u.pieces[i][1] - u.pieces[i][0] for i in pieces) / total if total else 0.0


def _piece_window(u: Unit, i: int) -> tuple[float, float]:
    """Piece ``i`` of ``u`` with some context, not reaching into its neighbours."""
    s, e = u.pieces[i]
    lo = u.pieces[i - 1][1] if i > 0 else u.start
    hi = u.pieces[i + 1][0] if i + 1 < len(u.pieces) else u.end
    return max(lo, s - 0.1, 0.0), min(hi, e + 0.1)


def _runs(indices: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in indices:
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _better(pieces: list[tuple[float, float]], new: list[Segment], old: list[Segment]) -> bool:
    """The new decoding covers clearly more of the pieces, or as much with surer words."""
    seconds = sum(e - s for s, e in pieces)
    (c_new, p_new), (c_old, p_old) = _quality(pieces, new), _quality(pieces, old)
    return c_new > c_old + 0.05 * seconds or (c_new >= c_old - 0.1 * seconds and p_new > p_old + 0.1)


def _quality(pieces: list[tuple[float, float]], segs: list[Segment]) -> tuple[float, float]:
    cover = word_cover(segs)
    words = [w for p in pieces for w in words_in(p, segs)]
    return sum(covered(p, cover) for p in pieces), mean_probability(words)


def _without(segs: list[Segment], start: float, end: float) -> list[Segment]:
    """``segs`` less their words inside [start, end] (these are being replaced); emptied segments go."""
    out = []
    for s in segs:
        keep = [w for w in s.words if not start - WORD_PAD / 3 <= (w.start + w.end) / 2 <= end + WORD_PAD / 3]
        if len(keep) == len(s.words):
            out.append(s)
        elif keep:
            joiner = "" if s.language in CHARACTER_WORDS else " "
            s.words, s.text = keep, joiner.join(w.text for w in keep)
            s.start, s.end = min(s.start, keep[0].start), keep[-1].end
            out.append(s)
    return out


def _segment(rs, u, a: AsrOptions) -> Segment:
    words = [
        Word(w.text.strip(), round(u.start + w.start, 3), round(u.start + w.end, 3), round(float(w.probability), 4), u.language)
        for w in rs.words if w.text.strip()
    ]
    text = rs.text.replace("\ufffd", "").strip()  # a multi-byte character cut by the tokenizer
    if u.language == "zh" and a.chinese_script == "simplified":
        text = simplified(text)
        for w in words:
            w.text = simplified(w.text)
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
