"""Speaker names and roles from what is said: introductions, hand-overs, the operator's script.

Cues are read from the speaker-labelled ASR words and, when present, from the vendor paragraphs
(tokens carry the speaker aligned to them). Each cue votes for (cluster, name); every cluster's
strongest supported name wins, a name goes to one cluster only, and a cluster without a cue keeps
its SPEAKER_xx id. A name is only ever taken from the text or the participant list.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from callfix.turns import exclusive_turns
from callfix.model import Speaker, Transcript, Turn

_CAP = r"(?:[A-Z]\.|[A-Z][\w'\-]*)"  # "J." initials; a full stop never joins two sentences
NAME = rf"(?P<name>{_CAP}(?:\s+{_CAP}){{0,3}})"
_ORGW = r"[A-Z](?:[\w&'\-]|\.(?=\w))*"  # "J.P." but not "Citi."
ORG_BODY = rf"(?:{_ORGW}(?:\s+(?:{_ORGW}|&|and|of|de)){{0,5}})"
ORG = rf"(?P<org>{ORG_BODY})"
ROLE_BODY = (
    r"(?i:(?:senior\s+|executive\s+)?vice\s+president(?:\s+of\s+[\w ]+?)?|chief\s+\w+(?:\s+\w+)?\s+officer"
    r"|CEO|CFO|COO|CTO|chairman(?:\s+of\s+the\s+board)?|chairwoman|president|founder"
    r"|(?:senior\s+)?director\s+of\s+investor\s+relations|head\s+of\s+investor\s+relations"
    r"|investor\s+relations\s+(?:director|manager)|IR\s+(?:director|manager))"
)
ROLE = rf"(?P<role>{ROLE_BODY})"
TITLE = r"(?:(?:Mr|Ms|Mrs|Miss|Dr|Prof)\.?\s+)?"

OPERATOR_INTRO = re.compile(
    rf"(?i:question)s?\s+(?i:comes|come|is\s+coming|will\s+come)\s+(?i:from)\s+(?:(?i:the\s+line\s+of)\s+)?"
    rf"{TITLE}{NAME}(?:\s*,?\s+(?i:from|with|of|at)\s+{ORG})?"
)
SELF_INTRO = re.compile(
    rf"(?:^|[.!?,]\s+|\b(?i:hi|hello|yes|good\s+morning|good\s+evening|good\s+afternoon),?\s+)"
    rf"(?:(?i:I'm|I\s+am|this\s+is|my\s+name\s+is))\s+{TITLE}{NAME}"
    rf"(?:\s*,?\s*(?:(?i:the|our)\s+)?{ROLE}(?:\s+(?i:of|at)\s+{ORG})?|\s+(?i:from|with|of|at)\s+(?P<org2>{ORG_BODY}))?"
)
HANDOVER = re.compile(
    rf"(?:\b(?i:pass|hand|turn)\s+(?:(?i:the\s+(?:call|conference|floor|line|time|meeting)|it)\s+)?(?i:over\s+|back\s+)?(?i:to)"
    rf"|(?i:(?:my\s+)?pleasure\s+to\s+introduce|please\s+welcome|now\s+introduce))\s+"
    rf"(?:(?i:your\s+(?:speaker|host|presenter)(?:\s+for)?\s+today),?\s+)?"
    rf"(?:(?i:our|the)\s+)?(?:{ROLE}\s*,?\s+)?{TITLE}{NAME}"
    rf"(?:\s*,\s*(?:(?i:our|the)\s+)?(?P<role2>{ROLE_BODY})(?:\s+(?i:of|at)\s+{ORG})?)?"
)
OPERATOR_STRONG = re.compile(
    r"(?i:thank\s+you\s+for\s+standing\s+by|your\s+line\s+is\s+(?:now\s+)?open|comes?\s+from\s+the\s+line\s+of"
    r"|(?:next|first|last|final)\s+question\s+(?:comes|is\s+coming|will\s+come)|question[- ]and[- ]answer\s+session"
    r"|press\s+(?:star|\*)\s*(?:one|1)|(?:this|today's)\s+conference\s+(?:call\s+)?is\s+(?:being\s+)?recorded"
    r"|that\s+(?:does\s+)?conclude[sd]?\s+(?:today's|the|our)\s+conference)"
)
# Capitalised words a pattern may grab that are not person names.
NOT_NAMES = {
    "operator", "everyone", "everybody", "all", "the", "our", "we", "i", "it", "this", "that", "thank", "thanks",
    "good", "hello", "hi", "yes", "ok", "okay", "management", "ladies", "gentlemen", "q", "question", "call",
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "first", "second", "third", "fourth", "next", "last", "final", "so", "and", "now",
}

NEXT_WITHIN = 30.0  # seconds from a cue to the introduced speaker's first turn

WEIGHT = {"self": 3.0, "vendor-label": 2.5, "operator-intro": 2.0, "handover": 2.0}


@dataclass
class Utterance:
    speaker: str
    text: str
    start: float | None
    source: str  # "asr" | "vendor"
    language: str = "en"
    times: list[tuple[int, float]] = field(default_factory=list)  # (char offset in text, start time) per word

    def add(self, word: str, start: float | None) -> None:
        offset = len(self.text) + 1 if self.text else 0
        self.text = f"{self.text} {word}" if self.text else word
        if start is not None:
            self.times.append((offset, start))

    def time_at(self, char: int) -> float | None:
        """Start time of the word at character ``char`` of the normalised text."""
        best = self.start
        for off, t in self.times:
            if off > char:
                break
            best = t
        return best


@dataclass
class Claim:
    name: str
    weight: float
    evidence: str
    role: str | None = None
    org: str | None = None


@dataclass
class _Votes:
    claims: list[Claim] = field(default_factory=list)
    operator: list[str] = field(default_factory=list)
    interpreting: list[str] = field(default_factory=list)


def _clean_name(raw: str | None) -> str | None:
    if not raw:
        return None
    words = [w.strip(".,'") for w in raw.split()]
    while words and words[-1].lower().rstrip("'s") in NOT_NAMES | {"from", "with", "of", "at"}:
        words.pop()
    while words and words[0].lower() in NOT_NAMES:
        words.pop(0)
    # "I'm Jinshan Cloud's CEO": a possessive inside the phrase names a company's role, not a person
    if any(w.endswith("'s") for w in words[:-1]) or any(re.fullmatch(ROLE_BODY, w) for w in words):
        return None
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    if not words or any(not w[:1].isupper() for w in words):
        return None
    return " ".join(words)


def _clean_org(raw: str | None) -> str | None:
    if not raw:
        return None
    words = raw.split()
    while words and (words[-1].lower() in {"and", "of", "de", "&"} or words[-1].lower().strip(".") in NOT_NAMES):
        words.pop()
    org = " ".join(words).strip(" .,")
    return org or None


def _role(m: re.Match, *groups: str) -> str | None:
    for g in groups:
        try:
            v = m.group(g)
        except IndexError:
            continue
        if v:
            v = " ".join(v.split())
            return v.upper() if v.lower() in {"ceo", "cfo", "coo", "cto"} else v[:1].upper() + v[1:]
    return None


def utterances_from_words(t: Transcript) -> list[Utterance]:
    out: list[Utterance] = []
    # A segment the ASR flagged as likely made up gives no naming cue (a hallucinated "I'm …").
    for w in (w for seg in t.segments if not seg.suspect for w in seg.words):
        if not w.speaker:
            continue
        if not (out and out[-1].speaker == w.speaker and out[-1].source == "asr" and out[-1].language == w.language):
            out.append(Utterance(w.speaker, "", w.start, "asr", w.language))
        for part in w.text.split():
            out[-1].add(part, w.start)
    return out


def utterances_from_paragraphs(t: Transcript) -> list[Utterance]:
    out: list[Utterance] = []
    for p in t.paragraphs:
        if p.tokens and any(tok.speaker for tok in p.tokens):
            last = None
            for tok in p.tokens:
                spk = tok.speaker or last
                last = spk
                if not spk:
                    continue
                if not (out and out[-1].speaker == spk and out[-1].source == "vendor"):
                    out.append(Utterance(spk, "", tok.start, "vendor", p.language))
                for part in tok.text.split():
                    out[-1].add(part, tok.start)
        elif p.speakers:
            if not (out and out[-1].speaker == p.speakers[0] and out[-1].source == "vendor"):
                out.append(Utterance(p.speakers[0], "", p.start, "vendor", p.language))
            for part in p.text.split():
                out[-1].add(part, None)
    return out


def _next_speaker(utts: list[Utterance], i: int, max_ahead: int = 6, at: float | None = None,
                  turns: list[Turn] | None = None) -> Utterance | None:
    """Who speaks next after utterance i. With the diarization turns and the cue's time, the first
    turn of another speaker after the cue decides: ASR may time a line late or drop the answer."""
    if turns and at is not None:
        for tr in turns:
            if tr.start > at and tr.speaker != utts[i].speaker and tr.end - tr.start >= 0.5:
                if tr.start - at > NEXT_WITHIN:
                    break
                return Utterance(tr.speaker, "", tr.start, "turns")
    for u in utts[i + 1: i + 1 + max_ahead]:
        if u.speaker != utts[i].speaker:
            return u
    return None


def _where(u: Utterance) -> str:
    at = f" at {u.start:.1f}s" if u.start is not None else ""
    return f"{u.source}{at}"


def _quote(m: re.Match) -> str:
    return " ".join(m.group(0).split())


def collect_votes(utts: list[Utterance], votes: dict[str, _Votes], turns: list[Turn] | None = None) -> None:
    for i, u in enumerate(utts):
        text = " ".join(u.text.split())
        for m in OPERATOR_STRONG.finditer(text):
            votes[u.speaker].operator.append(f'{_where(u)}: "{_quote(m)}"')
        for m in OPERATOR_INTRO.finditer(text):
            name = _clean_name(m.group("name"))
            nxt = _next_speaker(utts, i, at=u.time_at(m.start()), turns=turns)
            if name and nxt:
                votes[nxt.speaker].claims.append(Claim(
                    name, WEIGHT["operator-intro"],
                    f'introduced by the previous speaker ({_where(u)}): "{_quote(m)}"', org=_clean_org(m.group("org"))))
        for m in HANDOVER.finditer(text):
            name = _clean_name(m.group("name"))
            nxt = _next_speaker(utts, i, at=u.time_at(m.start()), turns=turns)
            if name and nxt:
                votes[nxt.speaker].claims.append(Claim(
                    name, WEIGHT["handover"], f'handed over to ({_where(u)}): "{_quote(m)}"',
                    role=_role(m, "role", "role2"), org=_clean_org(m.group("org"))))
        # An interpreter speaks in the first person: "I am Zou Tao" right after another speaker's
        # Mandarin is the previous speaker's introduction, not the interpreter's.
        prev = utts[i - 1] if i else None
        interpreted = prev is not None and prev.speaker != u.speaker and prev.language != u.language
        for m in SELF_INTRO.finditer(text):
            name = _clean_name(m.group("name"))
            if not name:
                continue
            if interpreted:
                votes[prev.speaker].claims.append(Claim(
                    name, WEIGHT["handover"], f'interpreted self-introduction ({_where(u)}): "{_quote(m).lstrip(".,!? ")}"',
                    role=_role(m, "role"), org=_clean_org(m.group("org") or m.group("org2"))))
                votes[u.speaker].interpreting.append(f'interprets {prev.language} speech of {prev.speaker} ({_where(u)})')
            else:
                votes[u.speaker].claims.append(Claim(
                    name, WEIGHT["self"], f'self-introduction ({_where(u)}): "{_quote(m).lstrip(".,!? ")}"',
                    role=_role(m, "role"), org=_clean_org(m.group("org") or m.group("org2"))))


def _participant_index(participants: list[dict] | None) -> list[dict]:
    out = []
    for p in participants or []:
        if not isinstance(p, dict) or not str(p.get("name") or "").strip():
            continue
        aliases = [str(a) for a in (p.get("aliases") or [])]
        out.append({**p, "name": str(p["name"]).strip(), "_keys": [str(p["name"]).strip(), *aliases]})
    return out


def resolve(name: str, participants: list[dict]) -> dict | None:
    """The participant a spoken name refers to: full name or alias, a unique first/last name, or a
    close spelling (ASR renders Chinese names loosely)."""
    low = name.lower()
    for p in participants:
        if any(low == k.lower() for k in p["_keys"]):
            return p
    tokens = set(low.split())
    hits = [p for p in participants if any(tokens & set(k.lower().split()) for k in p["_keys"])
            and len(tokens) == 1]
    if len(hits) == 1:
        return hits[0]
    scored = sorted(((max(fuzz.ratio(low, k.lower()) for k in p["_keys"]), i) for i, p in enumerate(participants)),
                    reverse=True)
    if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 5):
        return participants[scored[0][1]]
    return None


def name_speakers(t: Transcript, participants: list[dict] | None = None) -> list[Speaker]:
    """One Speaker per cluster, named where cues support it; also stored in ``t.speakers``."""
    ids = sorted({x.speaker for x in t.turns} | {w.speaker for w in t.words if w.speaker}
                 | {s for p in t.paragraphs for s in p.speakers})
    votes: dict[str, _Votes] = defaultdict(_Votes)
    excl = exclusive_turns(t.turns)
    collect_votes(utterances_from_words(t), votes, excl)
    collect_votes(utterances_from_paragraphs(t), votes, excl)
    for p in t.paragraphs:  # "Brian Gong: ..." labels in the vendor text
        label = _clean_name(p.speaker) if p.speaker else None
        if label and p.speakers and label.lower() != "operator":
            votes[p.speakers[0]].claims.append(Claim(label, WEIGHT["vendor-label"], f'vendor label "{p.speaker}" on paragraph {p.index}'))
        elif p.speaker and p.speaker.strip().lower() == "operator" and p.speakers:
            votes[p.speakers[0]].operator.append(f'vendor label "Operator" on paragraph {p.index}')
    people = _participant_index(participants)

    # Score each (cluster, canonical name); a participant match canonicalises short names.
    best: dict[str, tuple[float, str, list[Claim], dict | None]] = {}
    for spk in ids:
        totals: dict[str, list] = {}
        for c in votes[spk].claims:
            p = resolve(c.name, people) if people else None
            key = p["name"] if p else c.name
            entry = totals.setdefault(key, [0.0, [], p])
            entry[0] += c.weight
            entry[1].append(c)
        if totals:
            key, (score, claims, p) = max(totals.items(), key=lambda kv: (kv[1][0], len(kv[0])))
            best[spk] = (score, key, claims, p)

    # A name belongs to one cluster: the one with the strongest support keeps it.
    owner: dict[str, str] = {}
    for spk, (score, key, _, _) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        owner.setdefault(key.lower(), spk)

    speakers = []
    for spk in ids:
        s = Speaker(spk)
        if spk in best and owner.get(best[spk][1].lower()) == spk:
            score, key, claims, p = best[spk]
            s.name = key
            s.role = (p or {}).get("role") or next((c.role for c in claims if c.role), None)
            s.organization = (p or {}).get("organization") or next((c.org for c in claims if c.org), None)
            s.evidence = [c.evidence for c in claims]
            if p and p["name"] not in {c.name for c in claims}:
                s.evidence.append(f'"{claims[0].name}" matches participant "{p["name"]}"')
        op = votes[spk].operator
        if op and s.name is None:
            s.name, s.role = "Operator", "Operator"
            s.evidence = op[:5]
        elif votes[spk].interpreting and s.name is None:
            s.role = "Interpreter"  # a role, not a name: the label stays the cluster id
            s.evidence = votes[spk].interpreting[:5]
        speakers.append(s)
    _single_operator(speakers, votes)
    t.speakers = speakers
    return speakers


def _single_operator(speakers: list[Speaker], votes: dict[str, _Votes]) -> None:
    """Keep "Operator" on the cluster with the most operator phrases; others lose it."""
    ops = [s for s in speakers if s.role == "Operator" and s.name == "Operator"]
    if len(ops) <= 1:
        return
    keep = max(ops, key=lambda s: (len(votes[s.id].operator), s.id))
    for s in ops:
        if s is not keep:
            s.name = s.role = None
            s.evidence = []
