"""Evidence measures for one candidate edit: phonetics, numbers, loops, glossary support."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from rapidfuzz import fuzz

from callfix.align.glossary import Glossary
from callfix.text import phrase_units, strip_punct, tokenize, units

_NUM_RE = re.compile(r"\d")


@lru_cache(maxsize=65536)
def _metaphone_key(text: str) -> str:
    # every glossary term is weighed against every stretch: each spelling's key is made once
    return "".join(jellyfish.metaphone(w) for w in re.findall(r"[A-Za-z]+", text))


def metaphone_similarity(a: str, b: str) -> float:
    ka, kb = _metaphone_key(a), _metaphone_key(b)
    if not ka or not kb:
        return 0.0
    return fuzz.ratio(ka, kb) / 100.0


def sounds_alike(a: str, b: str) -> float:
    """How alike two wordings sound (metaphone keys) or are spelled, 0..1."""
    return max(metaphone_similarity(a, b), fuzz.ratio(strip_punct(a).lower(), strip_punct(b).lower()) / 100)


def text_similarity(a: list[str], b: list[str]) -> float:
    return fuzz.ratio(" ".join(a), " ".join(b)) / 100.0


def numbers_in(us: list[str] | tuple[str, ...]) -> list[str]:
    return [u for u in us if _NUM_RE.search(u)]


def number_evidence(vendor_units: list[str], asr_units: list[str]) -> dict | None:
    """A number the audio says differently (e.g. vendor "205", audio "2025")."""
    vn, an = numbers_in(vendor_units), numbers_in(asr_units)
    if not vn or not an or len(vendor_units) > 4 or len(asr_units) > 4:
        return None
    # zeros that end both numbers ("84000" / "8000") say nothing of how alike they are
    v, a = " ".join(vn), " ".join(an)
    while v.endswith("0") and a.endswith("0") and len(v) > 1 and len(a) > 1:
        v, a = v[:-1], a[:-1]
    sim = fuzz.ratio(v, a) / 100.0
    out = {"vendor": vn, "audio": an, "digit_similarity": round(sim, 3)}
    if [u for u in vendor_units if u not in vn] != [u for u in asr_units if u not in an]:
        # Other words differ too: where the numbers sit, so the number can be judged alone.
        vi = [i for i, u in enumerate(vendor_units) if u in vn]
        ai = [i for i, u in enumerate(asr_units) if u in an]
        out["_span"] = (vi[0], vi[-1] + 1, ai[0], ai[-1] + 1)
    return out


def digits(text: str) -> str:
    """The digits and decimal points of ``text``, as a number's key ("$2.1 billion," -> "2.1")."""
    return "".join(ch for ch in text if ch.isdigit() or ch == ".").strip(".")


def number_relation(vendor: str, audio: str) -> str | None:
    """How the audio's digits come from the vendor's by one slip of a typist: two digits swapped
    ("64" / "46"), one digit dropped or added ("205" / "2025"), a decimal point lost or moved
    ("21" / "2.1"). None when they are unlike or the same."""
    v, a = digits(vendor), digits(audio)
    if not v or not a or v == a:
        return None
    vd, ad = v.replace(".", ""), a.replace(".", "")
    if vd == ad:
        return "a decimal point differs"
    if len(vd) == len(ad) and sorted(vd) == sorted(ad):
        diff = [i for i in range(len(vd)) if vd[i] != ad[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1:
            return "two digits swapped"
    short, long_ = sorted((vd, ad), key=len)
    if len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_))):
        return "one digit dropped"
    return None


