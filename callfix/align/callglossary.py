"""Each call's own glossary: the shared glossaries, the company's, and names found in the call.

Trusted spellings (shared and company glossaries, the participants file) are witnesses and decoder
hotwords. Spellings read from the vendor text itself (people the operator or IR introduces, the
company in the welcome line, capitalised phrases that recur) may carry the vendor's own errors, so
they are only candidates the audio weighs, never a witness on their own.
"""
from __future__ import annotations

import re
from collections import Counter

from callfix.align.glossary import Glossary, company_glossaries, load_glossaries, merged
from callfix.model import Transcript
from callfix.options import AlignOptions

_NAME = r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}"
_ORG = r"[A-Z][\w&'-]*(?:\.[A-Z][\w&'-]*)*(?:\s+[A-Z][\w&'-]*){0,3}"
_INTRO = [
    re.compile(rf"\b(?:Mr|Ms|Mrs|Dr)\.?\s+({_NAME})"),
    re.compile(rf"(?i:chief \w+ officer|CEO|CFO|COO|CTO|president|chairman|chairwoman|director)"
               rf",?\s+(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?({_NAME})"),
    re.compile(rf"\bI'?\s?a?m\s+({_NAME})"),
    re.compile(rf"\b(?:[Tt]his is|[Mm]y name is)\s+({_NAME})"),
]
_LINE_OF = re.compile(rf"(?:line of|comes from|question from|next question is from)\s+({_NAME})\s+(?:from|of|with|at)\s+({_ORG})")
_WELCOME = re.compile(rf"[Ww]elcome to\s+(?:the\s+)?({_ORG}?)(?:'s|\u2019s)?\s+(?:first|second|third|fourth|full|fiscal|Q[1-4]|\d{{4}}|annual|quarterly)")
_PHRASE = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2}\b")
_STOP = {"The", "This", "Thank", "Thanks", "Good", "Hello", "Please", "Our", "We", "And", "Welcome", "So", "Now",
         "Operator", "Doctor", "Professor", "Ladies", "Gentlemen", "Question", "Next", "First", "Yes", "Okay", "Hi", "In", "On", "As", "For"}


def people_and_companies(text: str) -> list[str]:
    """Names the call's own words introduce: people, their firms, the company in the welcome line,
    and capitalised phrases said at least twice."""
    found: list[str] = []
    for rx in _INTRO:
        found += [m.group(1) for m in rx.finditer(text)]
    for m in _LINE_OF.finditer(text):
        found += [m.group(1), m.group(2)]
    found += [m.group(1) for m in _WELCOME.finditer(text)]
    counts = Counter(m.group(0) for m in _PHRASE.finditer(text))
    found += [p for p, c in counts.items() if c >= 2]
    out: list[str] = []
    for f in found:
        f = re.sub(r"['\u2019]s$", "", f.strip(" .,")).strip(" .,'\u2019")
        words = f.split()
        while words and words[0] in _STOP:
            words = words[1:]
        f = " ".join(words)
        if len(f) >= 3 and f not in out:
            out.append(f)
    return out


def call_glossary(vendor: Transcript, shared: list[str] | None, participants: list[dict] | None = None,
                  companies: bool = True) -> Glossary:
    """The glossary one call is corrected with."""
    text = "\n".join(p.text for p in vendor.paragraphs)
    orgs = " ".join(str(p.get("organization") or "") for p in participants or [])
    names = list(shared or [])
    if companies:
        names += [g for g in company_glossaries(text + "\n" + orgs) if g not in names]
    gl = load_glossaries(names)
    people = Glossary(sources=["participants"] if participants else [])
    for p in participants or []:
        people.names += [str(x) for x in [p.get("name"), *(p.get("aliases") or [])] if x]
        if p.get("organization") and str(p["organization"]) not in people.terms:
            people.terms.append(str(p["organization"]))
            people.priority.append(str(p["organization"]))
    own = Glossary(sources=["vendor text"])
    known = {t.lower() for t in [*gl.canonical(), *people.names, *people.terms]}
    own.candidates = [n for n in people_and_companies(text) if n.lower() not in known]
    gl.unmentioned = unmentioned(gl, text)
    return merged(gl, people, own)


def unmentioned(gl: Glossary, text: str) -> list[str]:
    """The glossary's terms the text names neither as spelled nor in a listed confusion of them."""
    forms: dict[str, list[str]] = {t: [t] for t in gl.terms}
    for wrong, right in gl.confusions.items():
        forms.setdefault(right, [right]).append(wrong)
    return [t for t in gl.terms
            if not any(re.search(rf"(?<!\w){re.escape(f)}(?!\w)", text, re.IGNORECASE) for f in forms[t])]


def glossary_for(vendor: Transcript, acfg: AlignOptions, participants: list[dict] | None = None) -> Glossary:
    """``call_glossary`` as the ``align`` options ask for it (their glossaries, company_glossaries)."""
    return call_glossary(vendor, acfg.glossaries or [], participants, companies=acfg.company_glossaries)
