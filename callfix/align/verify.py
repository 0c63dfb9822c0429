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

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz

from callfix.align.candidates import Candidate, core, merges, number_candidates, parts, spellings, word_frequency
from callfix.align.evidence import metaphone_similarity, number_evidence, number_relation, sounds_alike
from callfix.align.glossary import Glossary
from callfix.text import has_cjk, phrase_units, strip_punct
from callfix.align.wording import join_words, with_vendor_edges
from callfix.asr.score import _tokenizer
from callfix.model import Edit, Token, Word
from callfix.options import AsrOptions, VadOptions, VerifyOptions

VENDOR, ASR = "vendor", "asr"
_SPACE = re.compile(r"\s+")


@dataclass
class Stretch:
    """What verification needs of one edit: ASR words [w1, w2) and the wordings to weigh."""

    edit: Edit
    w1: int
    w2: int
    wordings: dict[str, str]  # label -> text put in place of words [w1, w2)
    scores: dict[str, float] = field(default_factory=dict)
    vendor_name: str | None = None  # a glossary name or term the vendor's wording spells
    attested: bool = False  # the vendor's name-like wording is what the ASR heard elsewhere in the call
    introduced: str | None = None  # a name the vendor text introduces or repeats (the call's own candidates)
    gap_speech: float | None = None  # seconds of VAD speech where a deletion's vendor words would be
    name: bool = False  # the vendor's wording holds a capitalised word that does not start a sentence
    candidates: dict[str, Candidate] = field(default_factory=dict)  # label -> why a further wording is scored
    trusted_words: frozenset = frozenset()  # words of the call's trusted spellings (glossary, participants)
    probs: list[float] = field(default_factory=list)  # the ASR's word probabilities over [w1, w2)


@dataclass
class Window:
    start: float
    end: float
    a: int  # ASR words [a, b) are the window's text
    b: int
    stretches: list[Stretch] = field(default_factory=list)


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

    def __call__(self, words: list[Word], edits: list[Edit], gl: Glossary, rules, paragraphs=None) -> dict:
        """``paragraphs``: the vendor's, so a known confusion can be read with the words around an edit."""
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
        if paragraphs is not None and e.kind == "replace" and 0 <= e.paragraph < len(paragraphs):
            text = paragraphs[e.paragraph].text
            for wrong, alt in confusion_wordings(gl, text[:e.char_start], vtext, text[e.char_end:]):
                wordings[f"confusion:{wrong}"] = alt
        found = vendor_candidates(vtext, atext, [w.text for w in words[w1:w2]], e.kind, self.opts, gl)
        own = [c for c in found if c.kind != "part"]
        if len(wordings) == 2 and not own and e.kind != "delete" \
                and e.evidence.get("asr_probability_min", 1.0) < self.opts.min_asr_probability:
            return None  # a garbled reading alone: the audio could only confirm what the ASR misheard
        if e.evidence.get("asr_probability_min", 1.0) < self.opts.min_asr_probability:
            found = own  # pieces of a garbled reading are garbled too
        cands: dict[str, Candidate] = {}
        for c in found:
            label = ASR if phrase_units(c.text) == phrase_units(atext) else f"{c.kind}:{c.text}"
            if label == ASR or label not in wordings:
                wordings.setdefault(label, c.text)
                cands.setdefault(label, c)
        start = paragraphs is None or sentence_start(paragraphs[e.paragraph].text, e.char_start)
        return Stretch(e, w1, w2, wordings, vendor_name=spelled_name(gl, vtext),
                       introduced=spelled_name(Glossary(names=gl.candidates), vtext),
                       name=name_like(vtext, skip_first=start), candidates=cands,
                       trusted_words=trusted_words(gl), probs=[w.probability for w in words[w1:w2]])

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
                      gl: Glossary | None = None) -> list[Candidate]:
    """Wordings one change away from the vendor's: a run of words in a trusted spelling it sounds
    like, a split word joined, a number in a near form, one piece of the ASR's reading
    (callfix.align.candidates)."""
    if kind != "replace" or not vendor.strip():
        return []
    found = [*(spellings(vendor, gl.canonical()) if gl is not None else []), *merges(vendor, opts.merge_min_zipf)[:2],
             *number_candidates(vendor, asr, limit=3), *parts(vendor, asr_words)]
    return found[:opts.max_vendor_candidates]


