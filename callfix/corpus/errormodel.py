"""Vendor-style defects, modelled on a real vendor transcript of a Chinese cloud company's call.

Given the exact reference paragraphs, produce what a transcript vendor sells: term and name
confusions, machine-translated Mandarin paragraphs, a repetition loop, wrong numbers, a stray
operator line that is not in the audio, and no speaker labels. Every injected defect is listed
so a correction can be scored defect by defect. Deterministic for a given seed.
"""
from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass
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

# Overridable per script under `errors:`.
DEFAULTS: dict[str, Any] = {
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


def _candidates(text: str, rng: random.Random) -> list[_Change]:
    found: list[_Change] = []
    for kind, pattern, repl in RULES:
        for m in re.finditer(pattern, text):
            found.append(_Change(m.start(), m.end(), kind, rng.choice(repl), pattern))
    for m in _NUMBER.finditer(text):
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
    cfg = {**DEFAULTS, **(cfg or {})}
    rng = random.Random(seed)
    rates = {"term": float(cfg["term_rate"]), "entity": float(cfg["entity_rate"]),
             "number": float(cfg["number_rate"])}

    cands = [(_candidates(text, rng) if lang == "en" else []) for text, lang, _ in lines]
    plans = [[c for c in cs if rng.random() < rates[c.type]] for cs in cands]
    fired = {c.key for plan in plans for c in plan}
    for cs, plan in zip(cands, plans):
        for c in cs:
            if c.key not in fired and rates[c.type] > 0:
                plan.append(c)
                fired.add(c.key)

    rep = cfg.get("repetition")
    if rep:
        eligible = [i for i, (text, lang, _) in enumerate(lines) if lang == "en" and len(text.split()) >= 20]
        if eligible:
            i = rng.choice(eligible)
            text = lines[i][0]
            bounds = [m.end() for m in re.finditer(r"[.?!] (?=[A-Z])", text)
                      if not any(c.start < m.end() < c.end for c in plans[i])]
            if bounds:
                at = rng.choice(bounds)
                n = rng.randint(int(rep["min"]), int(rep["max"]))
                phrase = str(rep["phrase"])
                loop = ", ".join([phrase.capitalize()] + [phrase] * (n - 1)) + ". "
                plans[i].append(_Change(at, at, "repetition", loop, "repetition"))

    paragraphs: list[str] = []
    defects: list[tuple[int | None, str, str, str, int, int]] = []  # line, type, wrong, right, start, end
    for i, (text, lang, mt) in enumerate(lines):
        if lang != "en":
            if mt and cfg.get("machine_translation", True):
                mt = " ".join(mt.split())
                paragraphs.append(mt)
                defects.append((i, "machine_translation", mt, text, 0, len(mt)))
            else:
                paragraphs.append(text)
            continue
        out, pos = [], 0
        for c in sorted(plans[i], key=lambda c: (c.start, c.end)):
            out.append(text[pos:c.start])
            at = sum(len(s) for s in out)
            out.append(c.new)
            defects.append((i, c.type, c.new.strip(), text[c.start:c.end], at, at + len(c.new.rstrip())))
            pos = c.end
        out.append(text[pos:])
        paragraphs.append("".join(out))

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
    return paragraphs, result
