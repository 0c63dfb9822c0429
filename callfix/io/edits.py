"""The edits of a corrected call: edits.json (with the alignment summary) and edits.csv (for a spreadsheet)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path

from callfix.io.atomic import atomic_write_text
from callfix.model import Transcript


def edits_output(t: Transcript) -> str:
    return json.dumps({"summary": t.meta.get("align", {}), "edits": [asdict(e) for e in t.edits]},
                      ensure_ascii=False, indent=1)


CSV_FIELDS = [
    "id", "paragraph", "kind", "decision", "vendor", "replacement", "char_start", "char_end",
    "start", "end", "speaker", "speaker_name", "language", "confidence", "reason", "evidence",
]
_TEXT_FIELDS = {"vendor", "replacement", "reason", "evidence", "speaker_name", "speaker"}


def evidence_summary(ev: dict) -> str:
    """One line per edit: ``key=value; …`` with nested values as compact JSON."""
    parts = []
    for k, v in ev.items():
        if isinstance(v, float):
            v = f"{v:.3g}"
        elif isinstance(v, (dict, list)):
            v = json.dumps(v, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"{k}={v}")
    return "; ".join(parts)


def _cell(value: str) -> str:
    # A spreadsheet runs cells starting with these as formulas; transcript text must stay text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def edits_csv(t: Transcript) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\r\n")
    w.writeheader()
    for e in t.edits:
        row = {
            "id": e.id, "paragraph": e.paragraph, "kind": e.kind, "decision": e.decision,
            "vendor": e.vendor, "replacement": e.replacement, "char_start": e.char_start, "char_end": e.char_end,
            "start": "" if e.start is None else f"{e.start:.3f}", "end": "" if e.end is None else f"{e.end:.3f}",
            "speaker": e.speaker or "", "speaker_name": (t.speaker_label(e.speaker) or "") if e.speaker else "",
            "language": e.language, "confidence": f"{e.confidence:.3f}", "reason": e.reason,
            "evidence": evidence_summary(e.evidence),
        }
        w.writerow({k: _cell(str(v)) if k in _TEXT_FIELDS else v for k, v in row.items()})
    return buf.getvalue()


def write_edits_csv(t: Transcript, path: str | Path) -> Path:
    # BOM: spreadsheet programs otherwise read UTF-8 (Mandarin, accents) as a legacy code page.
    return atomic_write_text(path, "\ufeff" + edits_csv(t))
