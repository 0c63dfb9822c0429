"""The rules that turn the audio's scores into a decision on each edit.

A stretch's scores are the decoder's log-probabilities of each wording over the same window
(callfix/align/verify.py). The margin of the best other wording over the vendor's decides: applied
when it is large and the guards find nothing the audio cannot vouch for, suggested when close, kept
when the vendor's wording wins; ties go to the vendor. Each guard comes from a measured failure.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz

from callfix.align.candidates import QUANTITY, Candidate, core, word_frequency
from callfix.align.evidence import digits, number_evidence, number_relation, sounds_alike
from callfix.text import phrase_units, strip_punct
from callfix.align.wording import same_letters, with_vendor_edges
from callfix.model import Edit, Token
from callfix.options import VerifyOptions

VENDOR, ASR = "vendor", "asr"



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
    after_number: bool = False  # the vendor's wording follows a number: its first word is that number's unit
    call_words: frozenset = frozenset()  # the words the vendor text writes (lower case): the call's vocabulary


@dataclass
class Window:
    start: float
    end: float
    a: int  # ASR words [a, b) are the window's text
    b: int
    stretches: list[Stretch] = field(default_factory=list)


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
    # faster-whisper loads with callfix.asr: only a call verified against its audio pays for it
    from callfix.asr.score import _tokenizer

    return len(_tokenizer(True, 99, "en").encode(" " + strip_punct(word).lower())) >= 2


def sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".?!:\"\u201c"


def margin_confidence(m: float, apply_margin: float) -> float:
    """One figure for editors: 0.8 at the apply margin, 0.2 at a tie."""
    return 1.0 / (1.0 + math.exp(-(m - apply_margin / 2) * 2 * math.log(4) / apply_margin))


def decide(st: Stretch, win: Window, opts: VerifyOptions, rules, consistent: str | None = None) -> None:
    e, sc = st.edit, st.scores
    if VENDOR not in sc or len(sc) < 2:
        return
    if (e.evidence.get("glossary") or {}).get("respelled"):
        _decide_respelling(e, st, opts)
        return
    others = {k: v for k, v in sc.items() if k != VENDOR}
    best = max(others, key=lambda k: (others[k], k == ASR))
    # a trusted spelling as good as the best reading is the one to write (the ASR's may be the same
    # sounds spelled otherwise)
    trusted = [k for k in others if k.startswith(("glossary:", "spelling:")) and others[k] >= others[best] - 0.5]
    best = max(trusted, key=others.get) if trusted else best
    best = nearer_change(e, st, best, opts, rules) or best
    best = proven_part(st, best, opts) or best
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
            e.replacement = restyle(text, e.vendor) if e.kind == "replace" else text
        elif best in st.candidates:
            e.replacement = text
    if best == ASR and best in st.candidates:
        e.replacement = st.candidates[best].text  # the ASR's reading in the vendor's own form
    elif best == ASR and (form := vendor_number_form(st)):
        e.replacement = form  # "23" heard for "32%,": written "23%,"
    cand = st.candidates.get(best)
    if cand is not None:
        e.evidence["acoustic"]["candidate"] = cand.why
        # one change to the vendor's wording: only the change need be short
        long = bool(e.evidence.get("cross_paragraph")) \
            or len(core(st.wordings[VENDOR], st.wordings[best])[0].split()) > rules.max_tokens
    alone = acoustic_alone(e, st, best, rules, m)
    if cand is not None and cand.kind != "part" and one_change_allowed(e, st, best, m, opts, rules):
        # A join or a near number changes nothing the audio could have misheard but the one slip.
        _apply_one_change(e, st, best, m, opts)
        return
    witness = glossary_support(e)
    glossary = witness or (f"the glossary spells it '{st.wordings[best]}'" if best.startswith("glossary:") else None)
    gev = e.evidence.get("glossary") or {}
    curated = bool(gev.get("confusion") or gev.get("confusion_fuzzy"))  # a listed confusion, not a term heard
    if glossary and not curated \
            and (sounds_alike(*core(st.wordings[VENDOR], st.wordings[best])) < (0.6 if witness else opts.trusted_sound)
                 or rides_along(st.wordings[VENDOR], st.wordings[best], gev.get("term"))):
        # a decoder biased to its hotwords hears them in noise: a term it hears needs a mishearing
        # and vouches for itself only (a curated confusion says which unlike words are confused)
        glossary = None
    if consistent:
        e.evidence["consistent_reading"] = consistent
    # a term the ASR read unsurely was heard by a decoder prompted with it, and the forced scores share
    # that prompt: over noise both lean to the hotword ("truest measure of our" read "Truist Securities"
    # at p 0.01, +6.6 nats), so only a clear margin vouches for it
    heard_term = bool(gev.get("term")) and not curated
    unsure_margin = (2 if heard_term else 1) * opts.apply_margin
    confused = {k: v - sc[VENDOR] for k, v in sc.items() if k.startswith("confusion:")}
    known = max(confused, key=confused.get) if confused else None
    if known and confused[known] >= opts.apply_margin and not long and (alone is not None or best == known):
        # A known confusion and the audio agree, whatever the ASR itself read there.
        e.replacement = st.wordings[known]
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(confused[known], opts.apply_margin)), 3)
        e.reason = (f"known confusion '{known.split(':', 1)[1]}'; the audio favours "
                    f"'{shorten(e.replacement)}' over the vendor's wording by {confused[known]:.1f} nats")
    elif m >= (opts.call_word_margin if call_word(st, best) else opts.apply_margin) and alone is None and not long \
            and e.replacement.strip() and (cand is None or cand.kind == "part"):  # the others have their own rule, above
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m, opts.apply_margin)), 3)
        e.reason = f"the audio favours '{shorten(st.wordings[best])}' over the vendor's wording by {m:.1f} nats"
    elif (supported or glossary) and m >= (opts.apply_margin if _number_only(e, glossary) else opts.supported_margin) \
            and not (_number_only(e, glossary) and e.evidence["number"].get("digit_similarity", 0) < 0.75) \
            and not long and best != "redecode" \
            and (e.evidence.get("asr_probability_min", 1.0) >= rules.floor_p or m >= unsure_margin) \
            and e.replacement.strip():
        e.decision = "applied"
        e.confidence = round(max(e.confidence, margin_confidence(m + opts.apply_margin / 2, opts.apply_margin)), 3)
        e.reason = (e.reason if supported else glossary) + f"; the audio agrees ({m:+.1f} nats)"
    elif m >= opts.suggest_margin:
        e.decision = "suggested"
        e.confidence = round(min(max(e.confidence, margin_confidence(m, opts.apply_margin)), 0.79), 3)
        why = " (long stretch: editor decides)" if long else f" ({alone})" if alone else ""
        e.reason = f"the audio favours '{shorten(st.wordings[best])}' by {m:.1f} nats" + (why if m >= opts.apply_margin else "")
    elif m <= -opts.keep_margin:
        e.decision = "kept"
        e.confidence = round(min(e.confidence, margin_confidence(m, opts.apply_margin)), 3)
        e.reason = f"the vendor's wording fits the audio better ({-m:.1f} nats)"
    else:
        if e.decision == "applied":
            e.decision = "suggested"
        e.confidence = round(min(e.confidence, 0.79), 3)
        e.reason += f"; the audio cannot tell the wordings apart ({m:+.1f} nats)"
    if e.decision != "applied" and e.kind == "replace" and not long:
        apply_trusted(e, st, opts, rules)
    if e.decision != "applied" and e.kind == "replace":
        apply_one_change(e, st, opts, rules)


def call_word(st: Stretch, best: str) -> bool:
    """The ASR's reading changes the vendor's words only into words the vendor text writes elsewhere
    in the call (not in this stretch, and not small words): the call's own vocabulary is a second witness
    beside the audio ("customers" read "customs" on a customs broker's call, "chilly" read "Chile" on a
    miner's). The ASR must still have heard them surely (``acoustic_alone``)."""
    if best != ASR:
        return False
    vc, cc = core(st.wordings[VENDOR], st.wordings[best])
    changed = [u for u in phrase_units(cc) if u not in _SMALL and not any(ch.isdigit() for ch in u)]
    return bool(changed) and all(u in st.call_words for u in changed) and not set(changed) & set(phrase_units(vc))


def _decide_respelling(e: Edit, st: Stretch, opts: VerifyOptions) -> None:
    """A name the vendor and the ASR spell alike, respelled as a trusted spelling that sounds the same:
    applied unless the audio fits the vendor's spelling better by ``apply_margin``. Between two
    spellings of the same sounds the margin is the decoder's preference for the spelling it wrote,
    not the audio's: only as clear a margin as any other decision needs speaks against the witness."""
    label = next((k for k, w in st.wordings.items() if k != VENDOR and w == e.replacement), None)
    if label is None or label not in st.scores:
        return
    m = st.scores[label] - st.scores[VENDOR]
    e.evidence["acoustic"] = {"margin": round(m, 2), "best": label,
                              "scores": {k: round(v, 2) for k, v in st.scores.items()}, "decision_before": e.decision}
    if m > -opts.apply_margin:
        e.decision, e.confidence = "applied", round(max(e.confidence, margin_confidence(opts.apply_margin, opts.apply_margin)), 3)
        e.reason += f"; the audio does not tell them apart ({m:+.1f} nats)"
    else:
        e.decision = "kept"
        e.reason += f"; the audio fits the vendor's spelling better ({-m:.1f} nats)"


def nearer_change(e: Edit, st: Stretch, best: str, opts: VerifyOptions, rules) -> str | None:
    """A wording one change from the vendor's that fits the audio within ``prefer_change_margin`` of
    a best reading that changes more, and may be applied: the one to write. Whisper's teacher-forced
    score favours its own reading, so by a nat or two the audio cannot tell them apart, and the
    vendor's other words were right ("a head wind": "a headwind" 1.3 nats under the ASR's "ahead
    when")."""
    sc = st.scores
    if best in st.candidates or best == VENDOR or e.kind != "replace":
        return None
    near = [k for k, c in st.candidates.items() if k in sc and c.kind != "part"
            and sc[k] >= sc[best] - opts.prefer_change_margin]
    for k in sorted(near, key=lambda k: -sc[k]):
        if one_change_allowed(e, st, k, sc[k] - sc[VENDOR], opts, rules):
            return k
    return None


def proven_part(st: Stretch, best: str, opts: VerifyOptions) -> str | None:
    """Where the ASR's reading changes several pieces of the vendor's wording and one of them adds
    less than ``suggest_margin`` to its fit, the reading without that piece: the audio proves each
    change or none ("frog models." read "flawed modules.": "flawed models." fits within 0.3 nats, so
    "modules" is unproven, and the change left is judged alone)."""
    if best != ASR:
        return None
    sc = st.scores
    close = [k for k, c in st.candidates.items() if c.kind == "part" and k in sc
             and sc[best] - sc[k] < opts.suggest_margin]
    return max(close, key=sc.get) if close else None


def vendor_number_form(st: Stretch) -> str | None:
    """The ASR's reading, a bare number, as the number form of the vendor's wording with the same
    digits: the vendor's unit and punctuation stay (the ASR may hear "percent" as a word of the next
    stretch)."""
    heard = st.wordings[ASR]
    if re.search(r"[A-Za-z]", heard) or not digits(heard):
        return None
    return next((c.text for c in st.candidates.values() if c.kind == "number" and digits(c.text) == digits(heard)),
                None)


def unlike_asr_digits(st: Stretch, c: Candidate, keep_margin: float = 1.0) -> bool:
    """A number form the ASR did not read, where the ASR reads other digits closer to another form
    tried that fits the audio about as well: on audio the decoder hears badly the forms' scores alone
    may pick the wrong near number. A form the audio rejects (``keep_margin`` under this one) is no rival:
    "125" heard for "205" is nearer "250" than "2025", and "250" scored 14 nats under "2025"."""
    if c.kind != "number" or c.heard:
        return False
    heard = "".join(ch for ch in st.wordings[ASR] if ch.isdigit())
    if not heard:
        return False
    own = st.scores.get(f"number:{c.text}")
    forms = [x for x in st.candidates.values() if x.kind == "number"
             and (own is None or st.scores.get(f"number:{x.text}", own) >= own - keep_margin)]

    def close(x: Candidate) -> float:
        return fuzz.ratio("".join(ch for ch in x.text if ch.isdigit()), heard)

    return close(c) < max(map(close, forms), default=0.0)


def one_change_margin(c: Candidate, opts: VerifyOptions) -> float:
    """The margin a wording one change from the vendor's needs: a join or a trusted spelling is its
    own witness (a spelling the run only nearly sounds like, or one the vendor text repeats but no
    trusted list gives, needs a clear margin; a join the ASR
    writes too needs only that the audio not favour the vendor's split); a number form
    needs a clear margin, twice that where the ASR did not read those digits, the vendor text writes
    them nowhere else and the form is not two of the vendor's digits swapped (the right number may
    be none of the forms tried; a swap is the typist's commonest slip); a word that sounds
    like the vendor's a clear margin, half that where the ASR heard that word too, more where the vendor's words are
    common ones too (the decoder's language model alone may prefer the more usual phrase: "cross
    border" / "gross border" on phone audio)."""
    if c.kind == "spelling" and c.heard and not (c.near or c.own):
        return opts.heard_join_margin  # the ASR reads the trusted spelling too: the audio need only not favour the vendor's
    if c.kind == "spelling" and (c.near or c.own):
        return opts.apply_margin  # near, or only the vendor's own spelling: the audio alone must say it
    if c.kind == "merge" and c.heard:
        return opts.heard_join_margin  # the ASR writes the join too: the audio need only not favour the split
    if c.kind in ("merge", "spelling"):
        return opts.supported_margin
    if c.kind == "number" and not c.heard:
        return opts.apply_margin if c.own or c.swap else 2 * opts.apply_margin
    if c.kind == "homophone" and c.heard:
        return opts.apply_margin / 2  # the ASR heard that word too: a second witness
    if c.kind == "homophone" and c.common:
        return opts.common_word_margin
    return opts.apply_margin


def apply_trusted(e: Edit, st: Stretch, opts: VerifyOptions, rules) -> bool:
    """Where no other rule applied an edit (a name the audio alone may not write among them), the best
    glossary spelling that beats the vendor's by the apply margin and passes the guards of the audio
    alone is written: the decoder rewrites a rare name into a common one ("Qiao" heard "Kyle") yet
    scores the trusted spelling far above the vendor's mishearing of it ("Chow When Bo")."""
    sc = st.scores
    for label in sorted((k for k in sc if k.startswith("glossary:")), key=lambda k: -sc[k]):
        m = sc[label] - sc[VENDOR]
        if same_letters(st.wordings[label], st.wordings[VENDOR]):
            continue  # the vendor's own letters in the glossary's style ("Non GAAP" / "non-GAAP"): not a mishearing
        if m < opts.apply_margin:
            return False
        term, text = st.wordings[label], restyle(st.wordings[label], e.vendor)
        held = [k for k, c in st.candidates.items() if k in sc and c.kind == "spelling" and term.lower() in c.text.lower()]
        if held and sc[k := max(held, key=sc.get)] >= sc[label] - opts.keep_margin:
            # the same spelling among the vendor's own words, as likely, keeps its edges ("are Declan Moriarty,")
            if sc[k] - sc[VENDOR] < opts.apply_margin:
                continue
            label, text, m = k, st.candidates[k].text, sc[k] - sc[VENDOR]
        # a name the vendor text introduces yields to a trusted spelling of it, not to the ASR's
        if acoustic_alone(e, replace(st, introduced=None), label, rules, m) is None:
            e.replacement, e.decision = text, "applied"
            e.confidence = round(max(e.confidence, margin_confidence(m, opts.apply_margin)), 3)
            e.reason = (f"the glossary spells it '{term}'; the audio favours it over the vendor's "
                        f"wording by {m:.1f} nats")
            e.evidence["acoustic"]["applied_wording"] = label
            return True
    return False


def apply_one_change(e: Edit, st: Stretch, opts: VerifyOptions, rules) -> bool:
    """Where the best wording is not allowed, the best wording one change from the vendor's that is:
    the audio supports that one change even where it hears more ("Oh Stara delivered 2.1" when it
    reads "I started to deliver 2.1", a name only a trusted spelling may replace)."""
    sc = st.scores
    least = min(opts.supported_margin, opts.heard_join_margin)
    for label in sorted((k for k in st.candidates if k in sc), key=lambda k: -sc[k]):
        m = sc[label] - sc[VENDOR]
        if m < least:
            return False
        if one_change_allowed(e, st, label, m, opts, rules):
            _apply_one_change(e, st, label, m, opts)
            e.evidence["acoustic"]["applied_wording"] = label
            return True
    return False


def one_change_allowed(e: Edit, st: Stretch, label: str, m: float, opts: VerifyOptions, rules) -> bool:
    """Wording ``label``, one change from the vendor's, may be applied at margin ``m``: the change is
    short, keeps the vendor's glossary spellings, has its kind's margin (and, for a number form, the
    digits nearest the ASR's), and a piece of the ASR's reading lies inside one paragraph and passes
    the guards of the ASR's reading."""
    c = st.candidates[label]
    text = c.text
    if c.kind == "pair":
        return _pair_allowed(e, st, c, m, opts, rules)
    # A stretch cut at a paragraph's edge may hold ASR words of the next paragraph: a piece of the
    # ASR's reading may then be the wrong words; a change of the vendor's own words is scored
    # against the same audio as the vendor's wording, so the cut costs both alike, unless a long run of
    # vendor words lies over ASR words unlike them: then the vendor's words were put over other speech,
    # and a change of them that fits that speech a little better is no evidence ("3.4" → "34" by 12.5
    # nats in a 114-nat row of nine vendor words, under a reading that shares a third of its letters).
    cross = e.evidence.get("cross_paragraph")
    misplaced = e.evidence.get("text_similarity", 1.0) < 0.5 and len(st.wordings[VENDOR].split()) > rules.max_tokens
    if (cross and (c.kind == "part" or misplaced)) \
            or len(core(st.wordings[VENDOR], text)[0].split()) > rules.max_tokens \
            or _keeps_glossary_spelling(e, st, label) or not text.strip():
        return False
    need = one_change_margin(c, opts)
    heard = c.heard and e.evidence.get("asr_probability_min", 1.0) >= rules.min_p
    if c.kind == "homophone" and c.heard and not heard:
        # an unsure ASR is no second witness (on phone audio it hears the usual word in noise too)
        need = one_change_margin(replace(c, heard=False), opts)
    if c.kind == "homophone" and not heard and commoner_word(*core(st.wordings[VENDOR], text), opts.rare_zipf):
        # the decoder's language model pulls a rare term the typist wrote towards a common word that
        # sounds like it ("drayage" / "drainage"): the ASR's own sure hearing of that word is a witness,
        # an unsure one only with twice the margin ("near shoring" / "near sharing" at p 0.52, 6.3 nats;
        # "expanses" / "expenses" at p 0.2, 10.8 nats)
        if not c.heard or m < 2 * opts.apply_margin:
            return False
    if c.kind == "homophone" and everyday_swap(*core(st.wordings[VENDOR], text), opts.everyday_zipf):
        need = max(need, 2 * opts.apply_margin)  # as for the ASR's reading (acoustic_alone)
    if m < need or unlike_asr_digits(st, c, opts.keep_margin):
        return False
    return c.kind != "part" or acoustic_alone(e, st, label, rules, m) is None


def _pair_allowed(e: Edit, st: Stretch, c: Candidate, m: float, opts: VerifyOptions, rules) -> bool:
    """Two changes at once: each is allowed on its own, and together they fit the audio at least as
    well as either alone."""
    by_text = {x.text: k for k, x in st.candidates.items() if x.kind != "pair"}
    for part in c.of:
        label = by_text.get(part.text)
        if label is None or label not in st.scores:
            return False
        mp = st.scores[label] - st.scores[VENDOR]
        if m < mp or not one_change_allowed(e, st, label, mp, opts, rules):
            return False
    return True


def _apply_one_change(e: Edit, st: Stretch, label: str, m: float, opts: VerifyOptions) -> None:
    c = st.candidates[label]
    e.replacement, e.decision = c.text, "applied"  # the candidate's text: an ASR reading in the vendor's form
    e.confidence = round(max(e.confidence, margin_confidence(m + opts.apply_margin / 2, opts.apply_margin)), 3)
    e.reason = (f"{c.why}; the audio favours '{shorten(c.text)}' over the vendor's wording by {m:.1f} nats"
                if m >= opts.suggest_margin else f"{c.why}; the audio does not tell them apart ({m:+.1f} nats)")


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


def dropped_ending(vendor: str, reading: str) -> bool:
    """``reading`` is ``vendor`` with an ending left off one of its words ("investments" / "investment")."""
    return any(len(y) < len(x) for x, y in zip(phrase_units(vendor), phrase_units(reading)) if x != y)


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
        if number_shape(vc) != number_shape(cc):
            # "734" heard "$730 $4", "06" heard "0.6x": a garbled reading, not the vendor's number misheard
            return "the reading has other numbers or units than the vendor's"
    amounts = [{u for u in phrase_units(x) if u in QUANTITY} for x in (vc, cc)]
    if amounts[0] != amounts[1]:
        # "million" heard "billion": Whisper's language model moves amounts freely on poor audio
        return "the wordings name different amounts; only a number form changes one"
    acronyms = [w for w in vc.split() if sum(ch.isupper() for ch in w) >= 2]
    if acronyms and not any(sum(ch.isupper() for ch in w) >= 2 for w in cc.split()):
        return f"the vendor's '{strip_punct(acronyms[0])}' is an acronym the ASR may have heard as words"
    sound = sounds_alike(vc, cc)
    if sound < 0.6 and not slip:
        return "the wordings do not sound alike"
    if best.startswith("glossary:") and sound < rules.verify.trusted_sound:
        # a term the decoder hears in noise, over words that only begin like it ("truest measure of our")
        return "the glossary spelling does not sound like the vendor's words"
    p_asr = e.evidence.get("asr_probability_min", 0.0) if best == ASR else 0.0
    if inflection_only(vc, cc) and (p_asr < rules.verify.ending_probability
                                    or (dropped_ending(vc, cc) and margin < rules.verify.common_word_margin)):
        # on phone audio Whisper drops and adds endings at 0.6-0.9 and the teacher-forced score follows
        # it; it drops them far more often than it adds them ("investments" heard "investment" at 0.95),
        # so a reading without the vendor's ending needs the margin a common word needs
        return "only a word ending differs (the ASR often hears those wrong)"
    if small_word_edges(vc, cc):
        return "the readings also differ in a small word at the edge (the ASR often hears those wrong)"
    if st.after_number and vc.split()[:1] == v.split()[:1] and margin < 2 * rules.verify.apply_margin:
        # "250,000 tonnes." heard "250,000 times.": the decoder's language model pulls a unit it hears
        # badly towards a commoner word, and a wrong unit changes the figure
        return "the word after a number is its unit: the audio's margin is not clear enough"
    if everyday_swap(vc, cc, rules.verify.everyday_zipf) and margin < 2 * rules.verify.apply_margin:
        # "year"/"your", "lost"/"last", "Could"/"Good": between two words this common the decoder's
        # language model alone moves the margin by several nats, on phone audio most
        return "two everyday words: the audio's margin between them is not clear enough"
    cand = st.candidates.get(best)
    p = e.evidence.get("asr_probability_min", 1.0) if best == ASR else part_probability(st, cand)
    # the decoder's whole reading wins the teacher-forced score by construction: it must also be sure of it
    need = max(rules.min_p, rules.verify.reading_probability) if best == ASR else rules.min_p
    # an unsure decoder loses digits more than a typist adds them ("2025" read "25" at p 0.34 where the vendor wrote "205")
    lost = slip == "one digit dropped" and len(digits(cc).replace(".", "")) < len(digits(vc).replace(".", ""))
    if p is not None and p < need and not ((sound >= 0.9 or slip) and not lost and p >= 0.3 and margin >= 10.0):
        return "the ASR is unsure of its words"
    return None


_NUMBER = re.compile(r"([$€£¥]?)\d[\d,.]*(%|x\b)?")


def one_word_swap(vendor: str, wording: str) -> tuple[str, str] | None:
    """The vendor's one word and the other wording's one word, lower case, where they differ."""
    v, w = strip_punct(vendor).lower().split(), strip_punct(wording).lower().split()
    return (v[0], w[0]) if len(v) == 1 and len(w) == 1 and v != w else None


def commoner_word(vendor: str, wording: str, rare_zipf: float) -> bool:
    """One word for another, the vendor's a word (wordfreq knows it: "terrifs" is a misspelling) rarer
    than ``rare_zipf`` and the other at least ten times as common."""
    swap = one_word_swap(vendor, wording)
    if swap is None:
        return False
    fv = word_frequency(swap[0])
    return 0 < fv < rare_zipf and word_frequency(swap[1]) >= fv + 1.0


def number_shape(text: str) -> tuple[int, frozenset]:
    """How many numbers ``text`` has and which signs go with them, written or said ("$", "dollars";
    "%", "percent"; "x", "times")."""
    found = list(_NUMBER.finditer(text))
    signs = {x for m in found for x in (m.group(1), m.group(2)) if x}
    low = text.lower()
    signs |= {sign for sign, word in (("$", "dollar"), ("%", "percent"), ("x", "times")) if word in low}
    return len(found), frozenset(signs)


def everyday_swap(vendor: str, wording: str, min_zipf: float) -> bool:
    """One word for another, both at least ``min_zipf`` common (wordfreq) and neither a number."""
    swap = one_word_swap(vendor, wording)
    if swap is None or any(ch.isdigit() for ch in "".join(swap)):
        return False
    return min(word_frequency(swap[0]), word_frequency(swap[1])) >= min_zipf


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
    if not term:
        return False
    vendor, wording = st.wordings[VENDOR].lower(), st.wordings[best].lower()
    if term.lower() in vendor or term.lower() in wording:
        return term.lower() not in wording
    # the term runs on past the stretch ("with BMO" of "BMO Capital Markets"): its words inside must stay
    said, had = ({strip_punct(w) for w in text.split()} for text in (wording, vendor))
    return any(w in had and w not in said for w in (strip_punct(x) for x in term.lower().split()))


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
        e.reason = f"a second decode of this audio hears '{shorten(e.replacement)}' ({m:.1f} nats over the vendor)"
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
    if gap is None or st.gap_speech is None:
        return False
    # VAD: no speech the ASR could have missed. On phone audio it finds only part of real speech, so a
    # tenth of the gap is already speech.
    silent = st.gap_speech < min(0.3, 0.1 * gap)
    return 3 <= n <= 30 and not e.evidence.get("cross_paragraph") and gap >= n / 4.0 and silent


def restyle(text: str, vendor: str) -> str:
    """A candidate in the vendor's edge punctuation."""
    toks = vendor.split()
    if not toks:
        return text
    return with_vendor_edges([Token(toks[0], 0), Token(toks[-1], 0)], strip_punct(text))


def shorten(text: str, n: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 1] + "…"
