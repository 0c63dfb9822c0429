"""Acoustic verification: the audio itself judges between the vendor's wording and the others.

Each English edit names a stretch of ASR words and the vendor's wording of it. Edits close in time
share one window of audio whose text is the ASR's words; the Whisper decoder is forced through
that text once with every stretch in the ASR's reading, once with every stretch in the vendor's,
and once per further candidate (a glossary spelling, a second decode of audio the ASR left
empty). A stretch's score is the log-probability of its tokens and of the tokens up to the next
stretch, so a wording that makes the words after it unlikely pays for that too. The margin of
the best other wording over the vendor's, in nats, decides: applied when it is large, suggested
when it is close, kept when the vendor's wording wins; ties go to the vendor.
"""
from __future__ import annotations

import re
import time
from dataclasses import replace
from functools import lru_cache

from rapidfuzz import fuzz

from callfix.align.candidates import (Candidate, merges, number_candidates, pairs, parts, sound_alikes, spellings,
                                      word_frequency)
from callfix.align.evidence import digits, metaphone_similarity, sounds_alike
from callfix.align.glossary import Glossary
from callfix.text import has_cjk, phrase_units, strip_punct
from callfix.align.wording import join_words, same_letters
from callfix.model import Edit, Word
from callfix.align.verdict import (ASR, VENDOR, Stretch, Window, decide, name_like, restyle, sentence_start, shorten,
                                   trim_to_change)
from callfix.options import AsrOptions, VadOptions, VerifyOptions


_SPACE = re.compile(r"\s+")
_NUMBER_BEFORE = re.compile(r"\d[\d,.]*\s+$")


def stretch_of(edit: Edit) -> tuple[int, int, str, str] | None:
    """The ASR word range and the two wordings an edit was built from (set by build_edits)."""
    return getattr(edit, "_piece", None)