def repetition_loop(us: list[str], min_count: int = 3) -> dict | None:
    """The most repeated phrase of a stretch when repeats make up most of it."""
    best = None
    for n in range(1, min(8, len(us) // min_count) + 1):
        counts = Counter(tuple(us[i:i + n]) for i in range(len(us) - n + 1))
        gram, c = counts.most_common(1)[0]
        # Occurrences of an n-gram overlap at most with period n: c*n approximates its coverage.
        if c >= min_count and c * n >= 0.6 * len(us):
            if best is None or c * n > best["count"] * len(best["phrase"].split()):
                best = {"phrase": " ".join(gram), "count": c}
    return best


def _contains(hay: tuple[str, ...], needle: tuple[str, ...], lo: int, hi: int) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``hay`` overlapping [lo, hi), ignoring spaces between units
    ("king soft cloud" holds "Kingsoft Cloud"); None when it does not."""
    target = "".join(needle)
    if not target or target not in "".join(hay):
        return None
    hi = max(hi, lo + 1)
    for i in range(max(0, lo - len(target)), min(len(hay), hi)):
        acc, j = "", i
        while j < len(hay) and len(acc) < len(target):
            acc += hay[j]
            j += 1
        if acc == target and j > lo:
            return i, j
    return None


def _plain(us) -> tuple[str, ...]:
    # Possessives do not change a name: "Jinshan Cloud's" holds "Jinshan Cloud".
    return tuple(u[:-2] if u.endswith("'s") and len(u) > 2 else u for u in us)


@lru_cache(maxsize=64)
def _glossary_units(gl_terms: tuple, gl_conf: tuple):
    terms = [(t, _plain(phrase_units(t))) for t in gl_terms]
    conf = [(w, r, _plain(phrase_units(w)), _plain(phrase_units(r))) for w, r in gl_conf]
    return [t for t in terms if t[1]], [c for c in conf if c[2] and c[3]]


@dataclass(frozen=True)
class GlossaryEvidence:
    """What the glossary says of one stretch."""

    confusion: tuple[str, str] | None = None  # a known confusion (wrong, right) the audio confirms
    confusion_fuzzy: tuple[str, str, float] | None = None  # ... the audio is only close to (with similarity)
    replacement: str | None = None  # the right form to write for a fuzzy confusion
    term: str | None = None  # a glossary term the edit would write
    vendor_term: str | None = None  # a glossary spelling the edit would destroy
    span: tuple[int, int, int, int] | None = None  # where the forms sit in the stretch (vendor, ASR units)
    context: tuple[int, int] | None = None  # units of the confused form outside the stretch, either side

    def __bool__(self) -> bool:
        return bool(self.to_dict())

    def to_dict(self) -> dict:
        """The edit's ``evidence["glossary"]`` (where the forms sit is for trimming, not for the editor)."""
        out = {"confusion": self.confusion, "confusion_fuzzy": self.confusion_fuzzy, "replacement": self.replacement,
               "term": self.term, "vendor_term": self.vendor_term}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items() if v is not None}


def glossary_evidence(gl: Glossary, left: list[str], vendor: list[str], asr: list[str], right: list[str],
                      fuzzy: float = 0.8) -> GlossaryEvidence:
    """Compare the vendor window with the window the edit would produce (same context either side)."""
    terms, conf = _glossary_units(tuple(gl.canonical()), tuple(gl.confusions.items()))
    left, vendor, asr, right = _plain(left), _plain(vendor), _plain(asr), _plain(right)
    before = tuple(left + vendor + right)
    after = tuple(left + asr + right)
    lo, hi_b, hi_a = len(left), len(left) + len(vendor), len(left) + len(asr)
    out: dict = {}
    for wrong, right_, wu, ru in conf:
        at = _contains(before, wu, lo, hi_b)
        if not at or _contains(before, ru, lo, hi_b):
            continue
        heard = _contains(after, ru, lo, hi_a)
        if heard:
            out["confusion"] = (wrong, right_)
            # Where the two forms sit inside the stretch (vendor units, ASR units), for trimming.
            out["span"] = (max(at[0], lo) - lo, min(at[1], hi_b) - lo, max(heard[0], lo) - lo, min(heard[1], hi_a) - lo)
            out["context"] = (lo - min(at[0], lo), max(at[1], hi_b) - hi_b)  # units of the form outside the stretch
            break
        # The audio says something close to the right form (a garbled name): fuzzy support.
        a, b = at
        lc, rc = before[a:lo], before[hi_b:b] if b > hi_b else ()
        best = None
        for x in range(1) if lc else range(len(asr)):  # context must stay adjacent to the window
            for y in range(x + 1, len(asr) + 1):
                if (rc and y != len(asr)) or y - x > len(ru) + 2:
                    continue
                sim = fuzz.ratio("".join(lc + asr[x:y] + rc), "".join(ru)) / 100.0
                if best is None or sim > best[0]:
                    best = (sim, x, y)
        if best and best[0] >= fuzzy:
            repl = _strip_context(right_, lc, rc)
            if repl:
                sim, x, y = best
                out["confusion_fuzzy"] = (wrong, right_, round(sim, 3))
                out["replacement"] = repl
                out["span"] = (max(a, lo) - lo, min(b, hi_b) - lo, x, y)
                break
    for term, tu in terms:
        in_before, in_after = _contains(before, tu, lo, hi_b), _contains(after, tu, lo, hi_a)
        if in_after and not in_before and "term" not in out:
            out["term"] = term
        if in_before and not in_after and "vendor_term" not in out:
            out["vendor_term"] = term  # the edit would destroy a glossary spelling
    return GlossaryEvidence(**out)


def _strip_context(phrase: str, lc: tuple[str, ...], rc: tuple[str, ...]) -> str | None:
    """The words of ``phrase`` left after dropping the context units it shares with the vendor."""
    toks = tokenize(phrase)
    tu = [_plain(units(t.text)) for t in toks]
    i, got = 0, ()
    while i < len(toks) and len(got) < len(lc):
        got += tu[i]
        i += 1
    if got != lc:
        return None
    j, got = len(toks), ()
    while j > i and len(got) < len(rc):
        j -= 1
        got = tu[j] + got
    if got != rc or j <= i:
        return None
    return phrase[toks[i].offset:toks[j - 1].offset + len(toks[j - 1].text)]
