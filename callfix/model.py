"""The one data model every stage reads and writes.

Plain dataclasses with a JSON round-trip: ``Transcript.load(path)`` / ``t.save(path)``.
Times are seconds from the start of the call audio.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args

from callfix.errors import InputError
from callfix.io.atomic import atomic_write_text

SCHEMA_VERSION = 1


@dataclass
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0
    language: str = "en"
    speaker: str | None = None


@dataclass
class Segment:
    text: str
    start: float
    end: float
    language: str = "en"
    words: list[Word] = field(default_factory=list)
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    suspect: bool = False  # the decoder likely made it up: kept as weak evidence, left out of ASR text outputs
    suspect_reason: str | None = None  # low_confidence, prompt_only, prompt_copy, repetitive, loop, too_fast, script


@dataclass
class Turn:
    """A diarization turn: one speaker label over one time span."""

    speaker: str
    start: float
    end: float


@dataclass
class Speaker:
    """An anonymous cluster label and, when cues name it, who it is."""

    id: str
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class Token:
    """One whitespace token of the vendor text, kept verbatim for rebuilding its layout."""

    text: str
    offset: int  # character offset inside its paragraph's text
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    matched: bool = False  # aligned to an identical ASR word


EditKind = Literal["replace", "delete", "insert", "resource"]  # resource: the Mandarin said, given beside
Decision = Literal["applied", "suggested", "kept"]
ParagraphFlag = Literal["machine_translation", "unverified", "not_in_audio"]
DECISIONS: tuple[Decision, ...] = get_args(Decision)


@dataclass
class Paragraph:
    index: int
    text: str  # the vendor's original paragraph text
    tokens: list[Token] = field(default_factory=list)
    speaker: str | None = None  # label given by the vendor ("Speaker: text") if any
    start: float | None = None
    end: float | None = None
    speakers: list[str] = field(default_factory=list)  # from audio evidence
    language: str = "en"  # language of the speech under this paragraph
    corrected: str | None = None  # text after applied edits
    source_text: str | None = None  # e.g. the Mandarin transcript beside a machine translation
    flags: list[ParagraphFlag] = field(default_factory=list)


@dataclass
class Edit:
    """One candidate correction of a vendor stretch, with its evidence and decision."""

    id: str
    paragraph: int
    kind: EditKind
    vendor: str  # vendor text of the stretch, verbatim
    replacement: str  # proposed text ("" for a deletion)
    decision: Decision
    char_start: int = 0  # offsets of `vendor` inside the paragraph text
    char_end: int = 0
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    language: str = "en"
    confidence: float = 0.0
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class Transcript:
    audio: str | None = None
    duration: float | None = None
    languages: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    speakers: list[Speaker] = field(default_factory=list)
    paragraphs: list[Paragraph] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    header: list[str] = field(default_factory=list)  # vendor lines before the body (disclaimer, date)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    def speaker_label(self, speaker_id: str | None) -> str | None:
        for s in self.speakers:
            if s.id == speaker_id:
                return s.label
        return speaker_id

    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema"] = SCHEMA_VERSION
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Transcript":
        d = dict(d)
        d.pop("schema", None)
        segs = [
            _build(Segment, {**s, "words": [_build(Word, w) for w in s.get("words", [])]})
            for s in d.pop("segments", [])
        ]
        paras = [
            _build(Paragraph, {**p, "tokens": [_build(Token, t) for t in p.get("tokens", [])]})
            for p in d.pop("paragraphs", [])
        ]
        return cls(
            segments=segs,
            paragraphs=paras,
            turns=[_build(Turn, t) for t in d.pop("turns", [])],
            speakers=[_build(Speaker, s) for s in d.pop("speakers", [])],
            edits=[_build(Edit, e) for e in d.pop("edits", [])],
            **{k: v for k, v in d.items() if k in _names(cls)},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Transcript":
        return cls.from_dict(json.loads(text))

    def save(self, path: str | Path) -> Path:
        return atomic_write_text(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> "Transcript":
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{p}: file not found")
        try:
            return cls.from_json(p.read_text(encoding="utf-8"))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            raise InputError(f"{p}: not a callfix transcript JSON ({e.__class__.__name__}: {e})") from None


def _names(cls) -> set[str]:
    return {f.name for f in fields(cls)}


def _build(cls, d: dict[str, Any]):
    # Ignore unknown keys so files written by a newer version still load.
    return cls(**{k: v for k, v in d.items() if k in _names(cls)})
