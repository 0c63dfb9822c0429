"""Vendor-style defects, modelled on a real vendor transcript of a Chinese cloud company's call.

Given the exact reference paragraphs, produce what a transcript vendor sells: term and name
confusions, machine-translated Mandarin paragraphs, a repetition loop, wrong numbers, a stray
operator line that is not in the audio, and no speaker labels. Every injected defect is listed
so a correction can be scored defect by defect. Deterministic for a given seed.
"""
from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

# (type, pattern, replacements). The pattern matches the span the vendor gets wrong.
RULES: list[tuple[str, str, list[str]]] = [
    ("term", r"\bgross(?= (?:margins?|profits?|billing)\b)", ["growth"]),
    ("term", r"\bnon-GAAP\b", ["non-gap"]),
    ("term", r"\bDeepSeek\b", ["DeepSeq", "G-Seq", "dipstick"]),
    ("term", r"\bCDN\b", ["CDM"]),
    ("term", r"\bIaaS\b", ["ICE"]),
    ("term", r"\bD&A\b", ["DNA"]),
    ("entity", r"\bKingsoft Cloud\b", ["Google Cloud", "Jinshan Cloud", "kings of the cloud"]),
    ("entity", r"\bCLSA\b", ["CLFA"]),
    ("entity", r"\bZou Tao\b", ["Zhou Tao"]),
    ("entity", r"\bWenting\b(?! Yu)", ["Wenjing", "Linting"]),
]

# Overridable per script under `errors:`. A held-out call sets `default_rules: false` (the rules above
# name one company) and lists its own: `rules: [{type, phrase, wrong: [...], rate}]`, plus explicit
# `vendor_errors` and `controls` on its lines. `repetition` may be a list of loops.
DEFAULTS: dict[str, Any] = {
    "default_rules": True,
    "rules": [],
    "term_rate": 0.6,          # share of term occurrences the vendor gets wrong
    "entity_rate": 0.5,
    "number_rate": 0.25,
    "machine_translation": True,  # Mandarin lines with an `mt` text appear as that text
    "repetition": {"phrase": "this one", "min": 12, "max": 30},
    "stray_lines": ["Please standby while your speakers reconnect."],
}

_NUMBER = re.compile(r"\b\d+(?:\.\d+)?(?:%| billion| million)?")


@dataclass
class Defect:
    id: str
    type: str  # term | entity | number | machine_translation | repetition | not_in_audio
    paragraph: int  # index of the vendor body paragraph (after the header lines)
    line: int | None  # index of the script line it came from (None: not in the audio)
    wrong: str  # the vendor's text
    right: str  # the reference text ("" when the vendor text should not be there)
    char_start: int = 0  # offsets of `wrong` inside the vendor paragraph
    char_end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Control:
    """A phrase really spoken that looks like an error: a correction must leave it as it is."""
    id: str
    paragraph: int
    line: int
    text: str
    char_start: int  # offsets inside the vendor paragraph (the same text as the reference line)
    char_end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LineSpec:
    text: str
    language: str = "en"
    mt: str | None = None
    vendor_errors: list[dict] = field(default_factory=list)  # {right, wrong, type, occurrence}
    controls: list[str] = field(default_factory=list)


def wrong_number(s: str) -> str | None:
    """A plausible mishearing: a dropped digit ("2025" -> "205"), a lost decimal point, swapped digits."""
    m = re.match(r"(\d+)(\.\d+)?(.*)", s)
    if not m:
        return None
    whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
    if len(whole) == 4 and whole.startswith("20"):
        return whole[:2] + whole[3:] + frac + unit  # 2025 -> 205, as in the seed transcript
    if frac:
        return whole + frac[1:] + unit  # 1.4 billion -> 14 billion
    if len(whole) == 2 and whole[0] != whole[1] and whole[1] != "0":
        return whole[::-1] + unit  # 34% -> 43%
    return None


@dataclass
class _Change:
    start: int
    end: int
    type: str
    new: str
    key: str  # the rule it came from: each rule present in the script fires at least once
    rate: float | None = None  # the rule's own rate (None: the type's)