class AcousticVerifier:
    """Scores the edits of one call against its audio with a Whisper backend's ``score_texts``."""

    def __init__(self, audio, backend, opts: VerifyOptions, asr: AsrOptions | None = None,
                 prompt: str | None = None):
        """``prompt``: the glossary prompt the ASR decoded English with; every wording is scored under it."""
        self.audio, self.backend, self.opts = audio, backend, opts
        self.asr, self.prompt = asr, prompt
        self.stats = {"windows": 0, "rows": 0, "stretches": 0, "redecoded": 0}
        self.numbers: frozenset = frozenset()
        self.vocabulary: frozenset = frozenset()

    def __call__(self, words: list[Word], edits: list[Edit], gl: Glossary, rules, paragraphs=None,
                 header: list[str] = ()) -> dict:
        """``paragraphs``: the vendor's, so a known confusion can be read with the words around an edit;
        with the ``header`` lines, the numbers the vendor text writes (a year in the title or the date)."""
        cpu = time.process_time()  # CPU, unlike wall time, barely moves with other load on the machine
        lines = [*header, *(p.text for p in paragraphs or [])]
        self.numbers, self.vocabulary = written_numbers(lines), written_words(lines)
        stretches = [s for e in edits if (s := self._stretch(words, e, gl, paragraphs)) is not None]
        heard = heard_text(words)
        for st in stretches:
            st.attested = name_like(st.wordings[VENDOR]) and f" {' '.join(phrase_units(st.wordings[VENDOR]))} " in heard
        windows = plan_windows(words, stretches, self.opts)
        for win in windows:
            self._redecode(words, win)
            self._score(words, win)
        mentions = consistent_readings([st for w in windows for st in w.stretches], heard, self.opts)
        for win in windows:
            for st in win.stretches:
                decide(st, win, self.opts, rules, mentions.get(id(st)))
                trim_to_change(st.edit)
        self.stats["consistent"] = len(mentions)
        self.stats["cpu_seconds"] = round(time.process_time() - cpu, 3)
        return self.stats

    def _stretch(self, words: list[Word], e: Edit, gl: Glossary, paragraphs=None) -> Stretch | None:
        piece = stretch_of(e)
        if piece is None or e.kind not in ("replace", "insert", "delete") or e.language != "en":
            return None
        w1, w2, vtext, atext = piece
        if any(w.language != "en" or has_cjk(w.text) for w in words[w1:w2]) or has_cjk(vtext):
            return None
        wordings = {VENDOR: vtext, ASR: atext}
        trusted = set(gl.canonical())
        for alt in glossary_wordings(gl, vtext, atext)[: self.opts.max_candidates]:
            wordings[f"{'glossary' if alt in trusted else 'candidate'}:{alt}"] = alt
        text = paragraphs[e.paragraph].text if paragraphs is not None and 0 <= e.paragraph < len(paragraphs) else None
        if text is not None and e.kind == "replace":
            for wrong, alt in confusion_wordings(gl, text[:e.char_start], vtext, text[e.char_end:]):
                wordings[f"confusion:{wrong}"] = alt
        left = text[:e.char_start].split()[-1:] if text is not None else []
        found = vendor_candidates(vtext, atext, [w.text for w in words[w1:w2]], e.kind, self.opts, gl,
                                  left=" ".join(left))
        own = [c for c in found if c.kind != "part"]
        term = (e.evidence.get("glossary") or {}).get("term") and not same_letters(vtext, atext)
        if len(wordings) == 2 and not own and e.kind != "delete" and not term \
                and e.evidence.get("asr_probability_min", 1.0) < self.opts.min_asr_probability:
            # a garbled reading alone: the audio could only confirm what the ASR misheard (a reading that
            # spells a glossary term is a trusted wording, scored like one)
            return None
        if e.evidence.get("asr_probability_min", 1.0) < self.opts.min_asr_probability:
            found = own  # pieces of a garbled reading are garbled too
        cands: dict[str, Candidate] = {}
        for c in found:
            # a candidate the ASR already reads is a witness for the ASR's row, not a row of its own
            label = ASR if phrase_units(c.text) == phrase_units(atext) else f"{c.kind}:{c.text}"
            if c.kind == "number" and not c.heard and digits(c.text) in self.numbers:
                # the vendor text writes that number elsewhere ("Q2 2026" in the title for "quarter 206")
                c = replace(c, own=True, why=f"{c.why}, as the vendor text writes it elsewhere")
            if c.kind == "homophone" and same_letters(c.text, atext):
                # the ASR heard the homophone itself (perhaps with a word boundary elsewhere: "onto
                # contract" / "on to contract"): a second witness
                c = replace(c, heard=True)
            wordings.setdefault(label, c.text)
            cands.setdefault(label, c)
        start = text is None or sentence_start(text, e.char_start)
        after_number = text is not None and bool(_NUMBER_BEFORE.search(text[:e.char_start]))
        return Stretch(e, w1, w2, wordings, vendor_name=spelled_name(gl, vtext), after_number=after_number,
                       introduced=spelled_name(Glossary(names=gl.candidates), vtext),
                       name=name_like(vtext, skip_first=start), candidates=cands,
                       trusted_words=trusted_words(gl), probs=[w.probability for w in words[w1:w2]],
                       call_words=self.vocabulary)

    def _redecode(self, words: list[Word], win: Window) -> None:
        """Audio the ASR left empty under vendor words is decoded once more on its own."""
        if self.asr is None:
            return
        for st in win.stretches:
            if st.w1 != st.w2 or self.stats["redecoded"] >= self.opts.max_redecodes:
                continue
            t0 = words[st.w1 - 1].end if st.w1 > 0 else win.start
            t1 = words[st.w1].start if st.w1 < len(words) else win.end
            if t1 - t0 < self.opts.redecode_gap:
                continue
            st.gap_speech = speech_seconds(self.audio.window(t0, t1), self.asr.vad)
            st.edit.evidence["gap_speech_seconds"] = round(st.gap_speech, 2)
            if st.gap_speech < 0.3:
                continue  # nothing was said there: nothing to decode
            self.stats["redecoded"] += 1
            opts = replace(self.asr, word_timestamps=False, temperatures=[0.0])
            raw = self.backend.transcribe(self.audio.window(max(0.0, t0 - 0.1), t1 + 0.1), "en", opts, self.prompt)
            text = _SPACE.sub(" ", " ".join(s.text.strip() for s in raw)).strip()
            if text and phrase_units(text) != phrase_units(st.wordings[VENDOR]):
                st.wordings["redecode"] = text
            st.edit.evidence["redecoded"] = text

    def _score(self, words: list[Word], win: Window) -> None:
        # Row k puts every stretch in its k-th wording (its ASR reading once it has no more), so a
        # window costs as many decoder rows as its most contested stretch has wordings.
        extra = [[k for k in st.wordings if k not in (VENDOR, ASR)] for st in win.stretches]
        choices = [[VENDOR] * len(extra), [ASR] * len(extra)]
        choices += [[x[k] if k < len(x) else ASR for x in extra] for k in range(max(map(len, extra), default=0))]
        rows, slots = [], []
        for n, choice in enumerate(choices):
            text, spans = window_text(words, win, choice)
            if n >= 2:
                # The decoder reads left to right: after the last stretch this row alone puts in a
                # further wording, its text only repeats the ASR row's, so the row ends there.
                last = max(i for i, (lab, x) in enumerate(zip(choice, extra)) if lab in x)
                text = text[:spans[last][1]]
            rows.append(text)
            slots.append(spans)
        scored = self.backend.score_texts(self.audio.window(win.start, win.end), rows, "en", self.prompt)
        self.stats["windows"] += 1
        self.stats["rows"] += len(rows)
        self.stats["stretches"] += len(win.stretches)
        for choice, sc, spans in zip(choices, scored, slots):
            for st, label, (a, b) in zip(win.stretches, choice, spans):
                if b <= len(sc.text):
                    st.scores.setdefault(label, sc.span(a, b))


