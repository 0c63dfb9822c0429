"""Read references and hypotheses for scoring into utterances: callfix JSON, plain or vendor text, STM,
SegLST JSON, Rev Earnings-21/22 `.nlp` (speaker turns come from callfix/io/rttm.py)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from callfix.errors import InputError
from callfix.io.vendor import read_vendor
from callfix.model import Paragraph, Transcript, Turn
from callfix.text import cjk_char_share


@dataclass
class Utterance:
    text: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None


@dataclass
class Doc:
    path: str
    format: str
    utterances: list[Utterance]
    turns: list[Turn] = field(default_factory=list)
    speaker_names: dict[str, str] = field(default_factory=dict)  # id -> display name

    def speaker_turns(self) -> list[Turn]:
        """Diarization turns: the transcript's own, else its timed, speaker-labelled utterances."""
        if self.turns:
            return self.turns
        return [Turn(u.speaker, u.start, u.end) for u in self.utterances
                if u.speaker and u.start is not None and u.end is not None and u.end > u.start]

    @property
    def has_speakers(self) -> bool:
        return any(u.speaker for u in self.utterances)


def read_doc(path: str | Path) -> Doc:
    """A reference or hypothesis transcript in any supported format (detected from name and content)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    suffix = p.suffix.lower()
    if suffix == ".rttm":
        raise InputError(f"{p}: an RTTM file holds speaker turns, not words (pass it as --ref-rttm/--hyp-rttm)")
    try:
        raw = p.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None
    if not text.strip():
        raise InputError(f"{p}: empty file")
    return next(f for f in DOC_FORMATS if f.sniff(p, text)).read(p, text)


def _read_json(p: Path, text: str) -> Doc:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError(f"{p}: invalid JSON ({e})") from None
    if isinstance(data, list) or (isinstance(data, dict) and "segments" not in data and "paragraphs" not in data
                                  and any(isinstance(v, list) for v in data.values())):
        return read_seglst(p, data)
    if isinstance(data, dict):
        return from_transcript(Transcript.load(p), str(p))
    raise InputError(f"{p}: JSON is neither a callfix transcript nor SegLST")


def from_transcript(t: Transcript, path: str = "<transcript>") -> Doc:
    """Paragraphs (their corrected text when present) if the transcript has any, else ASR segments."""
    names = {s.id: s.label for s in t.speakers}
    if t.paragraphs:
        utts = [Utterance(paragraph_text(p), (p.speakers[0] if p.speakers else p.speaker), p.start, p.end)
                for p in t.paragraphs]
        fmt = "callfix-paragraphs"
    else:
        utts = [Utterance(s.text, s.speaker, s.start, s.end) for s in t.segments if not s.suspect]
        fmt = "callfix-segments"
    utts = [u for u in utts if u.text.strip()]
    if not utts:
        raise InputError(f"{path}: transcript has no text")
    return Doc(path, fmt, utts, list(t.turns), names)


def paragraph_text(p: Paragraph) -> str:
    """What the product says was spoken in a paragraph. A paragraph flagged as a machine translation
    of Mandarin speech counts as its Mandarin source text when the corrected text still holds the
    vendor's English (the product offers the source transcript beside the translation)."""
    text = p.corrected if p.corrected is not None else p.text
    if "machine_translation" in p.flags and p.source_text:
        if cjk_char_share(text) < 0.5:
            return p.source_text
    return text


def read_seglst(p: Path, data) -> Doc:
    rows = data if isinstance(data, list) else next(v for v in data.values() if isinstance(v, list))
    utts: list[Utterance] = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict) or "words" not in r:
            raise InputError(f"{p}: SegLST entry {i}: expected an object with 'words'")
        w = r["words"]
        utts.append(Utterance(" ".join(w) if isinstance(w, list) else str(w),
                              None if r.get("speaker") is None else str(r["speaker"]),
                              _num(r.get("start_time")), _num(r.get("end_time"))))
    utts.sort(key=lambda u: (u.start is None, u.start or 0.0))
    utts = [u for u in utts if u.text.strip()]
    if not utts:
        raise InputError(f"{p}: SegLST has no words")
    return Doc(str(p), "seglst", utts)