@lru_cache(maxsize=64)
def _trusted_words(spellings: tuple[str, ...]) -> frozenset:
    # common words of firm names ("Bank", "Capital", "Key") vouch for no spelling
    return frozenset(k for t in spellings for w in t.split() if w[:1].isupper()
                     and word_frequency(k := strip_punct(w).lower()) < 4.5)


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
    unpadded: padding would count silence around a cough as speech."""
    # faster-whisper (CTranslate2, ONNX Runtime) loads only when a gap is checked, not with callfix.align
    from faster_whisper.vad import get_speech_timestamps

    from callfix.asr.routing import vad_options

    if len(samples) < 1600:
        return 0.0
    opts = replace(vad_options(vad), min_silence_duration_ms=300, speech_pad_ms=0)
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
                out.append((wrong, _restyle(alt, vendor) if len(vw) == len(inner) else alt))
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


def name_like(text: str, skip_first: bool = False) -> bool:
    """A capitalised word inside a sentence; at a sentence's start, one that is rare in lower case
    too (Whisper's BPE spends two or more tokens on it: "Tomasz", "Qiao", not "Attention")."""
    words = [w for w in strip_punct(text).split() if w[:1].isupper()]
    if not words:
        return False
    if not skip_first or not strip_punct(text).startswith(words[0]):
        return True
    return len(words) > 1 or _rare(words[0])


@lru_cache(maxsize=4096)
def _rare(word: str) -> bool:
    return len(_tokenizer(True, 99, "en").encode(" " + strip_punct(word).lower())) >= 2


def sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".?!:\"\u201c"


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
            why = f"the audio reads '{_short(sts[0].wordings[ASR])}' at all {len(sts)} mentions"
            out.update({id(st): why for st in sts})
    return out


def margin_confidence(m: float, apply_margin: float) -> float:
    """One figure for editors: 0.8 at the apply margin, 0.2 at a tie."""
    return 1.0 / (1.0 + math.exp(-(m - apply_margin / 2) * 2 * math.log(4) / apply_margin))


def decide(st: Stretch, win: Window, opts: VerifyOptions, rules, consistent: str | None = None) -> None:
    e, sc = st.edit, st.scores
    if VENDOR not in sc or len(sc) < 2:
        return
    others = {k: v for k, v in sc.items() if k != VENDOR}
    best = max(others, key=lambda k: (others[k], k == ASR))
    # a trusted spelling as good as the best reading is the one to write (the ASR's may be the same
    # sounds spelled otherwise)
    trusted = [k for k in others if k.startswith(("glossary:", "spelling:")) and others[k] >= others[best] - 0.5]
    best = max(trusted, key=others.get) if trusted else best
    m = others[best] - sc[VENDOR]
    e.evidence["acoustic"] = {"margin": round(m, 2), "best": best, "window": [round(win.start, 2), round(win.end, 2)],
                              "scores": {k: round(v, 2) for k, v in sc.items()}}
    before = e.decision
    supported = before == "applied"
    e.evidence["acoustic"]["decision_before"] = before
    long = e.evidence.get("cross_paragraph") or len(st.wordings[VENDOR].split()) > rules.max_tokens \
        or len(st.wordings[ASR].split()) > rules.max_tokens
    if e.kind == "delete":
        _decide_deletion(e, st, m, best, opts)
        return
    if best != ASR and best != VENDOR:
        text = st.wordings[best]
        if best == "redecode" or best.startswith("glossary:"):
            e.replacement = _restyle(text, e.vendor) if e.kind == "replace" else text
        elif best in st.candidates:
            e.replacement = text
    if best == ASR and best in st.candidates:
        e.replacement = st.candidates[best].text  # the ASR's reading in the vendor's own form
    cand = st.candidates.get(best)
    if cand is not None:
        e.evidence["acoustic"]["candidate"] = cand.why
        # one change to the vendor's wording: only the change need be short
        long = bool(e.evidence.get("cross_paragraph")) \
            or len(core(st.wordings[VENDOR], st.wordings[best])[0].split()) > rules.max_tokens
    alone = acoustic_alone(e, st, best, rules, m)
    if cand is not None and cand.kind in ("merge", "number", "spelling") and not long and e.replacement.strip() \
            and m >= one_change_margin(cand, opts) and not unlike_asr_digits(st, cand) \
            and not _keeps_glossary_spelling(e, st, best):
        # A join or a near number changes nothing the audio could have misheard but the one slip.
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m + opts.apply_margin / 2, opts.apply_margin)), 3)
        e.reason = f"{cand.why}; the audio favours '{_short(st.wordings[best])}' by {m:.1f} nats"
        return
    glossary = glossary_support(e) or (f"the glossary spells it '{st.wordings[best]}'" if best.startswith("glossary:")
                                       else None)
    if glossary and (sounds_alike(*core(st.wordings[VENDOR], st.wordings[best])) < 0.6
                     or rides_along(st.wordings[VENDOR], st.wordings[best], (e.evidence.get("glossary") or {}).get("term"))):
        # a decoder biased to its hotwords hears them in noise: a witness too needs a mishearing,
        # and vouches for its own term only
        glossary = None
    if consistent:
        e.evidence["consistent_reading"] = consistent
    confused = {k: v - sc[VENDOR] for k, v in sc.items() if k.startswith("confusion:")}
    known = max(confused, key=confused.get) if confused else None
    if known and confused[known] >= opts.apply_margin and not long and (alone is not None or best == known):
        # A known confusion and the audio agree, whatever the ASR itself read there.
        e.replacement = st.wordings[known]
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(confused[known], opts.apply_margin)), 3)
        e.reason = (f"known confusion '{known.split(':', 1)[1]}'; the audio favours "
                    f"'{_short(e.replacement)}' over the vendor's wording by {confused[known]:.1f} nats")
    elif m >= opts.apply_margin and alone is None and not long and e.replacement.strip() \
            and (cand is None or cand.kind == "part"):  # the others have their own rule, above
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m, opts.apply_margin)), 3)
        e.reason = f"the audio favours '{_short(st.wordings[best])}' over the vendor's wording by {m:.1f} nats"
    elif (supported or glossary) and m >= (opts.apply_margin if _number_only(e, glossary) else opts.supported_margin) \
            and not (_number_only(e, glossary) and e.evidence["number"].get("digit_similarity", 0) < 0.75) \
            and not long and best != "redecode" \
            and (e.evidence.get("asr_probability_min", 1.0) >= rules.floor_p or m >= opts.apply_margin) \
            and e.replacement.strip():
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m + opts.apply_margin / 2, opts.apply_margin)), 3)
        e.reason = (e.reason if supported else glossary) + f"; the audio agrees ({m:+.1f} nats)"
    elif m >= opts.suggest_margin:
        e.decision = "suggested"
        e.confidence = round(min(max(e.confidence, margin_confidence(m, opts.apply_margin)), 0.79), 3)
        why = " (long stretch: editor decides)" if long else f" ({alone})" if alone else ""
        e.reason = f"the audio favours '{_short(st.wordings[best])}' by {m:.1f} nats" + (why if m >= opts.apply_margin else "")
    elif m <= -opts.keep_margin:
        e.decision = "kept"
        e.confidence = round(min(e.confidence, margin_confidence(m, opts.apply_margin)), 3)
        e.reason = f"the vendor's wording fits the audio better ({-m:.1f} nats)"
    else:
        if e.decision == "applied":
            e.decision = "suggested"
        e.confidence = round(min(e.confidence, 0.79), 3)
        e.reason += f"; the audio cannot tell the wordings apart ({m:+.1f} nats)"
    if e.decision != "applied" and e.kind == "replace":
        apply_one_change(e, st, opts, rules)