def vendor_candidates(vendor: str, asr: str, asr_words: list[str], kind: str, opts: VerifyOptions,
                      gl: Glossary | None = None, left: str = "") -> list[Candidate]:
    """Wordings one change away from the vendor's: a run of words in a trusted spelling it sounds
    like, a split word joined, a number in a near form, a common word that sounds like one or two
    of the vendor's, one piece of the ASR's reading (callfix.align.candidates)."""
    if kind != "replace" or not vendor.strip():
        return []
    found = [*(spellings(vendor, spelling_terms(gl), left=left, asr=asr, names=frozenset(gl.candidates),
                         whole=frozenset(gl.canonical()))
               if gl is not None else []),
             *merges(vendor, opts.merge_min_zipf, asr, opts.heard_join_max_zipf)[:2],
             *(spellings(vendor, own_spelling_terms(gl), limit=1, asr=asr, own=True) if gl is not None else []),
             *number_candidates(vendor, asr, limit=3), *sound_alikes(vendor, asr_words, opts.max_sound_alikes),
             *parts(vendor, asr_words)]
    found = found[:opts.max_vendor_candidates]
    return [*found, *pairs(vendor, found)]


@lru_cache(maxsize=64)
def _trusted_words(spellings: tuple[str, ...]) -> frozenset:
    # common words of firm names ("Bank", "Capital", "Key") vouch for no spelling
    return frozenset(k for t in spellings for w in t.split() if w[:1].isupper()
                     and word_frequency(k := strip_punct(w).lower()) < 4.5)


@lru_cache(maxsize=64)
def _spelling_terms(spellings: tuple[str, ...], firms: frozenset) -> tuple[str, ...]:
    # a firm's words are common ones ("Wells", "Loop", "Piper"): only its whole name counts
    words = [w for t in spellings if " " in t and t not in firms for w in (strip_punct(x) for x in t.split())
             if w[:1].isupper() and len(w) >= 4 and word_frequency(w.lower()) < 4.5]
    return tuple(dict.fromkeys([*spellings, *words]))


def spelling_terms(gl: Glossary) -> list[str]:
    """The trusted spellings a run of vendor words may be respelled into: each one whole, and each
    rare capitalised word of a multi-word one on its own (a person is named by the surname, a firm
    by its first word: "Oyo Lauren" for Oyelaran of "Marcus Oyelaran", "Oh Stara" for Ostara of
    "Ostara Energy")."""
    return list(_spelling_terms(tuple(gl.canonical()), frozenset(gl.firms)))


