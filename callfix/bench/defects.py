"""How many of the defects injected into a synthetic vendor transcript a correction fixed.

defects.json (written by `callfix corpus synth`) lists each defect by vendor paragraph with its
wrong and right text. A corrected transcript keeps the vendor's paragraphs, so each defect is
checked in the paragraph of the same index.
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

from callfix.errors import InputError
from callfix.io.vendor import read_vendor
from callfix.model import Transcript
from callfix.text import cjk_char_share


def read_defects(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        items = data["defects"] if isinstance(data, dict) else data
        for d in items:
            d["paragraph"], d["type"], d["wrong"], d["right"]  # noqa: B018 - shape check
    except (ValueError, KeyError, TypeError) as e:
        raise InputError(f"{p}: not a defects list ({e.__class__.__name__}: {e})") from None
    return items


def paragraphs_of(path: str | Path) -> list[dict]:
    """The hypothesis' paragraphs (text after correction, flags, source text), vendor order."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        t = Transcript.load(p)
        if not t.paragraphs:
            raise InputError(f"{p}: transcript has no paragraphs to check defects in")
        edits: dict[int, list] = defaultdict(list)
        for e in t.edits:
            if e.decision == "suggested":
                edits[e.paragraph].append(e)
        return [{"text": x.corrected if x.corrected is not None else x.text, "flags": list(x.flags),
                 "source_text": x.source_text, "suggested": edits.get(x.index, [])} for x in t.paragraphs]

    return [{"text": x.text, "flags": [], "source_text": None} for x in read_vendor(p).paragraphs]


def _count(text: str, s: str) -> int:
    if not s:
        return 0
    return len(re.findall(r"(?<![\w-])" + re.escape(s) + r"(?![\w-])", text))


def defect_recall(defects: list[dict], vendor_paras: list[dict], hyp_paras: list[dict]) -> dict:
    """Per defect type: injected and fixed. A substitution counts as fixed when the wrong form is
    gone from its paragraph and the right form has appeared in its place."""
    if len(vendor_paras) != len(hyp_paras):
        raise InputError(f"hypothesis has {len(hyp_paras)} paragraphs, the vendor text {len(vendor_paras)}: "
                         "defects are checked paragraph by paragraph")
    fixed_ids: set[str] = set()
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for d in defects:
        i = d["paragraph"]
        if not 0 <= i < len(hyp_paras):
            raise InputError(f"defect {d.get('id')}: paragraph {i} out of range")
        h, v = hyp_paras[i], vendor_paras[i]
        kind = d["type"]
        if kind == "not_in_audio":
            if "not_in_audio" in h["flags"] or _count(h["text"], d["wrong"]) < _count(v["text"], d["wrong"]):
                fixed_ids.add(d["id"])
        elif kind == "machine_translation":
            if cjk_char_share(h["text"]) > 0.5 or ("machine_translation" in h["flags"] and h["source_text"]
                                              and cjk_char_share(h["source_text"]) > 0.5):
                fixed_ids.add(d["id"])
        elif kind == "repetition":
            unit = d["wrong"].split(",")[0].strip().lower()
            if h["text"].lower().count(unit) <= max(2, v["text"].lower().count(unit) - d["wrong"].lower().count(unit)):
                fixed_ids.add(d["id"])
        else:
            groups[(i, d["wrong"], d["right"])].append(d)
    for (i, wrong, right), ds in groups.items():
        h, v = hyp_paras[i]["text"], vendor_paras[i]["text"]
        gone = _count(v, wrong) - _count(h, wrong)
        came = _count(h, right) - _count(v, right)
        for d in ds[: max(0, min(gone, came))]:
            fixed_ids.add(d["id"])
    suggested_ids = {d["id"] for d in defects
                     if d["id"] not in fixed_ids and _suggested(d, hyp_paras[d["paragraph"]].get("suggested") or [])}
    by_type: dict[str, dict] = {}
    for d in defects:
        b = by_type.setdefault(d["type"], {"injected": 0, "fixed": 0, "suggested": 0})
        b["injected"] += 1
        b["fixed"] += d["id"] in fixed_ids
        b["suggested"] += d["id"] in suggested_ids
    n = len(defects)
    return {"injected": n, "fixed": len(fixed_ids), "suggested": len(suggested_ids),
            "recall": len(fixed_ids) / n if n else None, "by_type": by_type,
            "fixed_ids": sorted(fixed_ids), "suggested_ids": sorted(suggested_ids)}


def _suggested(d: dict, edits: list) -> bool:
    """An edit left for the editor covers the defect and proposes the right text (or its removal)."""
    for e in edits:
        if e.char_end <= d["char_start"] or e.char_start >= max(d["char_end"], d["char_start"] + 1):
            continue
        if d["type"] == "machine_translation":
            return e.kind == "resource" or cjk_char_share(e.replacement) > 0.5
        if not d["right"]:
            return not e.replacement.strip()
        if d["right"].lower() in e.replacement.lower():
            return True
    return False