def unlike_asr_digits(st: Stretch, c: Candidate) -> bool:
    """A number form the ASR did not read, where the ASR reads other digits closer to another form
    tried: on audio the decoder hears badly the forms' scores alone may pick the wrong near number."""
    if c.kind != "number" or c.heard:
        return False
    heard = "".join(ch for ch in st.wordings[ASR] if ch.isdigit())
    if not heard:
        return False
    forms = [x for x in st.candidates.values() if x.kind == "number"]

    def close(x: Candidate) -> float:
        return fuzz.ratio("".join(ch for ch in x.text if ch.isdigit()), heard)

    return close(c) < max(map(close, forms))


def one_change_margin(c: Candidate, opts: VerifyOptions) -> float:
    """The margin a wording one change from the vendor's needs: a join or a trusted spelling is its
    own witness; a number form needs a clear margin, twice that where the ASR did not read those
    digits (the right number may be none of the forms tried)."""
    if c.kind in ("merge", "spelling"):
        return opts.supported_margin
    if c.kind == "number" and not c.heard:
        return 2 * opts.apply_margin
    return opts.apply_margin


def apply_one_change(e: Edit, st: Stretch, opts: VerifyOptions, rules) -> bool:
    """Where the best wording is not allowed, the best wording one change from the vendor's that is:
    the audio supports that one change even where it hears more ("Oh Stara delivered 2.1" when it
    reads "I started to deliver 2.1", a name only a trusted spelling may replace)."""
    sc = st.scores
    for label in sorted((k for k in st.candidates if k in sc), key=lambda k: -sc[k]):
        c, m = st.candidates[label], sc[label] - sc[VENDOR]
        if m < opts.supported_margin:
            return False
        text = st.wordings[label]
        if e.evidence.get("cross_paragraph") or len(core(st.wordings[VENDOR], text)[0].split()) > rules.max_tokens \
                or _keeps_glossary_spelling(e, st, label) or not text.strip():
            continue
        if m < one_change_margin(c, opts) or unlike_asr_digits(st, c):
            continue
        if c.kind == "part" and acoustic_alone(e, st, label, rules, m) is not None:
            continue
        e.replacement, e.decision = text, "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m + opts.apply_margin / 2, opts.apply_margin)), 3)
        e.reason = f"{c.why}; the audio favours '{_short(text)}' over the vendor's wording by {m:.1f} nats"
        e.evidence["acoustic"]["applied_wording"] = label
        return True
    return False