def own_spelling_terms(gl: Glossary) -> list[str]:
    """Spellings the vendor text itself repeats or introduces (``gl.candidates``: "Cerro Alto"), whole
    and by their rare capitalised words, that no trusted spelling gives: a run that sounds like one
    ("Sierra") may be the same name misheard where the vendor wrote it once otherwise."""
    trusted = set(spelling_terms(gl))
    return [t for t in _spelling_terms(tuple(gl.candidates), frozenset()) if t not in trusted]


_LONG_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def written_numbers(lines: list[str]) -> frozenset:
    """The numbers of three digits or more the vendor text writes, by their digits ("2026", "1.25")."""
    found = (digits(m.group()) for ln in lines for m in _LONG_NUMBER.finditer(ln))
    return frozenset(d for d in found if sum(ch.isdigit() for ch in d) >= 3)


def written_words(lines: list[str]) -> frozenset:
    """The words the vendor text writes, in lower case: the call's own vocabulary."""
    return frozenset(w for ln in lines for w in phrase_units(ln))


def trusted_words(gl: Glossary) -> frozenset:
    """Capitalised words of the trusted spellings: "Sandler" of "Piper Sandler", "Stanley" of
    "Morgan Stanley"."""
    return _trusted_words(tuple(gl.canonical()))


def spelled_name(gl: Glossary, text: str) -> str | None:
    """A capitalised word of ``text`` that is a glossary entry or a word of a multi-word name."""
    words = {w for w in (strip_punct(x) for x in text.split()) if w[:1].isupper() or w.isupper()}
    if not words:
        return None
    firms = set(gl.firms)
    for term in gl.canonical():
        # a firm's words are common ones ("Key", "Bank", "Capital"): only its whole name counts
        parts = set(term.split()) if term not in firms else set()
        hit = words & ({term} | parts if len(term) >= 2 else set())
        if hit:
            return sorted(hit, key=len)[-1]
    return None


def speech_seconds(samples, vad: VadOptions) -> float:
    """Seconds of speech the ASR's voice activity detector (``asr.vad``) finds in a stretch of audio,
    unpadded: padding would count silence around a cough as speech. It testifies to silence, so it
    listens at the rescue threshold the ASR hears quiet speech with: on phone audio the usual one
    finds none of a 2 s gap where "20% above last year's." was said."""
    # faster-whisper (CTranslate2, ONNX Runtime; callfix.asr loads it too) only when a gap is checked
    from faster_whisper.vad import get_speech_timestamps

    from callfix.asr.vad import vad_options

    if len(samples) < 1600:
        return 0.0
    opts = replace(vad_options(vad, threshold=min(vad.threshold, vad.rescue_threshold or vad.threshold)),
                   min_silence_duration_ms=300, speech_pad_ms=0)
    return sum(s["end"] - s["start"] for s in get_speech_timestamps(samples, opts)) / 16000


def confusion_wordings(gl: Glossary, left: str, vendor: str, right: str) -> list[tuple[str, str]]:
    """Known confusions the vendor's wording is part of, read with up to three words either side:
    (the confused form, what replaces the vendor's words). "Google" before "Cloud" with the confusion
    Google Cloud -> Kingsoft Cloud gives "Kingsoft"; a target that would change the context is skipped."""
    lw, vw, rw = left.split()[-3:], vendor.split(), right.split()[:3]
    if not vw:
        return []
    words = [*lw, *vw, *rw]
    keys = [tuple(re.sub(r"['\u2019]s$", "", u) for u in phrase_units(w)) for w in words]
    flat = [u for k in keys for u in k]
    owner = [i for i, k in enumerate(keys) for _ in k]
    v0, v1 = len(lw), len(lw) + len(vw)
    out = []
    for wrong, target in gl.confusions.items():
        wu = phrase_units(wrong)
        if not wu:
            continue
        for s in range(len(flat) - len(wu) + 1):
            if tuple(flat[s:s + len(wu)]) != wu:
                continue
            a, b = owner[s], owner[s + len(wu) - 1] + 1
            if b <= v0 or a >= v1:
                continue  # the confusion lies in the context only
            tw = target.split()
            pre, post = words[a:v0] if a < v0 else [], words[v1:b] if b > v1 else []
            # the context words inside the confusion must come through unchanged
            if pre and _bare(tw[:len(pre)]) != _bare(pre):
                continue
            if post and _bare(tw[len(tw) - len(post):]) != _bare(post):
                continue
            core = tw[len(pre):len(tw) - len(post)]
            if not core:
                continue
            inner = [*vw[max(0, a - v0):len(vw) - max(0, v1 - b)]]
            outside_left = vw[:max(0, a - v0)]
            outside_right = vw[len(vw) - max(0, v1 - b):] if v1 > b else []
            alt = " ".join([*outside_left, *core, *outside_right]) if inner else ""
            if alt and re.search(r"['\u2019]s\W*$", vw[-1]) and b >= v1 and not alt.endswith("'s"):
                alt += "'s"  # the vendor's possessive stays
            if alt:
                out.append((wrong, restyle(alt, vendor) if len(vw) == len(inner) else alt))
            break
    return out


