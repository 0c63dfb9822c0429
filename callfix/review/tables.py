"""transcript.diff: the review for people who prefer a diff tool (edits.csv, for a spreadsheet: callfix/io/edits.py)."""
from __future__ import annotations

import difflib
from pathlib import Path

from callfix.io.atomic import atomic_write_text
from callfix.model import Transcript
from callfix.review.rebuild import rebuild_transcript

def transcript_diff(t: Transcript, editor: dict[str, str] | None = None, context: int = 1) -> str:
    """Unified diff, one paragraph per line, of the vendor text against the corrected text."""
    rebuilt = rebuild_transcript(t, editor)
    vendor = [p.text + "\n" for p in t.paragraphs]
    corrected = [
        (p.corrected if editor is None and p.corrected is not None else rebuilt[p.index].text) + "\n"
        for p in t.paragraphs
    ]
    return "".join(difflib.unified_diff(vendor, corrected, fromfile="vendor", tofile="corrected", n=context))


def write_diff(t: Transcript, path: str | Path, editor: dict[str, str] | None = None) -> Path:
    return atomic_write_text(path, transcript_diff(t, editor))