def glossary_support(e: Edit) -> str | None:
    """A glossary witness beside the audio: a known confusion, or a glossary term the audio says."""
    gev = e.evidence.get("glossary") or {}
    if gev.get("confusion"):
        return f"known confusion '{gev['confusion'][0]}' -> '{gev['confusion'][1]}'"
    if gev.get("confusion_fuzzy"):
        return f"close to known confusion '{gev['confusion_fuzzy'][0]}' -> '{gev['confusion_fuzzy'][1]}'"
    if gev.get("term") and not gev.get("vendor_term") and gev["term"].lower() not in e.vendor.lower():
        return f"the audio says glossary term '{gev['term']}'"
    return None


_SMALL = frozenset("a an the is was are were be been am and or but in on at of to for by with as it its this that "
                   "these those we our you your they their he his she her i my me us them there here has have had "
                   "do does did will would can could so if then than".split())


def small_word_edges(a: str, b: str) -> bool:
    """Both wordings have a word more besides the change, and at one edge they differ in a small
    word ("cash slow was" / "cashflow is") or in a word's ending ("those reached" / "dose reach"):
    that part of the change rides along unproven."""
    ua, ub = phrase_units(a), phrase_units(b)
    if not ua or not ub or (len(ua) < 2 and len(ub) < 2):
        return False
    return any(x != y and (x in _SMALL and y in _SMALL or inflection_only(x, y))
               for x, y in ((ua[0], ub[0]), (ua[-1], ub[-1])))


def _number_only(e: Edit, glossary: str | None) -> bool:
    """Supported by a number alone: a wrong number costs most, so the audio must be clear."""
    return bool(e.evidence.get("number")) and not glossary