def _bare(words: list[str]) -> list[str]:
    return [re.sub(r"['\u2019]s$", "", strip_punct(x).lower()) for x in words]


def glossary_wordings(gl: Glossary, vendor: str, asr: str) -> list[str]:
    """Glossary spellings that sound like the stretch: candidates for the audio to weigh."""
    v, a = strip_punct(vendor), strip_punct(asr)
    if not v and not a:
        return []
    out = []
    for term in [*gl.canonical(), *gl.candidates]:
        if term.lower() in v.lower() or term.lower() == a.lower() or len(term) < 3:
            continue
        close = max(metaphone_similarity(term, x) for x in (v, a) if x)
        spelled = max(fuzz.ratio("".join(phrase_units(term)), "".join(phrase_units(x))) / 100 for x in (v, a) if x)
        if close >= 0.75 or spelled >= 0.8:
            out.append((max(close, spelled), term))
    out.sort(key=lambda x: -x[0])
    return [t for _, t in out]


def plan_windows(words: list[Word], stretches: list[Stretch], opts: VerifyOptions) -> list[Window]:
    """Stretches grouped into windows of English ASR words, cut at pauses, at most max_window long."""
    out: list[Window] = []
    for st in sorted(stretches, key=lambda s: (s.w1, s.w2)):
        if not all(_english(w) for w in words[st.w1:st.w2]):
            continue  # Mandarin speech is judged as a whole paragraph, not word by word
        a, b = _extend(words, st.w1, -1, opts), _extend(words, st.w2, 1, opts)
        if b <= a:
            continue
        if out and _joins(words, out[-1].b, a, opts) and _span(words, out[-1].a, max(b, out[-1].b)) <= opts.max_window \
                and not _overlaps(out[-1], st):
            out[-1].b = max(b, out[-1].b)
            out[-1].stretches.append(st)
            continue
        if _span(words, a, b) > opts.max_window:
            continue
        out.append(Window(0.0, 0.0, a, b, [st]))
    for win in out:
        win.start, win.end = _edges(words, win.a, win.b)
        win.stretches = [st for st in win.stretches if _inside(words, win, st)]
    return [w for w in out if w.stretches and w.end - w.start <= 29.5]


def _extend(words: list[Word], i: int, step: int, opts: VerifyOptions) -> int:
    """Context words before word ``i`` (step -1: the first index) or from ``i`` on (step 1: one
    past the last): English, no long pause inside the context, about context_seconds of speech.
    The pause next to the stretch itself is kept: it may be where the vendor's words were said."""
    n = len(words)
    j = i
    if step < 0:
        anchor = words[i].start if i < n else (words[-1].end if words else 0.0)
        while j > 0 and _english(words[j - 1]) and anchor - words[j - 1].start <= opts.context_seconds:
            if j < i and words[j].start - words[j - 1].end > opts.max_gap:
                break
            j -= 1
        return j
    anchor = words[i - 1].end if i > 0 else (words[0].start if words else 0.0)
    while j < n and _english(words[j]) and words[j].end - anchor <= opts.context_seconds:
        if j > i and words[j].start - words[j - 1].end > opts.max_gap:
            break
        j += 1
    return j


