"""The editor's decisions file: which transcript it belongs to and accept/reject per edit.

``{"transcript": "<id>", "decisions": {"<edit id>": "accept" | "reject"}}``
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from callfix.errors import InputError
from callfix.model import Transcript
from callfix.review.rebuild import ACCEPT, REJECT

CHOICES = (ACCEPT, REJECT)


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


def load_decisions(path: str | Path, t: Transcript, transcript_path: str | Path = "transcript.json") -> dict[str, str]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
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
    bad = {k: v for k, v in data["decisions"].items() if v not in CHOICES}
    if bad:
        k, v = next(iter(bad.items()))
        raise InputError(f"{p}: edit {k!r} has decision {v!r}; expected \"accept\" or \"reject\"")
    return dict(data["decisions"])
