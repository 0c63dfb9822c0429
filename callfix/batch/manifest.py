"""Batch manifests: one call per CSV row or JSONL line.

Columns / keys (paths are relative to the manifest's folder):
  audio (required), transcript (the vendor text, required), reference, id,
  languages ("en;zh"), glossary ("earnings;my-terms.yaml"), speakers (a count),
  participants (a JSON/YAML file, or inline "Name, Role, Organization; Name2, Role"),
  set (extra config overrides "asr.beam_size=1;align.apply_confidence=0.9", JSONL: a mapping).
"""
from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callfix import store
from callfix.config import CONFIG_DIR, load_yaml, read_yaml
from callfix.errors import InputError
from callfix.options import Options

ALIASES = {
    "audio": ("audio", "audio_path", "audio_file"),
    "transcript": ("transcript", "vendor", "vendor_transcript", "vendor_path", "text"),
    "reference": ("reference", "ref", "reference_path"),
    "id": ("id", "call_id", "name"),
    "languages": ("languages", "language", "langs"),
    "glossary": ("glossary", "glossaries"),
    "speakers": ("speakers", "num_speakers", "speaker_count"),
    "participants": ("participants",),
    "set": ("set", "config", "overrides"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class CallSpec:
    """One call of a batch, paths resolved against the manifest's folder."""

    id: str
    audio: Path
    transcript: Path
    reference: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)  # merged over the batch config
    participants: list[dict] | None = None
    line: int = 0  # manifest line, for messages
    problem: str | None = None  # what makes this one call fail (an unreadable participants file): the batch goes on

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "audio": str(self.audio),
            "transcript": str(self.transcript),
            "reference": str(self.reference) if self.reference else None,
            "overrides": self.overrides,
            "participants": self.participants,
            "line": self.line,
            "problem": self.problem,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CallSpec":
        return cls(
            id=d["id"],
            audio=Path(d["audio"]),
            transcript=Path(d["transcript"]),
            reference=Path(d["reference"]) if d.get("reference") else None,
            overrides=d.get("overrides") or {},
            participants=d.get("participants"),
            line=d.get("line", 0),
            problem=d.get("problem"),
        )


def load_manifest(path: str | Path) -> list[CallSpec]:
    """Read a CSV or JSONL manifest; InputError naming the file and line on any malformed row."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: manifest not found")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: manifest is not UTF-8 text") from None
    rows = _jsonl_rows(p, text) if _looks_jsonl(p, text) else _csv_rows(p, text)
    if not rows:
        raise InputError(f"{p}: manifest lists no calls")
    specs = [_spec(p, line, row) for line, row in rows]
    seen: dict[str, int] = {}
    for s in specs:
        if s.id in seen:
            raise InputError(f"{p}:{s.line}: call id '{s.id}' repeats line {seen[s.id]} (give an 'id' column)")
        seen[s.id] = s.line
    return specs


def _looks_jsonl(p: Path, text: str) -> bool:
    if p.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return True
    if p.suffix.lower() in (".csv", ".tsv"):
        return False
    return text.lstrip().startswith("{")


def _jsonl_rows(p: Path, text: str) -> list[tuple[int, dict]]:
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{p}:{n}: invalid JSON ({e.msg})") from None
        if not isinstance(row, dict):
            raise InputError(f"{p}:{n}: expected a JSON object per line")
        rows.append((n, row))
    return rows


def _csv_rows(p: Path, text: str) -> list[tuple[int, dict]]:
    dialect = csv.excel_tab if p.suffix.lower() == ".tsv" else csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames:
        return []
    reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames]
    known = {a for names in ALIASES.values() for a in names}
    unknown = [f for f in reader.fieldnames if f and f not in known]
    if unknown:
        raise InputError(f"{p}:1: unknown column(s) {', '.join(unknown)} (known: {', '.join(ALIASES)})")
    rows = []
    for row in reader:
        if row.get(None):
            raise InputError(f"{p}:{reader.line_num}: more fields than header columns")
        first = (next(iter(row.values()), "") or "").lstrip()
        if first.startswith("#") or not any((v or "").strip() for v in row.values()):
            continue  # comment or blank row
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}))
    return rows


def _get(row: dict, key: str) -> Any:
    for name in ALIASES[key]:
        v = row.get(name)
        if v not in (None, "", []):
            return v
    return None


def _spec(p: Path, line: int, row: dict) -> CallSpec:
    where = f"{p}:{line}"
    unknown = [k for k in row if k not in {a for names in ALIASES.values() for a in names}]
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(ALIASES)})")
    base = p.resolve().parent
    audio, vendor = _get(row, "audio"), _get(row, "transcript")
    if not audio:
        raise InputError(f"{where}: no audio path")
    if not vendor:
        raise InputError(f"{where}: no transcript path")
    ref = _get(row, "reference")
    cid = str(_get(row, "id") or Path(str(audio)).stem)
    safe = _UNSAFE.sub("_", cid).strip("._") or f"call-{line}"

    overrides: dict[str, Any] = {}
    langs = _get(row, "languages")
    if langs:
        overrides.setdefault("asr", {})["languages"] = _split(langs)
    gloss = _get(row, "glossary")
    if gloss:
        # a name under callfix/configs/glossaries stays a name; anything path-like is resolved here
        overrides.setdefault("align", {})["glossaries"] = [
            str(base / g) if ("/" in g or g.endswith((".yaml", ".yml"))) else g for g in _split(gloss)
        ]
    speakers = _get(row, "speakers")
    if speakers is not None:
        try:
            n = int(speakers)
        except (TypeError, ValueError):
            raise InputError(f"{where}: speakers must be a whole number, got '{speakers}'") from None
        if n < 1:
            raise InputError(f"{where}: speakers must be at least 1")
        overrides.setdefault("diarize", {})["num_speakers"] = n
    extra = _get(row, "set")
    if extra:
        overrides = _merge(overrides, _parse_set(where, extra))

    try:
        people, problem = _participants(where, base, _get(row, "participants")), None
    except InputError as e:  # the file one call names: that call fails, not the whole batch
        people, problem = None, str(e)
    return CallSpec(
        id=safe,
        audio=_path(base, audio),
        transcript=_path(base, vendor),
        reference=_path(base, ref) if ref else None,
        overrides=overrides,
        participants=people,
        line=line,
        problem=problem,
    )


def _path(base: Path, value: Any) -> Path:
    q = Path(os.path.expanduser(str(value)))  # unlike Path.expanduser, leaves '~nobody' as it is
    return q if q.is_absolute() else base / q


def _split(v: Any) -> list[str]:
    if isinstance(v, list):
        return [str(x).strip() for x in v if str(x).strip()]
    return [x for x in re.split(r"[;,|\s]+", str(v)) if x]


# What a manifest row may ``set``: the knobs of these sections, each checked by the typed options
# (callfix/options.py) as --set is. Knobs that name a file or a model take only the names listed here
# (a manifest must not be able to point a call at a checkpoint, a pipeline config or a token of its own);
# paths come through the glossary/participants columns, resolved against the manifest.
SETTABLE_SECTIONS = ("asr", "diarize", "align", "bench")
NAMED_ONLY = {
    ("asr", "model"): "store",
    ("diarize", "segmentation"): "store",
    ("diarize", "embedding"): "store",
    ("asr", "backend"): ("faster-whisper", "openai-whisper"),
    ("diarize", "pipeline"): ("callfix-default",),
    ("diarize", "embedding_runtime"): ("onnx", "torch"),
    ("asr", "device"): ("auto", "cpu", "cuda"),
    ("align", "glossaries"): "glossary",
}
NEVER = {("diarize", "hub_token")}


def _parse_set(where: str, v: Any) -> dict:
    if isinstance(v, dict):
        out = v
    else:
        out = {}
        for item in str(v).split(";"):
            if not item.strip():
                continue
            if "=" not in item:
                raise InputError(f"{where}: config override '{item.strip()}' is not KEY=VALUE")
            k, val = item.split("=", 1)
            node = out
            keys = k.strip().split(".")
            for key in keys[:-1]:
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    raise InputError(f"{where}: config override '{k.strip()}' sets a key twice")
            try:
                node[keys[-1]] = load_yaml(val, where)
            except InputError:
                raise InputError(f"{where}: config override '{item.strip()}' has an unreadable value") from None
    _check_settable(where, out)
    return out


@functools.lru_cache(maxsize=4)
def _known_names(rule: str) -> tuple[str, ...]:
    if rule == "store":
        return tuple(store.catalog())

    folder = CONFIG_DIR / "glossaries"
    return tuple(sorted(p.stem for p in [*folder.glob("*.yaml"), *(folder / "companies").glob("*.yaml")]))


def _check_settable(where: str, over: dict) -> None:
    for keys, value in _leaves(over):
        dotted = ".".join(map(str, keys))
        if keys[0] not in SETTABLE_SECTIONS or keys in NEVER:
            raise InputError(f"{where}: a manifest may not set '{dotted}' (only {', '.join(SETTABLE_SECTIONS)} "
                             "knobs; run-wide settings go on the command line)")
    try:  # keys and kinds: the typed options' own check, as for --set
        Options.from_dict(over)
    except InputError as e:
        raise InputError(f"{where}: {e}") from None
    for keys, value in _leaves(over):
        rule = NAMED_ONLY.get(keys)
        if rule is not None:
            _check_name(where, ".".join(keys), value, rule)


def _leaves(d: dict, prefix: tuple = ()):
    for k, v in d.items():
        keys = (*prefix, str(k))
        if isinstance(v, dict) and v:
            yield from _leaves(v, keys)
        else:
            yield keys, v


def _check_name(where: str, dotted: str, value: Any, rule) -> None:
    if rule == "store":
        known = list(_known_names("store"))
    elif rule == "glossary":
        known = list(_known_names("glossary"))
        values = value if isinstance(value, list) else [value]
        bad = [str(x) for x in values if str(x) not in known]
        if bad:
            raise InputError(f"{where}: '{dotted}' takes glossary names ({', '.join(known)}); "
                             f"give a glossary file in the glossary column")
        return
    else:
        known = list(rule)
    if str(value) not in known:
        raise InputError(f"{where}: '{dotted}' may only name one of {', '.join(known)} in a manifest, got {value!r:.60}")


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for k, v in b.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _participants(where: str, base: Path, v: Any) -> list[dict] | None:
    if v in (None, "", []):
        return None
    if isinstance(v, str) and (v.endswith((".json", ".yaml", ".yml")) and ";" not in v):
        f = _path(base, v)
        if not f.is_file():
            raise InputError(f"{where}: participants file {f} not found")
        v = read_yaml(f, mapping=False)  # YAML reads JSON too; bounded (size, alias expansion, nesting)
        if isinstance(v, dict):
            v = v.get("participants", v)
    if isinstance(v, str):
        people = []
        for entry in v.split(";"):
            parts = [x.strip() for x in entry.split(",")]
            if parts and parts[0]:
                people.append({"name": parts[0], "role": parts[1] if len(parts) > 1 and parts[1] else None,
                               "organization": ", ".join(parts[2:]) or None})
        return people or None
    if isinstance(v, list):
        people = []
        for x in v:
            if isinstance(x, str):
                people.append({"name": x})
            elif isinstance(x, dict) and x.get("name"):
                people.append(dict(x))
            else:
                raise InputError(f"{where}: each participant needs a name")
        return people or None
    raise InputError(f"{where}: participants must be a list, a file or 'Name, Role; Name2, Role'")