def _joins(words: list[Word], b: int, a: int, opts: VerifyOptions) -> bool:
    """A window ending before word ``b`` can grow to a stretch whose context starts at word ``a``:
    they overlap, or the words between are English speech with no long pause (one encoder pass
    then serves both)."""
    if a < b:
        return True
    between = words[max(0, b - 1):a + 1]
    return all(_english(w) for w in between[1:-1]) and all(
        y.start - x.end <= opts.max_gap for x, y in zip(between, between[1:]))


def _english(w: Word) -> bool:
    return w.language == "en" and not has_cjk(w.text)


def _span(words: list[Word], a: int, b: int) -> float:
    if b <= a:
        return 0.0
    return words[b - 1].end - words[a].start + 0.6


def _overlaps(win: Window, st: Stretch) -> bool:
    last = win.stretches[-1]
    return st.w1 < last.w2 or (st.w1 == last.w2 and (st.w1 == st.w2 or last.w1 == last.w2))


def _inside(words: list[Word], win: Window, st: Stretch) -> bool:
    return win.a <= st.w1 <= st.w2 <= win.b and all(_english(w) for w in words[win.a:win.b])


def _edges(words: list[Word], a: int, b: int) -> tuple[float, float]:
    """Window edges in the pauses around its words: half way to the neighbours, at most 0.3 s out."""
    first, last = words[a], words[b - 1]
    lo = first.start - 0.3
    if a > 0:
        lo = max(lo, (words[a - 1].end + first.start) / 2)
    hi = last.end + 0.3
    if b < len(words):
        hi = min(hi, (last.end + words[b].start) / 2)
    return max(0.0, lo), max(hi, lo + 0.1)


def window_text(words: list[Word], win: Window, label: str | list[str]) -> tuple[str, list[tuple[int, int]]]:
    """The window's text with every stretch in wording ``label`` (the ASR's where it has none; a
    list gives each stretch its own), and for each stretch the characters its score covers: its
    own and those up to the next one."""
    labels = label if isinstance(label, list) else [label] * len(win.stretches)
    parts: list[str] = []
    starts: list[int] = []
    length = 0

    def put(text: str) -> None:
        nonlocal length
        text = text.strip()
        if text:
            if parts:
                length += 1
            parts.append(text)
            length += len(text)

    i = win.a
    for st, lab in zip(win.stretches, labels):
        put(join_words(words[i:st.w1]))
        starts.append(length)
        put(st.wordings.get(lab, st.wordings[ASR]))
        i = st.w2
    put(join_words(words[i:win.b]))
    text = " ".join(parts)
    spans = [(starts[k], starts[k + 1] if k + 1 < len(starts) else len(text)) for k in range(len(starts))]
    return text, spans


def heard_text(words: list[Word]) -> str:
    return " " + " ".join(u for w in words for u in phrase_units(w.text)) + " "


def consistent_readings(stretches: list[Stretch], heard: str, opts: VerifyOptions) -> dict[int, str]:
    """A name the audio reads the same way at every mention, differently from the vendor, and the
    vendor's spelling nowhere in the ASR's words (``heard``, from ``heard_text``): recorded as
    evidence for the editor."""
    groups: dict[tuple, list[Stretch]] = {}
    for st in stretches:
        sc = st.scores
        if VENDOR not in sc or ASR not in sc or st.edit.kind != "replace":
            continue
        v, a = st.wordings[VENDOR], st.wordings[ASR]
        if not name_like(v) or sc[ASR] - sc[VENDOR] < opts.apply_margin / 2 or sounds_alike(v, a) < 0.75:
            continue
        groups.setdefault((phrase_units(v), phrase_units(a)), []).append(st)
    out = {}
    for (vu, au), sts in groups.items():
        if len(sts) >= 2 and vu and f" {' '.join(vu)} " not in heard:
            why = f"the audio reads '{shorten(sts[0].wordings[ASR])}' at all {len(sts)} mentions"
            out.update({id(st): why for st in sts})
    return out