def _rules(cfg: dict) -> list[tuple[str, str, list[str], float | None]]:
    """(type, regex, replacements, rate or None for the type's rate): the shipped rules and the script's."""
    out = [(k, p, r, None) for k, p, r in RULES] if cfg.get("default_rules", True) else []
    for n, r in enumerate(cfg.get("rules") or [], 1):
        try:
            phrase, wrong = str(r["phrase"]), r["wrong"]
            wrong = [wrong] if isinstance(wrong, str) else [str(w) for w in wrong]
            rate = float(r["rate"]) if r.get("rate") is not None else None
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"errors.rules {n}: expected {{phrase, wrong, type, rate}} ({e})") from None
        if not phrase or not wrong:
            raise ValueError(f"errors.rules {n}: empty phrase or wrong list")
        out.append((str(r.get("type") or "term"), r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", wrong, rate))
    return out


def _candidates(text: str, rng: random.Random, rules, with_numbers: bool = True) -> list[_Change]:
    found: list[_Change] = []
    for kind, pattern, repl, rate in rules:
        for m in re.finditer(pattern, text):
            c = _Change(m.start(), m.end(), kind, rng.choice(repl), pattern)
            c.rate = rate
            found.append(c)
    for m in (_NUMBER.finditer(text) if with_numbers else ()):
        new = wrong_number(m.group(0))
        if new:
            found.append(_Change(m.start(), m.end(), "number", new, "number"))
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[_Change] = []
    for c in found:
        if kept and c.start < kept[-1].end:
            continue  # overlapping spans: the first (longest) wins
        kept.append(c)
    return kept


def corrupt(lines: list[tuple[str, str, str | None]], seed: int, cfg: dict | None = None
            ) -> tuple[list[str], list[Defect]]:
    """lines: (text, language, mt) per script line. Returns vendor paragraphs and their defects."""
    paragraphs, defects, _ = corrupt_call([LineSpec(t, lang, mt) for t, lang, mt in lines], seed, cfg)
    return paragraphs, defects


def _spans(text: str, phrase: str, occurrence: int | None = None) -> list[tuple[int, int]]:
    starts = [m.start() for m in re.finditer(re.escape(phrase), text)]
    if occurrence is not None:
        starts = starts[occurrence - 1: occurrence]
    return [(a, a + len(phrase)) for a in starts]


def _overlaps(a: int, b: int, spans) -> bool:
    return any(a < t and s < b for s, t in spans) or any(s <= a < t for s, t in spans if a == b)


def _minimal(text: str, a: int, b: int, wrong: str) -> tuple[int, int, str]:
    """The changed words only: "in France service" for "inference service" is the defect "in France"
    for "inference", so a correction of just those words is scored as the fix it is."""
    right = text[a:b].split(" ")
    new = wrong.split(" ")
    while len(right) > 1 and len(new) > 1 and right[0] == new[0]:
        a += len(right.pop(0)) + 1
        new.pop(0)
    while len(right) > 1 and len(new) > 1 and right[-1] == new[-1]:
        b -= len(right.pop()) + 1
        new.pop()
    return a, b, " ".join(new)


def corrupt_call(lines: list[LineSpec], seed: int, cfg: dict | None = None
                 ) -> tuple[list[str], list[Defect], list[Control]]:
    """Vendor paragraphs, their defects, and where each control phrase stands in them."""
    cfg = {**DEFAULTS, **(cfg or {})}
    rng = random.Random(seed)
    rates = {"term": float(cfg["term_rate"]), "entity": float(cfg["entity_rate"]),
             "number": float(cfg["number_rate"])}
    rules = _rules(cfg)

    guarded = [[sp for c in ln.controls for sp in _spans(ln.text, c)] for ln in lines]
    explicit: list[list[_Change]] = []
    for i, ln in enumerate(lines):
        mine = []
        for e in ln.vendor_errors:
            (a, b), = _spans(ln.text, e["right"], e.get("occurrence", 1))
            if _overlaps(a, b, guarded[i]):
                raise ValueError(f"line {i + 1}: vendor error {e['right']!r} overlaps a control")
            a, b, wrong = _minimal(ln.text, a, b, e["wrong"])
            if wrong == ln.text[a:b]:
                raise ValueError(f"line {i + 1}: vendor error {e['right']!r} -> {e['wrong']!r} changes nothing")
            mine.append(_Change(a, b, e.get("type") or "term", wrong, "explicit"))
        explicit.append(mine)

    def rate(c: _Change) -> float:
        return c.rate if c.rate is not None else rates.get(c.type, rates["term"])

    cands = [[c for c in _candidates(ln.text, rng, rules, rates["number"] > 0)
              if not _overlaps(c.start, c.end, guarded[i]) and not _overlaps(c.start, c.end, [(x.start, x.end) for x in explicit[i]])]
             if ln.language == "en" else [] for i, ln in enumerate(lines)]
    plans = [[c for c in cs if rng.random() < rate(c)] for cs in cands]
    fired = {c.key for plan in plans for c in plan}
    for cs, plan in zip(cands, plans):
        for c in cs:
            if c.key not in fired and rate(c) > 0:
                plan.append(c)
                fired.add(c.key)
    for plan, mine in zip(plans, explicit):
        plan.extend(mine)

    reps = cfg.get("repetition")
    for rep in ([reps] if isinstance(reps, dict) else list(reps or [])):
        eligible = [i for i, ln in enumerate(lines) if ln.language == "en" and len(ln.text.split()) >= 20
                    and not any(c.type == "repetition" for c in plans[i])]
        if not eligible:
            break
        def bounds_of(i: int) -> list[int]:
            return [m.end() for m in re.finditer(r"[.?!] (?=[A-Z])", lines[i].text)
                    if not any(c.start < m.end() < c.end for c in plans[i])
                    and not any(a < m.end() < b for a, b in guarded[i])]

        i = rng.choice(eligible)
        bounds = bounds_of(i)
        if not bounds:  # one sentence only: another line that has a sentence break
            others = [j for j in eligible if bounds_of(j)]
            if others:
                i = rng.choice(others)
                bounds = bounds_of(i)
        if bounds:
            at = rng.choice(bounds)
            n = rng.randint(int(rep["min"]), int(rep["max"]))
            phrase = str(rep["phrase"])
            loop = ", ".join([phrase.capitalize()] + [phrase] * (n - 1)) + ". "
            plans[i].append(_Change(at, at, "repetition", loop, "repetition"))

    paragraphs: list[str] = []
    defects: list[tuple[int | None, str, str, str, int, int]] = []  # line, type, wrong, right, start, end
    controls: list[tuple[int, str, int, int]] = []  # line, text, start, end in the vendor paragraph
    for i, ln in enumerate(lines):
        text, lang, mt = ln.text, ln.language, ln.mt
        if lang != "en":
            if mt and cfg.get("machine_translation", True):
                mt = " ".join(mt.split())
                paragraphs.append(mt)
                defects.append((i, "machine_translation", mt, text, 0, len(mt)))
            else:
                paragraphs.append(text)
                controls += [(i, text[a:b], a, b) for a, b in guarded[i]]
            continue
        out, pos = [], 0
        shifts: list[tuple[int, int]] = []  # (original offset, length change) of each change
        for c in sorted(plans[i], key=lambda c: (c.start, c.end)):
            out.append(text[pos:c.start])
            at = sum(len(s) for s in out)
            out.append(c.new)
            defects.append((i, c.type, c.new.strip(), text[c.start:c.end], at, at + len(c.new.rstrip())))
            shifts.append((c.start, len(c.new) - (c.end - c.start)))
            pos = c.end
        out.append(text[pos:])
        paragraphs.append("".join(out))
        for a, b in guarded[i]:
            d = sum(n for at, n in shifts if at <= a)
            controls.append((i, text[a:b], a + d, b + d))

    # Lines the vendor prints that nobody said; they shift the paragraphs after them.
    para_of_line = list(range(len(lines)))
    stray_at: list[tuple[int, str]] = []
    for s in cfg.get("stray_lines") or []:
        stray_at.append((rng.randint(1, max(1, len(paragraphs) - 1)), str(s)))
    for pos, s in sorted(stray_at, reverse=True):
        paragraphs.insert(pos, s)
        para_of_line = [p + 1 if p >= pos else p for p in para_of_line]
    result: list[Defect] = []
    for line, kind, wrong, right, a, b in defects:
        result.append(Defect("", kind, para_of_line[line], line, wrong, right, a, b))
    for k, (pos, s) in enumerate(sorted(stray_at)):
        result.append(Defect("", "not_in_audio", pos + k, None, s, "", 0, len(s)))
    result.sort(key=lambda d: (d.paragraph, d.char_start))
    for n, d in enumerate(result, 1):
        d.id = f"d{n:02d}"
    kept = [Control(f"c{n:02d}", para_of_line[line], line, t, a, b)
            for n, (line, t, a, b) in enumerate(sorted(controls, key=lambda c: (c[0], c[2])), 1)]
    return paragraphs, result, kept
