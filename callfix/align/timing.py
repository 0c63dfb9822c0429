"""Unit-level alignment of a vendor transcript to ASR words, and the times/speakers it gives tokens."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from callfix.align.aligner import Opcode, align_tokens
from callfix.text import cjk_share, strip_punct, units
from callfix.model import Paragraph, Transcript, Word
from callfix.turns import Turns


@dataclass(frozen=True)
class Loop:
    """A vendor repetition loop: tokens [k1, k2) of a paragraph repeat ``phrase`` ``count`` times, ``period``
    tokens each; g1, g2 are the same tokens counted over the whole call (-1 until it is placed)."""

    k1: int
    k2: int
    period: int
    count: int
    phrase: str
    paragraph: int = -1
    g1: int = -1
    g2: int = -1


@dataclass(frozen=True)
class WeakParagraph:
    """An English paragraph that barely matched, left out of the second pass with the Mandarin ASR words
    (indices into Alignment.words) between its neighbours."""

    paragraph: int
    zh_words: tuple[int, ...]


@dataclass
class Alignment:
    """Both sides flattened to matching units, with the opcodes between them."""

    paragraphs: list[Paragraph]
    words: list[Word]
    vendor_units: list[str] = field(default_factory=list)  # the vendor's matching units, in order
    unit_token: list[int] = field(default_factory=list)  # vendor unit -> global token index
    toks: list[tuple[int, int]] = field(default_factory=list)  # global token -> (paragraph, token)
    tok_units: list[tuple[int, int]] = field(default_factory=list)  # global token -> unit range
    asr_units: list[str] = field(default_factory=list)  # the ASR words' matching units, in order
    unit_word: list[int] = field(default_factory=list)  # ASR unit -> word index
    word_units: list[tuple[int, int]] = field(default_factory=list)
    ops: list[Opcode] = field(default_factory=list)
    vmatch: list[int] = field(default_factory=list)  # vendor unit -> ASR unit (-1: none)
    wmatch: list[int] = field(default_factory=list)
    assigned: list[int] = field(default_factory=list)  # vendor unit -> ASR word (-1: none)
    loops: list[Loop] = field(default_factory=list)  # vendor repetition loops, kept out of the alignment
    weak: list[WeakParagraph] = field(default_factory=list)  # barely matched English paragraphs, kept out too

    def token(self, g: int):
        p, k = self.toks[g]
        return self.paragraphs[p].tokens[k]

    @cached_property
    def lower_words(self) -> frozenset:
        """The words the vendor text writes in lower case somewhere (without their punctuation)."""
        return frozenset(w for p in self.paragraphs for t in p.tokens if (w := strip_punct(t.text))[:1].islower())

    total_units: int = 0  # vendor units outside loops, including paragraphs the second pass left out

    @property
    def coverage(self) -> float:
        """Share of vendor units inside runs of 3+ matched units: scattered chance matches of
        common words ("the", "and", "next year") between unrelated texts do not count."""
        total = max(self.total_units, len(self.vendor_units))
        runs = sum(i2 - i1 for tag, i1, i2, _, _ in self.ops if tag == "equal" and i2 - i1 >= 3)
        return runs / total if total else 0.0

    @property
    def asr_coverage(self) -> float:
        return sum(1 for m in self.wmatch if m >= 0) / len(self.asr_units) if self.asr_units else 0.0

    def stretches(self) -> list[tuple[int, int, int, int]]:
        """Maximal runs of non-equal opcodes as (a1, a2, b1, b2) unit ranges."""
        out: list[list[int]] = []
        last_equal = True
        for tag, i1, i2, j1, j2 in self.ops:
            if tag == "equal":
                last_equal = True
                continue
            if not last_equal and out:
                out[-1][1], out[-1][3] = i2, j2
            else:
                out.append([i1, i2, j1, j2])
            last_equal = False
        return [tuple(s) for s in out]


def build_alignment(paragraphs: list[Paragraph], words: list[Word], anchor_ngram: int = 4,
                    loop_min_repeats: int = 3, weak_share: float = 0.25, weak_min_units: int = 8) -> Alignment:
    """Two passes: the second leaves out English paragraphs that barely matched (a machine
    translation over Mandarin speech, a turn the ASR missed) and the Mandarin words under them,
    so their few chance matches ("Thank you") cannot pull their neighbours out of place."""
    al = Alignment(paragraphs=paragraphs, words=words)
    looped: set[tuple[int, int]] = set()
    g0 = 0
    for pi, p in enumerate(paragraphs):
        # A vendor loop ("this one, this one, ..." x61) would smear its repeats over the audio's
        # own words; it takes no part in the alignment and is judged on its own.
        for lp in find_loops([units(k.text) for k in p.tokens], loop_min_repeats):
            al.loops.append(replace(lp, paragraph=pi, g1=g0 + lp.k1, g2=g0 + lp.k2))
            looped.update((pi, k) for k in range(lp.k1, lp.k2))
        g0 += len(p.tokens)
    _pass(al, anchor_ngram, looped, set(), set())
    al.total_units = len(al.vendor_units)
    weak = _weak_paragraphs(al, weak_share, weak_min_units)
    if weak:
        claimed: dict[int, list[int]] = {}
        flanks = Flanks(al)
        zh = [w for w, word in enumerate(words) if word.language == "zh"]
        for pi in weak:
            before, after = flanks.paragraph(pi)
            claimed[pi] = zh[bisect.bisect_right(zh, before):bisect.bisect_left(zh, after)]
        claimed = share_out(claimed, words, {pi: len(paragraphs[pi].tokens) for pi in weak})
        _pass(al, anchor_ngram, looped, set(weak), {w for ws in claimed.values() for w in ws})
        al.weak = [WeakParagraph(pi, tuple(claimed[pi])) for pi in weak]
    return al


def share_out(claimed: dict[int, list[int]], words: list[Word], sizes: dict[int, int]) -> dict[int, list[int]]:
    """Mandarin words that neighbouring weak paragraphs both claim (they lie between the same matched
    words) go to one of them each: in paragraph order, in proportion to the paragraphs' lengths, each
    share cut at the longest pause near its end. A vendor that splits one translated turn in two
    otherwise gets the whole Mandarin beside each half."""
    out = {pi: list(ws) for pi, ws in claimed.items()}
    order = sorted(out)
    groups: list[list[int]] = []
    for pi in order:
        if groups and set(out[pi]) & {w for q in groups[-1] for w in out[q]}:
            groups[-1].append(pi)
        else:
            groups.append([pi])
    for group in (g for g in groups if len(g) > 1):
        pool = sorted({w for pi in group for w in out[pi]})
        total = sum(max(1, sizes.get(pi, 1)) for pi in group)
        lo, done = 0, 0
        for k, pi in enumerate(group):
            if k == len(group) - 1:
                out[pi] = [w for w in pool[lo:] if w in claimed[pi]]
                break
            done += max(1, sizes.get(pi, 1))
            ideal = round(done / total * len(pool))
            reach = max(1, len(pool) // (4 * len(group)))
            cuts = range(max(lo + 1, ideal - reach), min(len(pool) - 1, ideal + reach) + 1)
            cut = max(cuts, key=lambda c: (words[pool[c]].start - words[pool[c - 1]].end, -abs(c - ideal)),
                      default=max(lo, min(ideal, len(pool))))
            out[pi], lo = [w for w in pool[lo:cut] if w in claimed[pi]], cut
    return out


def _pass(al: Alignment, anchor_ngram: int, looped: set, skip_paragraphs: set, skip_words: set) -> None:
    al.toks, al.tok_units, al.vendor_units, al.unit_token = [], [], [], []
    al.word_units, al.asr_units, al.unit_word = [], [], []
    for pi, p in enumerate(al.paragraphs):
        for ki, tok in enumerate(p.tokens):
            g = len(al.toks)
            al.toks.append((pi, ki))
            us = () if pi in skip_paragraphs or (pi, ki) in looped else units(tok.text)
            al.tok_units.append((len(al.vendor_units), len(al.vendor_units) + len(us)))
            al.vendor_units.extend(us)
            al.unit_token.extend([g] * len(us))
    for wi, w in enumerate(al.words):
        us = () if wi in skip_words else units(w.text)
        al.word_units.append((len(al.asr_units), len(al.asr_units) + len(us)))
        al.asr_units.extend(us)
        al.unit_word.extend([wi] * len(us))
    al.ops = align_tokens(al.vendor_units, al.asr_units, anchor_ngram)
    al.vmatch = [-1] * len(al.vendor_units)
    al.wmatch = [-1] * len(al.asr_units)
    al.assigned = [-1] * len(al.vendor_units)
    for tag, i1, i2, j1, j2 in al.ops:
        if tag == "equal":
            for d in range(i2 - i1):
                al.vmatch[i1 + d] = j1 + d
                al.wmatch[j1 + d] = i1 + d
                al.assigned[i1 + d] = al.unit_word[j1 + d]
    for i1, i2, j1, j2 in al.stretches():
        if j2 > j1 and i2 > i1:
            # Spread the stretch's ASR words evenly over its vendor units (times and speakers).
            for u in range(i1, i2):
                al.assigned[u] = al.unit_word[j1 + min(j2 - j1 - 1, int((u - i1 + 0.5) * (j2 - j1) / (i2 - i1)))]


WEAK_MAX_RUN = 6  # a paragraph with this many vendor units matched in a row is no chance match


def _weak_paragraphs(al: Alignment, share: float, min_units: int) -> list[int]:
    """Paragraphs of at least ``min_units`` units, less than ``share`` of them matched and no run of
    WEAK_MAX_RUN matched in a row: chance matches ("Thank you") only. A paragraph the ASR heard
    only part of (phone audio drops whole phrases) still has its heard phrases matched word after
    word, and stays in the alignment so they can be corrected."""
    total: dict[int, int] = {}
    matched: dict[int, int] = {}
    run: dict[int, int] = {}
    longest: dict[int, int] = {}
    for u, g in enumerate(al.unit_token):
        pi = al.toks[g][0]
        total[pi] = total.get(pi, 0) + 1
        hit = al.vmatch[u] >= 0
        matched[pi] = matched.get(pi, 0) + hit
        run[pi] = run.get(pi, 0) + 1 if hit and (u == 0 or al.vmatch[u] == al.vmatch[u - 1] + 1) else int(hit)
        longest[pi] = max(longest.get(pi, 0), run[pi])
    return [pi for pi, n in total.items()
            if n >= min_units and matched[pi] < share * n and longest[pi] < WEAK_MAX_RUN
            and cjk_share(al.paragraphs[pi].text) < 0.5]


class Flanks:
    """ASR words matched by the last vendor unit before a stretch of tokens and the first after it.

    Built once per pass (nearest matched unit on either side of every unit), so asking for every
    paragraph or loop of a long transcript costs linear time, not stretches x units."""

    def __init__(self, al: Alignment):
        self.al = al
        n = len(al.vendor_units)
        self.tokens: dict[int, tuple[int, int]] = {}  # paragraph -> its global tokens [g1, g2)
        for g, (p, _) in enumerate(al.toks):  # tokens run in paragraph order
            self.tokens[p] = (self.tokens.get(p, (g, g))[0], g + 1)
        self.prev = [-1] * (n + 1)  # prev[u]: last matched unit < u
        for u in range(n):
            self.prev[u + 1] = u if al.vmatch[u] >= 0 else self.prev[u]
        self.next = [n] * (n + 1)  # next[u]: first matched unit >= u
        for u in range(n - 1, -1, -1):
            self.next[u] = u if al.vmatch[u] >= 0 else self.next[u + 1]

    def __call__(self, g1: int, g2: int) -> tuple[int, int]:
        """Words matched just before token g1 and just after token g2 - 1 (-1 / len(words): none)."""
        al, n = self.al, len(self.al.vendor_units)
        u = self.prev[al.tok_units[g1][0] if g1 < len(al.toks) else n]
        before = al.unit_word[al.vmatch[u]] if u >= 0 else -1
        u = self.next[al.tok_units[g2][0] if g2 < len(al.toks) else n]
        after = al.unit_word[al.vmatch[u]] if u < n else len(al.words)
        return before, after

    def paragraph(self, pi: int) -> tuple[int, int]:
        """The flanking words of paragraph ``pi``'s tokens."""
        return self(*self.tokens[pi])


