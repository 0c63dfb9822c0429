"""Wordings worth scoring beside the vendor's and the ASR's, built from the vendor's own words.

On audio the ASR hears badly its reading is often wrong where the vendor's is wrong too; the right
wording may still be one small change away from the vendor's: two words that are one word split
("bio marker"), a number with two digits swapped or one dropped ("64%" for 46 %, "205" for 2025),
or, in a stretch where the ASR reads several words differently, only one part of its reading
("Piper Sander." / "Pike or Sandler." → "Piper Sandler."). Each candidate changes one thing, so
the audio's margin speaks for that one change.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import combinations
from functools import lru_cache

from rapidfuzz import fuzz

from callfix.align.evidence import metaphone_similarity, sounds_alike
from callfix.text import edge_punct, english_normalizer, phrase_units, strip_punct

_DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")
SWAPPED = "two digits swapped"
_FUNCTION = frozenset("the and but for with from into onto upon over under any some every each one out off "
                      "not all how who what where when your our their this that there here".split())


# Words that make a number: a sound-alike of one changes an amount ("million" / "billion", "fifteen" /
# "fifty"), which only a number form may do.
QUANTITY = frozenset("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                      "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                      "hundred hundreds thousand thousands million millions billion billions trillion trillions "
                      "percent dozen half quarter third thirds".split())


@dataclass(frozen=True)
class Candidate:
    """A wording of a stretch and what makes it worth scoring."""

    text: str
    kind: str  # "merge", "number", "part", "spelling", "homophone" or "pair"
    why: str
    asr_words: tuple[int, int] | None = None  # for "part": the stretch's ASR words it takes
    heard: bool = False  # for "number", "homophone", "merge" and "spelling": the ASR's reading holds it
    common: bool = False  # for "homophone": the vendor's words are common ones too (not a misspelling)
    near: bool = False  # for "spelling": the run only nearly sounds like the trusted spelling
    own: bool = False  # for "spelling" and "number": the vendor text itself writes it elsewhere (not trusted)
    swap: bool = False  # for "number": two neighbouring digits of the vendor's swapped (a typist's slip)
    of: tuple = ()  # for "pair": the two candidates it makes at once


@lru_cache(maxsize=1)
def _zipf():
    from wordfreq import zipf_frequency

    return zipf_frequency


@lru_cache(maxsize=1 << 16)  # a call asks for the same few thousand words tens of thousands of times
def word_frequency(word: str) -> float:
    """Zipf frequency of an English word (wordfreq: 0 unknown, 3 about once per million words)."""
    return _zipf()(word, "en")


# A join the ASR writes too is worth scoring even where the pieces are short or the word rare ("stable
# coin" heard "stablecoin"); it is not a typist's split where the first piece is an article ("a side" /
# "aside") or the second a particle of a phrasal verb ("set up" / "setup"): the writer's grammar.
_ARTICLES = frozenset("a an the".split())
_PARTICLES = frozenset("up down out off over back away around through about along in on".split())
# small words that begin compounds ("byproduct", "offtake", "reinsurance", "cofounder")
_PREFIX_WORDS = frozenset("by off out over under up down in on re co pre non mid sub".split())


def merges(vendor: str, min_zipf: float = 1.5, asr: str = "", heard_max_zipf: float = 4.0,
           rare_join_zipf: float = 3.5) -> list[Candidate]:
    """The vendor's wording with two neighbouring words joined where the joined form is a word
    ("run way" → "runway"; "Ever Core" → "Evercore"), or where the ASR's reading ``asr`` writes the
    join (``heard``: "Re insurance" heard "reinsurance"), if the joined word is no everyday one
    (zipf below ``heard_max_zipf``: "may be" / "maybe" is the writer's grammar). A small first word
    ("by product") joins only into a word rarer than ``rare_join_zipf``."""
    said = f" {' '.join(phrase_units(asr))} " if asr else ""
    toks = vendor.split()
    out = []
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        ca, cb = strip_punct(a), strip_punct(b)
        if not (ca.isalpha() and cb.isalpha()) or edge_punct(a)[1] or edge_punct(b)[0]:
            continue
        joined = ca + (cb.lower() if ca[:1].isupper() and cb[:1].isupper() and not cb.isupper() else cb)
        f = word_frequency(joined.lower())
        heard = bool(said) and f" {''.join(phrase_units(joined))} " in said \
            and min(len(ca), len(cb)) >= 2 and ca.lower() not in _ARTICLES and cb.lower() not in _PARTICLES \
            and f < heard_max_zipf
        # a typist splits an unfamiliar compound after a small word too ("by product", "off take"):
        # no everyday word ("over all" / "overall") and no article before a word ("a new" / "anew")
        prefixed = f < rare_join_zipf and ca.lower() in _PREFIX_WORDS and len(cb) >= 3 \
            and cb.lower() not in _FUNCTION | _PARTICLES
        if not heard and (((min(len(ca), len(cb)) < 3 or {ca.lower(), cb.lower()} & _FUNCTION) and not prefixed)
                          or f < min_zipf):
            continue  # "a new" is not "anew": splits of function words are the writer's grammar
        lead, _ = edge_punct(a)
        _, trail = edge_punct(b)
        text = " ".join([*toks[:i], lead + joined + trail, *toks[i + 2:]])
        why = f"'{ca} {cb}' is the word '{joined}' split in two" + (", as the ASR heard it" if heard else "")
        out.append(Candidate(text, "merge", why, heard=heard))
    return sorted(out, key=lambda c: not c.heard)  # stable: a join the ASR writes first


def number_forms(token: str) -> list[tuple[str, str]]:
    """Near forms of one number, as (form, how it differs): neighbouring digits swapped, a year
    with a digit dropped (205 → 2025), a decimal point lost or added (21 → 2.1)."""
    m = _DIGITS.search(token)
    if not m:
        return []
    num = m.group().replace(",", "")
    forms: list[tuple[str, str]] = []
    whole = m.group().rstrip(",")
    lead, sep, rest = whole.partition(",")
    if sep and 2 <= len(lead) <= 3 and re.fullmatch(r"\d{3}(?:,\d{3})*", rest):
        # thousands: the digits said first are the ones a typist swaps ("84,000" for 48,000)
        end = m.start() + len(whole)
        return [(token[:m.start()] + f"{sw},{rest}" + token[end:], SWAPPED) for sw in _swaps(lead)]
    if "." not in num and 2 <= len(num) <= 3:
        forms += [(sw, SWAPPED) for sw in _swaps(num)]
        if len(num) == 2 and num[1] != "0":
            forms.append((num[0] + "." + num[1], "a decimal point lost"))
    if len(num) == 3 and num.startswith("20"):
        forms += [("20" + d + num[2], "a year's digit dropped") for d in "12"]
    if "." in num and len(num) <= 5:
        forms.append((num.replace(".", ""), "a decimal point added"))
    return [(token[:m.start()] + f + token[m.end():], why) for f, why in forms]


def _swaps(digits: str) -> list[str]:
    """``digits`` with two neighbouring digits swapped, each way that changes it and keeps a leading digit."""
    out = [digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:] for i in range(len(digits) - 1)]
    return [sw for sw in out if sw != digits and sw[0] != "0"]


def heard_numbers(asr: str) -> set[str]:
    """The numbers of the ASR's reading, in digits also where it spelled them out ("twenty-twenty-five"
    is 2025: Whisper writes a year or an amount either way)."""
    heard = {u.replace(",", "") for u in phrase_units(asr)}
    if not _DIGITS.search(asr) and re.search(r"[A-Za-z]", asr):
        norm = english_normalizer()  # openai-whisper's: "twenty nine percent" -> "29%"
        if norm is not None:
            heard |= {m.group().replace(",", "") for m in _DIGITS.finditer(norm(asr))}
    return heard


def number_candidates(vendor: str, asr: str, limit: int = 4) -> list[Candidate]:
    """The vendor's wording with one number in a near form; forms whose digits the ASR's reading
    holds come first."""
    toks = vendor.split()
    heard = heard_numbers(asr)
    out = []
    for i, t in enumerate(toks):
        for form, why in number_forms(t):
            digits = _DIGITS.search(form).group().replace(",", "")
            text = " ".join([*toks[:i], form, *toks[i + 1:]])
            said = digits in heard
            out.append((not said, Candidate(text, "number", f"'{strip_punct(t)}' with {why}", heard=said,
                                            swap=why == SWAPPED)))
    out.sort(key=lambda x: x[0])
    return [c for _, c in out[:limit]]


def pieces(vendor: list[str], asr: list[str], max_len: int = 3) -> list[tuple[int, int, int, int]]:
    """The vendor's and the ASR's words of one stretch cut into pairs of pieces that sound alike,
    in order (vendor [i1, i2) with ASR [j1, j2)): the segmentation with the most similar pieces."""
    n, m = len(vendor), len(asr)
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == neg:
                continue
            for di in range(0, max_len + 1):
                for dj in range(0, max_len + 1):
                    if (di == 0 and dj == 0) or i + di > n or j + dj > m:
                        continue
                    if di and dj:
                        gain = sounds_alike(" ".join(vendor[i:i + di]), " ".join(asr[j:j + dj])) - 0.5
                    else:
                        gain = -0.6 * (di + dj)
                    if best[i][j] + gain > best[i + di][j + dj]:
                        best[i + di][j + dj] = best[i][j] + gain
                        back[i + di][j + dj] = (i, j)
    out = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj = back[i][j]
        out.append((pi, i, pj, j))
        i, j = pi, pj
    return out[::-1]


def parts(vendor: str, asr_words: list[str], limit: int = 3) -> list[Candidate]:
    """The vendor's wording with one piece in the ASR's reading, where the ASR reads more than one
    piece differently."""
    v = vendor.split()
    if len(v) < 2 and len(asr_words) < 2:
        return []
    cut = pieces(v, asr_words)
    differ = [p for p in cut if phrase_units(" ".join(v[p[0]:p[1]])) != phrase_units(" ".join(asr_words[p[2]:p[3]]))]
    if len(differ) < 2:
        return []
    out = []
    for i1, i2, j1, j2 in differ[:limit]:
        said = " ".join(asr_words[j1:j2])
        said = respaced(" ".join(v[i1:i2]), said) or said
        if i1 < i2 and said:
            lead, _ = edge_punct(v[i1])
            _, trail = edge_punct(v[i2 - 1])
            said = lead + strip_punct(said) + trail
        text = " ".join(x for x in [*v[:i1], said, *v[i2:]] if x)
        out.append(Candidate(text, "part", f"only '{strip_punct(' '.join(v[i1:i2])) or '(nothing)'}' "
                                           f"read as '{strip_punct(' '.join(asr_words[j1:j2])) or '(nothing)'}'", (j1, j2)))
    return out


def spellings(vendor: str, terms: list[str], limit: int = 2, left: str = "", asr: str = "",
              own: bool = False, names: frozenset = frozenset(), whole: frozenset = frozenset()) -> list[Candidate]:
    """The vendor's wording with one run of its words in a trusted spelling it sounds like
    ("Morgan Stan Lee. Your" → "Morgan Stanley. Your"; "Oyo Lauren," → "Oyelaran,"). ``left``: the
    word before the wording, which may be the first word of a trusted name whose rest the wording
    begins with ("Samuel" + "a Chevy," → "Achebe,"). ``asr``: the ASR's reading; a name it reads is
    tried in place of the vendor's run of as many words that sounds less like it ("Jang Ray, and"
    heard "Zhang Rui in"). ``own``: the terms are spellings the vendor text repeats ("Cerro Alto"),
    not trusted ones; the candidates say so. ``names``: capitalised phrases the vendor text repeats
    ("Red Sea"), which one word of a trusted name ("Tessa" of Tessa Marlowe) does not respell, and a
    whole trusted name (``whole``: "Macquarie", for a repeated "Mack Quarry") does. A spelling the ASR
    reads is ``heard``: a second witness."""
    said = f" {' '.join(phrase_units(asr))} "
    heard = [t for t in terms if f" {' '.join(phrase_units(t))} " in said]
    found = [*(replace(c, heard=True) for c in _spellings(vendor, heard, floor=0.6, names=names, whole=whole)),
             *_spellings(vendor, [t for t in terms if t not in heard], names=names, whole=whole),
             *_after_first_name(vendor, terms, left)]
    out: dict[str, Candidate] = {}
    for c in sorted(found, key=lambda c: c.near):  # stable: a name the ASR reads first
        out.setdefault(c.text, c)
    found = list(out.values())[:limit]
    if own:
        found = [replace(c, own=True, why=c.why.replace("the trusted spelling", "the spelling the vendor text repeats"))
                 for c in found]
    return found


def _after_first_name(vendor: str, terms: list[str], left: str) -> list[Candidate]:
    # The vendor's split of a surname may begin in lower case ("a Chevy"), which a run of name words
    # would not: the first name already marks the run as a name, and the whole name is compared.
    first = strip_punct(left)
    if not first[:1].isupper() or edge_punct(left)[1]:
        return []
    v = vendor.split()
    found: list[tuple[float, Candidate]] = []
    for term in terms:
        tw = term.split()
        if len(tw) < 2 or tw[0] != first:
            continue
        rest = " ".join(tw[1:])
        for n in range(1, min(len(v), len(tw) + 1) + 1):
            said = " ".join(v[:n])
            if not strip_punct(v[n - 1])[:1].isupper() or any(ch.isdigit() for ch in said):
                continue
            piece, tkey = "".join(phrase_units(said)), "".join(phrase_units(rest))
            if not piece or piece == tkey:
                continue
            sim = max(fuzz.ratio(first.lower() + piece, "".join(phrase_units(term))) / 100,
                      metaphone_similarity(f"{first} {said}", term))
            if sim < 0.8:
                continue
            _, trail = edge_punct(v[n - 1])
            found.append((sim, Candidate(" ".join([rest + trail, *v[n:]]), "spelling",
                                         f"'{first} {strip_punct(said)}' sounds like the trusted spelling '{term}'")))
    return [c for _, c in sorted(found, key=lambda x: -x[0])]


def _spellings(vendor: str, terms: list[str], floor: float = 0.75, names: frozenset = frozenset(),
               whole: frozenset = frozenset()) -> list[Candidate]:
    v = vendor.split()
    keys = ["".join(phrase_units(w)) for w in v]
    bare = [strip_punct(w) for w in v]
    found: dict[str, tuple[int, float, Candidate]] = {}
    for term in terms:
        tkey = "".join(phrase_units(term))
        if len(tkey) < 4:
            continue
        twords = [k for k in ("".join(phrase_units(w)) for w in term.split()) if k]
        k = len(term.split())
        capital = all(w[:1].isupper() for w in term.split())
        for n in range(k, k + 3):
            for i in range(len(v) - n + 1):
                piece = "".join(keys[i:i + n])
                split = piece == tkey and keys[i:i + n] != twords  # the term's letters cut elsewhere: "Pell Amy"
                if not piece or (tkey in piece and not split) or abs(len(piece) - len(tkey)) > max(3, len(tkey) // 2):
                    continue  # already spelled there (a longer run would only drop its neighbours)
                if capital and not (v[i].lstrip("\"'(\u201c")[:1].isupper() and strip_punct(v[i + n - 1])[:1].isupper()):
                    continue  # a name's run starts and ends with capitalised words
                said = " ".join(v[i:i + n])
                if any(ch.isdigit() for ch in said) or (_acronym(said) and not _acronym(term)):
                    continue  # a code or an acronym ("CRV-201") is not a misheard name
                spelled, sound = fuzz.ratio(piece, tkey) / 100, metaphone_similarity(said, term)
                if k == 1 and n > 1 and spelled < 0.8 and strip_punct(said) in names and term not in whole:
                    continue  # a name of the call's own, written alike at each mention ("Red Sea"), only sounds like it
                if _inside_name(bare, i, n, names):
                    continue  # a word of such a name ("Quarry" of "Mack Quarry"): only the whole name is respelled
                sim = max(spelled, sound)
                # a run of as many words as the name that nearly sounds like it is worth scoring too,
                # on a clearer margin (one_change_margin)
                near = sim < 0.8 and sound >= floor and n == k
                if (sim < 0.8 and not near) or (term in found and found[term][1] >= sim):
                    continue
                lead, _ = edge_punct(v[i])
                _, trail = edge_punct(v[i + n - 1])
                if re.search(r"['\u2019]s$", strip_punct(v[i + n - 1])) and not term.endswith("s"):
                    trail = "'s" + trail  # the possessive stays
                text = " ".join([*v[:i], lead + term + trail, *v[i + n:]])
                found[term] = (k, sim, Candidate(text, "spelling", f"'{strip_punct(said)}' sounds like the "
                                                                   f"trusted spelling '{term}'", near=near))
    out: dict[str, Candidate] = {}
    # a spelling of more words first ("Thomas Brendan" is Tomasz Brennan before it is Thomas
    # Brennan), then the closer one
    for _, _, c in sorted(found.values(), key=lambda x: (-x[0], -x[1])):
        out.setdefault(c.text, c)
    return list(out.values())


def _inside_name(bare: list[str], i: int, n: int, names: frozenset) -> bool:
    """Words [i, i+n) of ``bare`` (the vendor's words without edge punctuation) are part, not all, of a
    name the vendor text repeats (``names``)."""
    for name in names:
        m = len(name.split())
        if m <= n:
            continue
        for j in range(max(0, i + n - m), min(i, len(bare) - m) + 1):
            if " ".join(bare[j:j + m]) == name:
                return True
    return False


def _acronym(text: str) -> bool:
    return any(sum(ch.isupper() for ch in w) >= 2 and w.upper() == w for w in (strip_punct(x) for x in text.split()))


def respaced(vendor_piece: str, asr_piece: str) -> str | None:
    """The ASR's letters cut where the vendor cuts its words, when both have as many letters
    ("cash slow" / "cashflow" → "cash flow"), or its hyphenated parts as the vendor's words ("high
    those" / "high-dose" → "high dose"): spacing is the vendor's to keep, not the audio's."""
    vw = [strip_punct(w) for w in vendor_piece.split()]
    parts_ = strip_punct(asr_piece).split("-")
    if len(vw) >= 2 and len(asr_piece.split()) == 1 and len(parts_) == len(vw) and not any("-" in w for w in vw) \
            and all(x.isalpha() for x in parts_):
        return " ".join(parts_)  # "high-dose" under "high those": "high dose"
    a = strip_punct(asr_piece).replace(" ", "")
    if len(vw) < 2 or len(asr_piece.split()) != 1 or not a.isalpha() or sum(map(len, vw)) != len(a):
        return None
    out, i = [], 0
    for w in vw:
        out.append(a[i:i + len(w)])
        i += len(w)
    return " ".join(out)


def core(a: str, b: str) -> tuple[str, str]:
    """Two wordings without the words they share at either edge (case and punctuation aside)."""
    x, y = a.split(), b.split()
    key = lambda w: strip_punct(w).lower()  # noqa: E731
    while len(x) > 1 and len(y) > 1 and key(x[0]) == key(y[0]):
        x, y = x[1:], y[1:]
    while len(x) > 1 and len(y) > 1 and key(x[-1]) == key(y[-1]):
        x, y = x[:-1], y[:-1]
    return " ".join(x), " ".join(y)


_KEY_LETTERS = "0BFHJKLMNPRSTWXY"  # jellyfish's metaphone alphabet ("0" is "th")
_ENDINGS = frozenset(("", "s", "es", "d", "ed", "ing", "y", "ies", "ied", "ly", "er", "ers", "e", "ion", "ions", "al",
                       "th"))


@lru_cache(maxsize=1)
def _sound_index() -> dict[str, tuple[str, ...]]:
    """Common English words (wordfreq's first 50,000, Zipf >= 3) by metaphone key."""
    import jellyfish
    from wordfreq import top_n_list

    idx: dict[str, list[str]] = {}
    for w in top_n_list("en", 50000):
        if w.isalpha() and w.isascii() and len(w) >= 3 and word_frequency(w) >= 3.0:
            idx.setdefault(jellyfish.metaphone(w), []).append(w)
    return {k: tuple(v) for k, v in idx.items()}


def _near_keys(key: str) -> set[str]:
    """Metaphone keys one edit (a sound dropped, added or changed) from ``key``."""
    out = {key}
    for i in range(len(key) + 1):
        if i < len(key):
            out.add(key[:i] + key[i + 1:])
        for ch in _KEY_LETTERS:
            out.add(key[:i] + ch + key[i:])
            if i < len(key):
                out.add(key[:i] + ch + key[i + 1:])
    return out


def _ending_only(a: str, b: str) -> bool:
    """Two forms of one word: "delivered" / "delivery", "grow" / "grows"."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n >= 3 and a[n:] in _ENDINGS and b[n:] in _ENDINGS


def _prefixed(a: str, b: str) -> bool:
    """One word is the other with a prefix: "repurchased" / "purchased", "unlimited" / "limited"."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 4 and long_.endswith(short)


def sound_alikes(vendor: str, asr_words: list[str] | None = None, limit: int = 2) -> list[Candidate]:
    """The vendor's wording with one word, or two neighbouring words, in a common English word that
    sounds the same or nearly so ("in France" → "inference", "cue" → "queue", "grows" → "gross"):
    a typist's homophone. Only lower-case words are respelled (a name changes only to a trusted
    spelling), never into another ending or prefix of the same word (the ASR often hears endings
    wrong, and on phone audio drops a first syllable: "repurchased" heard "purchased"), nor into a
    word much rarer than the vendor's. The words nearest what the ASR heard come first."""
    import jellyfish

    toks = vendor.split()
    heard = [strip_punct(" ".join(asr_words[j:j + n])) for n in (1, 2) for j in range(len(asr_words or []))]
    heard = [h for h in heard if h]
    idx = _sound_index()
    found: list[tuple[tuple, Candidate]] = []
    for i, t in enumerate(toks):
        for n in (1, 2):
            run = toks[i:i + n]
            if len(run) < n:
                continue
            words = [strip_punct(x) for x in run]
            # a name heard as one plain word is a homophone too ("in France" / "inference")
            if not all(w.isalpha() and (w.islower() or n == 2) for w in words) or (n == 2 and edge_punct(run[0])[1]):
                continue
            said = "".join(words).lower()
            if len(said) < 3 or (n == 1 and (said in _FUNCTION or said in heard)) \
                    or any(w.lower() in QUANTITY for w in words):
                continue
            floor = max(3.0, word_frequency(said) - 1.5) if n == 1 else 3.0
            key = "".join(jellyfish.metaphone(w) for w in words)
            if not key:
                continue
            # no sound marks a word boundary: two words are heard as their letters run together
            # ("pivot all" as "pivotal", whose key the per-word keys miss by the second word's vowel)
            near = list(dict.fromkeys([key, jellyfish.metaphone(said)])) if n == 2 \
                else sorted(_near_keys(key), key=lambda k: k != key)
            for k in near:
                for x in idx.get(k, ()):
                    if x == said or _ending_only(said, x) or _prefixed(said, x) or x in _FUNCTION or x in QUANTITY \
                            or word_frequency(x) < floor:
                        continue
                    spelled = fuzz.ratio(said, x) / 100
                    # the same sounds may be spelled unlike ("cue" / "queue"); a sound more or less
                    # must be spelled alike too ("attention" / "retention")
                    if spelled < (0.5 if k == key else 0.75) or (n == 2 and (len(x) < 6 or spelled < 0.75)):
                        continue
                    lead, _ = edge_punct(run[0])
                    _, trail = edge_punct(run[-1])
                    text = " ".join([*toks[:i], lead + x + trail, *toks[i + n:]])
                    why = f"'{' '.join(words)}' sounds like the word '{x}'"
                    # two words into one reads a common phrase as a word ("cross border"), unless the word
                    # is the vendor's letters run together, a letter apart ("pivot all" / "pivotal")
                    common = (n == 2 and spelled < 0.9) or word_frequency(said) >= 3.0
                    near_asr = max((sounds_alike(x, h) for h in heard), default=0.0)
                    found.append(((-round(near_asr, 1), k != key, -spelled, -word_frequency(x)), i,
                                  Candidate(text, "homophone", why, common=common)))
    found.sort(key=lambda f: f[0])
    # one word per vendor word first: in a stretch of several words the ASR misheard, its nearest
    # readings may all respell one word ("stayed" as "stated", "staged") and leave the wrong one out
    first: dict[int, Candidate] = {}
    for _, i, c in found:
        first.setdefault(i, c)
    out: dict[str, Candidate] = {}
    for c in [*first.values(), *(c for *_, c in found)]:
        out.setdefault(c.text, c)
    return list(out.values())[:limit]


def changed_run(vendor: str, text: str) -> tuple[int, int, list[str]]:
    """The vendor's words [i, j) a wording changes, and the words it puts there."""
    v, c = vendor.split(), text.split()
    i = 0
    while i < min(len(v), len(c)) and v[i] == c[i]:
        i += 1
    j = 0
    while j < min(len(v), len(c)) - i and v[-1 - j] == c[-1 - j]:
        j += 1
    return i, len(v) - j, c[i:len(c) - j]


def pairs(vendor: str, found: list[Candidate], limit: int = 2) -> list[Candidate]:
    """Two wordings of different kinds, or two trusted spellings, that change separate vendor words, made at
    once: one stretch may hold two vendor errors ("Oh Stara delivered 21" is "Ostara delivered 2.1"; an
    introduction names two people: "Omar Castle Lanos, ... and Jane Whitacre")."""
    v = vendor.split()
    out: list[Candidate] = []
    for a, b in combinations([c for c in found if c.kind in ("spelling", "merge", "number", "homophone")], 2):
        if a.kind == b.kind != "spelling":
            continue
        x, y = sorted((changed_run(vendor, a.text), changed_run(vendor, b.text)), key=lambda r: r[:2])
        if not (x[0] < x[1] <= y[0] < y[1]):
            continue
        text = " ".join([*v[:x[0]], *x[2], *v[x[1]:y[0]], *y[2], *v[y[1]:]])
        out.append(Candidate(text, "pair", f"{a.why}, and {b.why}", of=(a, b)))
    return out[:limit]
