"""Controls of a synthetic call: phrases really spoken that look like vendor errors ("Google Cloud"
said of a competitor, "revenue growth margin trade-off"). A correction keeps a control when no
applied edit touches its span and its paragraph still says it as often as the vendor text did."""
from __future__ import annotations

import json
import re
from pathlib import Path

from callfix.errors import InputError
from callfix.model import Transcript


def read_controls(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        return []  # a call without controls
    try:
        items = json.loads(p.read_text(encoding="utf-8"))["controls"]
        for c in items:
            c["id"], c["paragraph"], c["text"], c["char_start"], c["char_end"]  # noqa: B018 - shape check
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{p}: not a controls list ({e.__class__.__name__}: {e})") from None
    return items


def _count(text: str, phrase: str) -> int:
    return len(re.findall(r"(?<![\w-])" + re.escape(phrase) + r"(?![\w-])", text, re.I))


def controls_kept(controls: list[dict], corrected: Transcript) -> dict:
    """{"n", "kept", "changed": [{id, text, by: [edit ids]}]} for a corrected transcript
    (transcript.json of `callfix run`: vendor paragraphs with their edits)."""
    changed = []
    for c in controls:
        if not 0 <= c["paragraph"] < len(corrected.paragraphs):
            raise InputError(f"control {c['id']}: paragraph {c['paragraph']} not in the corrected transcript")
        p = corrected.paragraphs[c["paragraph"]]
        text = p.corrected if p.corrected is not None else p.text
        by = [e.id for e in corrected.edits if e.paragraph == p.index and e.decision == "applied"
              and e.char_start < c["char_end"] and c["char_start"] < max(e.char_end, e.char_start + 1)]
        if by or _count(text, c["text"]) < _count(p.text, c["text"]):
            changed.append({"id": c["id"], "text": c["text"], "by": by})
    return {"n": len(controls), "kept": len(controls) - len(changed), "changed": changed}