def read_stm(p: Path, text: str) -> Doc:
    utts: list[Utterance] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith(";;"):
            continue
        parts = line.split(None, 5)
        if len(parts) < 5:
            raise InputError(f"{p}: line {n}: expected 'file channel speaker start end [<label>] text'")
        try:
            start, end = float(parts[3]), float(parts[4])
        except ValueError:
            raise InputError(f"{p}: line {n}: start/end are not numbers") from None
        words = parts[5] if len(parts) == 6 else ""
        if words.startswith("<") and ">" in words:
            words = words.split(">", 1)[1]
        if "ignore_time_segment_in_scoring" in words.lower():
            continue
        utts.append(Utterance(words.strip(), parts[2], start, end))
    utts = [u for u in utts if u.text]
    if not utts:
        raise InputError(f"{p}: STM has no scored text")
    utts.sort(key=lambda u: u.start or 0.0)
    return Doc(str(p), "stm", utts)


def read_nlp(p: Path, text: str) -> Doc:
    """Rev's Earnings-21/22 format: `token|speaker|ts|endTs|punctuation|case|tags|wer_tags`, one token a line."""
    reader = csv.reader(io.StringIO(text), delimiter="|", quoting=csv.QUOTE_NONE)
    header = [h.strip().lower() for h in next(reader)]
    if header[:2] != ["token", "speaker"]:
        raise InputError(f"{p}: not a Rev .nlp file (first line must start with token|speaker)")
    col = {h: i for i, h in enumerate(header)}
    utts: list[Utterance] = []
    for n, row in enumerate(reader, 2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) < 2:
            raise InputError(f"{p}: line {n}: expected '|'-separated fields")
        tok = row[0].strip() + (row[col["punctuation"]] if "punctuation" in col and len(row) > col["punctuation"] else "")
        spk = row[1].strip() or None
        ts = _num(row[col["ts"]]) if "ts" in col and len(row) > col["ts"] else None
        te = _num(row[col["endts"]]) if "endts" in col and len(row) > col["endts"] else None
        if utts and utts[-1].speaker == spk:
            u = utts[-1]
            u.text += " " + tok
            u.end = te if te is not None else u.end
        else:
            utts.append(Utterance(tok, spk, ts, te))
    if not utts:
        raise InputError(f"{p}: .nlp file has no tokens")
    return Doc(str(p), "rev-nlp", utts)


def read_ctm(p: Path, text: str) -> Doc:
    """NIST CTM, `file channel start duration word [confidence]`: words joined into utterances at pauses."""
    words: list[tuple[float, float, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith(";;"):
            continue
        if len(parts) < 5:
            raise InputError(f"{p}: line {n}: expected 'file channel start duration word [confidence]'")
        try:
            start, dur = float(parts[2]), float(parts[3])
        except ValueError:
            raise InputError(f"{p}: line {n}: start/duration are not numbers") from None
        words.append((start, start + dur, parts[4]))
    if not words:
        raise InputError(f"{p}: CTM has no words")
    words.sort()
    utts: list[Utterance] = []
    for start, end, word in words:
        if utts and start - utts[-1].end <= CTM_PAUSE:
            u = utts[-1]
            u.text, u.end = f"{u.text} {word}", max(u.end, end)
        else:
            utts.append(Utterance(word, None, start, end))
    return Doc(str(p), "ctm", utts)


def _read_plain(p: Path) -> Doc:
    t = read_vendor(p)  # drops the vendor's disclaimer/date header, keeps "Speaker:" labels
    utts = [Utterance(par.text, par.speaker, par.start, par.end) for par in t.paragraphs if par.text.strip()]
    return Doc(str(p), "text", utts)


def _num(v) -> float | None:
    try:
        return None if v is None or str(v).strip() in ("", "NA", "<NA>") else float(v)
    except ValueError:
        return None


@dataclass(frozen=True)
class DocFormat:
    """One document format: ``sniff(path, text)`` says whether a file is in it, ``read(path, text)`` reads it.
    The first of DOC_FORMATS whose sniff says yes reads the file."""

    name: str
    sniff: Callable[[Path, str], bool]
    read: Callable[[Path, str], Doc]


CTM_PAUSE = 1.0  # seconds between two CTM words that start a new utterance

DOC_FORMATS = [
    DocFormat("json", lambda p, text: p.suffix.lower() == ".json" or text.lstrip()[:1] in "[{", _read_json),
    DocFormat("stm", lambda p, text: p.suffix.lower() == ".stm", read_stm),
    DocFormat("ctm", lambda p, text: p.suffix.lower() == ".ctm", read_ctm),
    DocFormat("nlp", lambda p, text: p.suffix.lower() == ".nlp"
              or text.split("\n", 1)[0].strip().lower().startswith("token|speaker"), read_nlp),
    DocFormat("text", lambda p, text: True, lambda p, text: _read_plain(p)),  # vendor layouts: callfix/io/vendor.py
]
