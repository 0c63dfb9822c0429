"""Benchmark many calls: a manifest lists each call's reference and hypotheses."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from callfix.config import read_yaml
from callfix.errors import InputError

FIELDS = ("id", "ref", "vendor", "asr", "hyp", "ref_rttm", "hyp_rttm", "defects", "ref_norm", "ref_tags")


def read_manifest(path: str | Path) -> list[dict]:
    """CSV (header row), JSON/JSONL or YAML list of {id, ref, vendor, asr, hyp, ref_rttm, hyp_rttm, defects};
    relative paths are relative to the manifest."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: manifest not found")
    text = p.read_text(encoding="utf-8-sig")
    suffix = p.suffix.lower()
    try:
        if suffix in (".yaml", ".yml"):
            data = read_yaml(p).get("calls") if text.lstrip().startswith("calls") else None
            if data is None:
                import yaml

                data = yaml.safe_load(text)
        elif suffix == ".jsonl":
            data = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        elif suffix == ".json":
            data = json.loads(text)
            data = data.get("calls", data) if isinstance(data, dict) else data
        else:
            data = list(csv.DictReader(text.splitlines()))
    except (ValueError, csv.Error) as e:
        raise InputError(f"{p}: cannot parse manifest ({e})") from None
    if not isinstance(data, list) or not data:
        raise InputError(f"{p}: manifest lists no calls")
    calls: list[dict] = []
    seen: set[str] = set()
    for i, row in enumerate(data, 1):
        if not isinstance(row, dict) or not row.get("ref"):
            raise InputError(f"{p}: entry {i}: needs at least 'ref'")
        unknown = set(row) - set(FIELDS)
        if unknown:
            raise InputError(f"{p}: entry {i}: unknown fields {sorted(unknown)} (known: {', '.join(FIELDS)})")
        call = {k: (str(p.parent / str(v)) if k != "id" and v and not Path(str(v)).is_absolute() else v)
                for k, v in row.items() if v not in (None, "")}
        call["id"] = str(row.get("id") or Path(str(row["ref"])).parent.name or f"call{i}")
        if call["id"] in seen:
            raise InputError(f"{p}: entry {i}: duplicate id {call['id']!r}")
        seen.add(call["id"])
        calls.append(call)
    return calls


def pooled(results: list[dict]) -> dict:
    """Corpus-level rates: errors summed over calls, divided by the summed reference length."""
    out: dict = {"call": f"{len(results)} calls", "reference": {}, "sources": {}, "calls": [r["call"] for r in results]}
    for key in ("scoring", "scoring_note"):
        if results and results[0].get(key):
            out[key] = results[0][key]
    for key in ("english_words", "chinese_chars", "mixed_tokens"):
        out["reference"][key] = sum(r["reference"].get(key, 0) for r in results)
    srcs: list[str] = []
    for r in results:
        srcs += [s for s in r["sources"] if s not in srcs]
    for s in srcs:
        agg: dict = {"calls": 0}
        for r in results:
            src = r["sources"].get(s)
            if not src:
                continue
            agg["calls"] += 1
            for m in ("wer", "wer_en", "cer_zh", "mer"):
                if src.get(m):
                    a = agg.setdefault(m, {"substitutions": 0, "deletions": 0, "insertions": 0, "hits": 0,
                                           "ref_tokens": 0, "hyp_tokens": 0})
                    for k in a:
                        a[k] += src[m].get(k, 0)
            for cls, e in (src.get("entities") or {}).items():
                a = agg.setdefault("entities", {}).setdefault(cls, {"substitutions": 0, "deletions": 0, "insertions": 0,
                                                                    "hits": 0, "ref_tokens": 0, "entities": 0})
                for k in a:
                    a[k] += e.get(k, 0)
            if src.get("defects"):
                dd = agg.setdefault("defects", {"injected": 0, "fixed": 0, "suggested": 0, "by_type": {}})
                for k in ("injected", "fixed", "suggested"):
                    dd[k] += src["defects"].get(k, 0)
                for t, b in src["defects"].get("by_type", {}).items():
                    tb = dd["by_type"].setdefault(t, {"injected": 0, "fixed": 0, "suggested": 0})
                    for k in tb:
                        tb[k] += b.get(k, 0)
            if src.get("terms"):
                t = agg.setdefault("terms", {"occurrences": 0, "correct": 0})
                t["occurrences"] += src["terms"]["occurrences"]
                t["correct"] += src["terms"]["correct"]
        for m in ("wer", "wer_en", "cer_zh", "mer", *(("entities", c) for c in agg.get("entities", {}))):
            a = agg["entities"][m[1]] if isinstance(m, tuple) else agg.get(m)
            if a is not None:
                a["errors"] = a["substitutions"] + a["deletions"] + a["insertions"]
                a["rate"] = a["errors"] / a["ref_tokens"] if a["ref_tokens"] else None
        if "terms" in agg:
            t = agg["terms"]
            t["accuracy"] = t["correct"] / t["occurrences"] if t["occurrences"] else None
        out["sources"][s] = agg
    return out