def inflection_only(a: str, b: str) -> bool:
    """The wordings differ only in endings: "investments" / "investment", "grow" / "grew" aside."""
    ua, ub = phrase_units(a), phrase_units(b)
    if len(ua) != len(ub) or ua == ub:
        return False
    for x, y in zip(ua, ub):
        if x == y:
            continue
        short, long_ = sorted((x, y), key=len)
        if short.endswith("y") and long_[:len(short) - 1] == short[:-1] and long_[len(short) - 1:] in ("ies", "ied"):
            continue  # "study" / "studies"
        if not (long_.startswith(short) and long_[len(short):] in ("s", "es", "d", "ed", "ing", "'s")):
            return False
    return True


def acoustic_alone(e: Edit, st: Stretch, best: str, rules, margin: float = 0.0) -> str | None:
    """Why the audio's margin alone may not apply this edit (None: it may).

    Whisper's reading is the decoder's own best guess, so on audio it hears badly it wins by many
    nats even where it is wrong. What else the edit must show: the vendor's words are not a
    glossary spelling the candidate drops, nor a name the ASR hears elsewhere, the vendor text
    introduces, or only a trusted spelling may replace; a vendor number is not traded for unlike
    digits, nor an acronym for words; the wordings sound alike (vendor errors are mishearings) and
    differ in more than an ending or a small word at the edge; and the ASR heard its words clearly."""
    v, c = st.wordings[VENDOR], st.wordings[best]
    if _keeps_glossary_spelling(e, st, best):
        term = (e.evidence.get("glossary") or {}).get("vendor_term") or st.vendor_name
        return f"the vendor's '{term}' is a glossary spelling"
    if st.attested:
        return f"the ASR hears the vendor's '{strip_punct(v)}' elsewhere in the call"
    if st.introduced and st.introduced.lower() not in c.lower():
        return f"'{st.introduced}' is a name the vendor text introduces; the audio alone does not respell it"
    vc, cc = core(v, c)  # what the wording changes: the guards below weigh only that
    trusted = all(strip_punct(w).lower() in st.trusted_words for w in cc.split() if w[:1].isupper()) \
        and _plain_words(vc) == _plain_words(cc)  # only the name changes
    if st.name and (vc == v or name_like(vc)) and not best.startswith("glossary:") and name_like(cc) and not trusted:
        # Whisper base rewrites rare names into common ones ("Tomasz" -> "Thomas", "Qiao" -> "Kyle")
        # as readily as it undoes a vendor's split ("Stan Lee" -> "Stanley"): a name changes only
        # to a trusted spelling (glossary, company, participants). A name heard as plain words
        # ("in France" -> "inference") is a homophone, judged as any other.
        return "a name: only a trusted spelling (glossary, participants) replaces it"
    slip = number_relation(vc, cc) if any(ch.isdigit() for ch in vc) else None
    if any(ch.isdigit() for ch in vc):
        num = number_evidence(list(phrase_units(vc)), list(phrase_units(cc)))
        if not num or (num["digit_similarity"] < 0.75 and not slip):
            return "the vendor's number does not resemble the audio's"
    acronyms = [w for w in vc.split() if sum(ch.isupper() for ch in w) >= 2]
    if acronyms and not any(sum(ch.isupper() for ch in w) >= 2 for w in cc.split()):
        return f"the vendor's '{strip_punct(acronyms[0])}' is an acronym the ASR may have heard as words"
    sound = sounds_alike(vc, cc)
    if sound < 0.6 and not slip:
        return "the wordings do not sound alike"
    if inflection_only(vc, cc):
        return "only a word ending differs (the ASR often hears those wrong)"
    if small_word_edges(vc, cc):
        return "the readings also differ in a small word at the edge (the ASR often hears those wrong)"
    cand = st.candidates.get(best)
    p = e.evidence.get("asr_probability_min", 1.0) if best == ASR else part_probability(st, cand)
    if p is not None and p < rules.min_p and not ((sound >= 0.9 or slip) and p >= 0.3 and margin >= 10.0):
        return "the ASR is unsure of its words"
    return None


def rides_along(vendor: str, wording: str, term: str | None) -> bool:
    """``wording`` has words besides the glossary ``term`` that the vendor's wording lacks
    ("Stanley You're lined up" for "Stan Lee. Your line is", term Morgan Stanley)."""
    if not term:
        return False
    own = set(phrase_units(term)) | set(phrase_units(vendor))
    return any(u not in own for u in phrase_units(wording))


