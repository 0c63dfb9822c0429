"""Domain glossaries: canonical terms and names, and known confusions (wrong form -> right form)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from callfix.config import CONFIG_DIR, read_yaml
from callfix.errors import InputError

GLOSSARY_DIR = CONFIG_DIR / "glossaries"
COMPANY_DIR = GLOSSARY_DIR / "companies"


@dataclass
class Glossary:
    terms: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    confusions: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    # Spellings drawn from the vendor text itself: weighed against the audio, never a witness.
    candidates: list[str] = field(default_factory=list)
    company: str | None = None
    aliases: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)  # the call's company and its firms' names
    # Trusted spellings too many for a decoder prompt (the sell-side firms whose analysts ask
    # questions): witnesses and candidates, not hotwords.
    firms: list[str] = field(default_factory=list)
    # Terms a call's vendor text never mentions, in any listed form: not decoder hotwords. A prompt
    # of terms nobody says ("IaaS" on a biotech call) is what Whisper repeats over noisy phone speech.
    unmentioned: list[str] = field(default_factory=list)

    def hotwords(self) -> list[str]:
        """Spellings worth biasing a decoder towards, rarest first: the company's own terms, full
        names, the domain's terms, then one-word names (the prompt holds only the first few)."""
        seen: dict[str, None] = {}
        full = [n for n in self.names if " " in n.strip() and not n.startswith(("Mr.", "Ms.", "Dr."))]
        terms = [t for t in self.terms if t not in self.unmentioned]
        for w in [*self.priority, *full, *terms, *self.names]:
            seen.setdefault(w, None)
        return list(seen)

    def canonical(self) -> list[str]:
        """Every canonical spelling (terms, names and confusion targets), longest first."""
        out = {*self.terms, *self.names, *self.firms, *self.confusions.values()}
        return sorted(out, key=lambda s: (-len(s), s))


def _resolve(name: str) -> Path:
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    shared = GLOSSARY_DIR / f"{name}.yaml"
    return shared if shared.is_file() or not (COMPANY_DIR / f"{name}.yaml").is_file() else COMPANY_DIR / f"{name}.yaml"


def load_glossary(name_or_path: str) -> Glossary:
    p = _resolve(str(name_or_path))
    if not p.is_file():
        known = ", ".join(sorted(q.stem for q in [*GLOSSARY_DIR.glob("*.yaml"), *COMPANY_DIR.glob("*.yaml")]))
        raise InputError(f"{p}: glossary not found (known names: {known})")
    data = read_yaml(p)
    if not isinstance(data, dict):
        raise InputError(f"{p}: a glossary is a mapping with lists 'terms', 'names' and a mapping 'confusions'")
    terms, names, conf = data.get("terms") or [], data.get("names") or [], data.get("confusions") or {}
    aliases, firms = data.get("aliases") or [], data.get("firms") or []
    if not all(isinstance(x, list) for x in (terms, names, aliases, firms)) or not isinstance(conf, dict):
        raise InputError(f"{p}: glossary needs lists 'terms', 'names', 'firms' and a mapping 'confusions'")
    return Glossary(
        terms=[str(t) for t in terms],
        names=[str(n) for n in names],
        confusions={str(k): str(v) for k, v in conf.items()},
        sources=[str(p)],
        company=str(data["company"]) if data.get("company") else None,
        aliases=[str(a) for a in aliases],
        firms=[str(f) for f in firms],
        priority=[str(t) for t in terms] if data.get("company") else [],
    )


def company_glossaries(text: str, folder: Path = COMPANY_DIR) -> list[str]:
    """Company glossaries whose company name or an alias the text names (whole words, any case)."""
    low = text.lower()
    out = []
    for p in sorted(folder.glob("*.yaml")):
        g = load_glossary(str(p))
        keys = [k for k in [g.company, *g.aliases] if k]
        if any(re.search(r"(?<!\w)" + re.escape(k.lower()) + r"(?!\w)", low) for k in keys):
            out.append(str(p))
    return out


def load_glossaries(names_or_paths: list[str] | None) -> Glossary:
    """Merge glossaries in order; a later confusion entry overrides an earlier one."""
    return merged(*(load_glossary(n) for n in names_or_paths or []))


def merged(*glossaries: Glossary) -> Glossary:
    """Glossaries in order: spellings once each, a later confusion entry over an earlier one."""
    out = Glossary()
    for g in glossaries:
        out.terms += [t for t in g.terms if t not in out.terms]
        out.names += [t for t in g.names if t not in out.names]
        out.candidates += [t for t in g.candidates if t not in out.candidates]
        out.priority += [t for t in g.priority if t not in out.priority]
        out.firms += [t for t in g.firms if t not in out.firms]
        out.unmentioned += [t for t in g.unmentioned if t not in out.unmentioned]
        out.confusions.update(g.confusions)
        out.sources += g.sources
    return out
