"""The editor's decisions file: which transcript it belongs to, a choice per edit, and speaker fixes.

```
{"transcript": "<id>",
 "decisions": {"<edit id>": "accept" | "reject" | {"decision": "accept", "text": "the editor's own text"}},
 "speakers": {"SPEAKER_02": "Zou Tao", "NEW_1": "Jane Doe"},      # optional: rename or add speakers
 "paragraph_speakers": {"12": "SPEAKER_03"}}                     # optional: who speaks a paragraph
```
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from callfix.errors import InputError
from callfix.model import Transcript
ACCEPT, REJECT = "accept", "reject"
CHOICES = (ACCEPT, REJECT)
MAX_TEXT = 20_000  # an editor's replacement: a long paragraph, not a file
MAX_NAME = 200
SPEAKER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass
class Review:
    """What an editor decided: accept/reject per edit, their own text for some, speaker fixes."""

    choices: dict[str, str] = field(default_factory=dict)  # edit id -> "accept" | "reject"
    texts: dict[str, str] = field(default_factory=dict)  # edit id -> the editor's replacement (accepted)
    speakers: dict[str, str] = field(default_factory=dict)  # speaker id -> name (renamed or new)
    paragraph_speakers: dict[int, str] = field(default_factory=dict)  # paragraph index -> speaker id

    @classmethod
    def of(cls, value: "Review | dict[str, str] | None") -> "Review":
        """A plain ``{edit id: "accept"|"reject"}`` mapping is a review with choices only."""
        if isinstance(value, Review):
            return value
        return cls(choices=dict(value or {}))


def transcript_id(t: Transcript) -> str:
    """Stable id of a transcript's text and candidate edits.

    Decisions are stored in the browser and checked on apply under this id: if a re-run changes the
    paragraphs or the edits, old decisions no longer match and are not silently applied.
    """
    if t.meta.get("id"):
        return str(t.meta["id"])
    h = hashlib.sha256()
    for p in t.paragraphs:
        h.update(f"p{p.index}\x1f{p.text}\x1e".encode())
    for e in t.edits:
        h.update(f"e{e.id}\x1f{e.paragraph}\x1f{e.char_start}\x1f{e.char_end}\x1f{e.vendor}\x1f{e.replacement}\x1e".encode())
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(t.audio).stem)[:40] if t.audio else "transcript"
    return f"{stem}-{h.hexdigest()[:12]}"


def known_speakers(t: Transcript) -> list[str]:
    ids = [s.id for s in t.speakers]
    for p in t.paragraphs:
        ids += [s for s in p.speakers if s not in ids]
    for e in t.edits:
        if e.speaker and e.speaker not in ids:
            ids.append(e.speaker)
    return ids


def load_decisions(path: str | Path, t: Transcript, transcript_path: str | Path = "transcript.json") -> Review:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise InputError(f"{p}: not a decisions file (JSON nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), dict) or "transcript" not in data:
        raise InputError(f'{p}: expected {{"transcript": id, "decisions": {{edit id: "accept"|"reject"}}}}')
    want = transcript_id(t)
    if data["transcript"] != want:
        raise InputError(f"{p}: decisions are for transcript {data['transcript']!r}, but {transcript_path} is {want!r}")
    known = {e.id for e in t.edits}
    unknown = [k for k in data["decisions"] if k not in known]
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise InputError(f"{p}: unknown edit id(s) {', '.join(map(repr, unknown[:5]))}{more}")
    review = Review()
    for k, v in data["decisions"].items():
        choice, text = _decision(p, k, v)
        review.choices[k] = choice
        if text is not None:
            review.texts[k] = text
    review.speakers = _speakers(p, data.get("speakers", {}))
    review.paragraph_speakers = _paragraph_speakers(p, data.get("paragraph_speakers", {}), t,
                                                    set(known_speakers(t)) | set(review.speakers))
    return review


def _decision(p: Path, k: str, v) -> tuple[str, str | None]:
    if v in CHOICES:
        return v, None
    if isinstance(v, dict) and v.get("decision") in CHOICES and set(v) <= {"decision", "text"}:
        text = v.get("text")
        if text is None:
            return v["decision"], None
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise InputError(f"{p}: edit {k!r} has a text that is not a string of at most {MAX_TEXT} characters")
        if v["decision"] != ACCEPT:
            raise InputError(f"{p}: edit {k!r} is rejected but carries a text; an own text goes with \"accept\"")
        return ACCEPT, text
    raise InputError(f"{p}: edit {k!r} has decision {v!r}; expected \"accept\", \"reject\" "
                     f"or {{\"decision\": \"accept\", \"text\": ...}}")


def _speakers(p: Path, raw) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InputError(f'{p}: "speakers" must map speaker ids to names')
    out = {}
    for sid, name in raw.items():
        if not SPEAKER_ID.fullmatch(sid):
            raise InputError(f"{p}: speaker id {sid!r} is not a label like SPEAKER_02")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or "\n" in name:
            raise InputError(f"{p}: speaker {sid!r} needs a one-line name of at most {MAX_NAME} characters")
        out[sid] = name.strip()
    return out


def _paragraph_speakers(p: Path, raw, t: Transcript, speakers: set[str]) -> dict[int, str]:
    if not isinstance(raw, dict):
        raise InputError(f'{p}: "paragraph_speakers" must map paragraph numbers to speaker ids')
    paragraphs = {q.index for q in t.paragraphs}
    out = {}
    for k, sid in raw.items():
        if not (isinstance(k, str) and k.isdigit() and int(k) in paragraphs):
            raise InputError(f"{p}: paragraph {k!r} does not exist in the transcript")
        if sid not in speakers:
            raise InputError(f"{p}: paragraph {k} is given speaker {sid!r}, which is neither in the transcript "
                             f"nor named under \"speakers\"")
        out[int(k)] = sid
    return out