def find_loops(tok_units: list[tuple[str, ...]], min_repeats: int = 3, max_period: int = 8) -> list[Loop]:
    """Runs of one phrase (1..max_period tokens) repeated back to back at least ``min_repeats`` times
    and over at least 6 words (a stutter like "the the the" is speech, not a loop)."""
    out: list[Loop] = []
    n = len(tok_units)
    k = 0
    while k < n:
        best = None
        for period in range(1, max_period + 1):
            if k + period * min_repeats > n:
                break
            if not tok_units[k] or tok_units[k] != tok_units[k + period]:
                continue
            phrase = tok_units[k:k + period]
            reps = 1
            while k + (reps + 1) * period <= n and tok_units[k + reps * period:k + (reps + 1) * period] == phrase:
                reps += 1
            words = sum(len(t) for t in phrase)
            if reps >= min_repeats and reps * words >= 6 and (best is None or reps * period > best[1] * best[0]):
                best = (period, reps, [u for t in phrase for u in t])
        if best:
            period, reps, phrase = best
            out.append(Loop(k, k + period * reps, period, reps, " ".join(phrase)))
            k += period * reps
        else:
            k += 1
    return out


def time_tokens(al: Alignment, turns=None, max_gap: float = 30.0) -> None:
    """Give every vendor token a time and a speaker: from its ASR words, else interpolated."""
    n = len(al.toks)
    speaker_at = Turns(turns).speaker_near
    for g in range(n):
        tok = al.token(g)
        u1, u2 = al.tok_units[g]
        ws = [al.words[al.assigned[u]] for u in range(u1, u2) if al.assigned[u] >= 0]
        tok.matched = u2 > u1 and all(al.vmatch[u] >= 0 for u in range(u1, u2))
        if ws:
            tok.start, tok.end = min(w.start for w in ws), max(w.end for w in ws)
            tok.speaker = ws[0].speaker or speaker_at((tok.start + tok.end) / 2)
        else:
            tok.start = tok.end = tok.speaker = None
    # Interpolate runs of untimed tokens between their timed neighbours.
    g = 0
    while g < n:
        if al.token(g).start is not None:
            g += 1
            continue
        h = g
        while h < n and al.token(h).start is None:
            h += 1
        prev = al.token(g - 1) if g > 0 else None
        nxt = al.token(h) if h < n else None
        if prev is None and nxt is None:
            return  # nothing timed at all (no ASR words): tokens stay untimed
        t0 = prev.end if prev else max(0.0, nxt.start - min(max_gap, 0.3 * (h - g)))
        t1 = nxt.start if nxt else t0 + min(max_gap, 0.3 * (h - g))
        t1 = max(t0, t1)
        step = (t1 - t0) / (h - g)
        for k in range(g, h):
            tok = al.token(k)
            tok.start = round(t0 + (k - g) * step, 3)
            tok.end = round(t0 + (k - g + 1) * step, 3)
            tok.speaker = speaker_at((tok.start + tok.end) / 2) or (prev.speaker if prev else nxt.speaker)
        g = h