def _plain_words(text: str) -> list[str]:
    return [strip_punct(w).lower() for w in text.split() if not w[:1].isupper()]


def part_probability(st: Stretch, cand: Candidate | None) -> float | None:
    """The least sure ASR word among those a part of the ASR's reading takes (None: not a part)."""
    if cand is None or cand.kind != "part" or cand.asr_words is None:
        return None
    j1, j2 = cand.asr_words
    probs = st.probs[j1:j2]
    return min(probs) if probs else 1.0


def _keeps_glossary_spelling(e: Edit, st: Stretch, best: str) -> bool:
    """The vendor's wording spells a glossary name or term that wording ``best`` drops."""
    gev = e.evidence.get("glossary") or {}
    term = gev.get("vendor_term") or st.vendor_name
    return bool(term) and term.lower() not in st.wordings[best].lower()


def trim_to_change(e: Edit) -> None:
    """An edit covers only the words it changes: words its replacement shares with the vendor's at
    either edge stay the vendor's text, so a reviewer sees the change and a phrase really said beside
    it is not touched ("Jason Yu with Ever Core" -> "Jason Yu with Evercore" edits "Ever Core")."""
    if e.kind != "replace" or not e.replacement.strip():
        return
    vt, rt = list(re.finditer(r"\S+", e.vendor)), e.replacement.split()
    i = 0
    while i < min(len(vt), len(rt)) - 1 and vt[i].group() == rt[i]:
        i += 1
    j = 0
    while j < min(len(vt), len(rt)) - 1 - i and vt[-1 - j].group() == rt[-1 - j]:
        j += 1
    if not i and not j:
        return
    a, b = vt[i].start(), vt[len(vt) - 1 - j].end()
    e.char_start, e.char_end = e.char_start + a, e.char_start + b
    e.vendor, e.replacement = e.vendor[a:b], " ".join(rt[i:len(rt) - j])


def _decide_deletion(e: Edit, st: Stretch, m: float, best: str, opts: VerifyOptions) -> None:
    """``m``: how much better the audio fits without the vendor's words (or with a second decode)."""
    if best == "redecode" and m >= opts.suggest_margin:
        e.kind, e.replacement = "replace", st.wordings["redecode"]
        e.decision = "suggested"
        e.confidence = round(min(margin_confidence(m, opts.apply_margin), 0.79), 3)
        e.reason = f"a second decode of this audio hears '{_short(e.replacement)}' ({m:.1f} nats over the vendor)"
    elif m >= opts.delete_margin and best == ASR and deletable(e, st, opts):
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m, opts.delete_margin)), 3)
        e.reason = f"not in the audio: it fits {m:.1f} nats better without these words"
    elif m <= -opts.keep_margin:
        e.decision = "kept"
        e.confidence = round(min(e.confidence, 0.2), 3)
        e.reason = f"the vendor's words are in the audio ({-m:.1f} nats better with them)"
    elif e.decision == "applied" and m < opts.supported_margin:
        e.decision = "suggested"
        e.reason += f"; the audio cannot confirm it ({m:+.1f} nats)"


def deletable(e: Edit, st: Stretch, opts: VerifyOptions) -> bool:
    """The audio can only testify that words are absent where they would have been said: enough
    time lies where the vendor puts them, voice activity finds no speech in it (speech there may be
    words the ASR missed), and the stretch keeps to one paragraph."""
    n = len(phrase_units(st.wordings[VENDOR]))
    gap = e.evidence.get("asr_gap_seconds")
    silent = st.gap_speech is not None and st.gap_speech < 0.3  # VAD: no speech the ASR could have missed
    return 3 <= n <= 30 and not e.evidence.get("cross_paragraph") and gap is not None and gap >= n / 4.0 and silent


def _restyle(text: str, vendor: str) -> str:
    """A candidate in the vendor's edge punctuation."""
    toks = vendor.split()
    if not toks:
        return text
    return with_vendor_edges([Token(toks[0], 0), Token(toks[-1], 0)], strip_punct(text))


def _short(text: str, n: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"