_GLUE = re.compile(r"^(?:[-%']|\.\d)")
_THOUSANDS = re.compile(r"^,\d{3}\b")  # "48" + ",000": one number, once the word before ends in a digit


SUSPECT_PROBABILITY = 0.1  # below align.floor_asr_probability: such words never drive an applied edit


def flat_words(t: Transcript) -> list[Word]:
    """ASR words for matching: pieces Whisper splits off a word ("-GAAP", ".4", "%", ",000") rejoin it.

    Words of a segment the ASR flagged as likely made up still take part, as weak evidence: they
    can confirm the vendor's words there, but their probability is capped so they cannot change them."""
    groups: list[list[Word]] = []
    words = [w if not s.suspect else replace(w, probability=min(w.probability, SUSPECT_PROBABILITY))
             for s in t.segments for w in s.words]
    for w in words:
        text = w.text.strip()
        if not text:
            continue
        glued = _GLUE.match(text) or (_THOUSANDS.match(text) and groups and groups[-1][-1].text.strip()[-1:].isdigit())
        if groups and glued and groups[-1][0].language == w.language:
            groups[-1].append(w)
        else:
            groups.append([w])
    out = []
    for g in groups:
        first = g[0]
        out.append(Word("".join(w.text.strip() for w in g), first.start, max(w.end for w in g),
                        sum(w.probability for w in g) / len(g), first.language, first.speaker))
    return out
