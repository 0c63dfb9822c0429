"""Rev's `.nlp` token files with their sidecars, as Earnings-21/22 publish them.

An `.nlp` file has one token a line, `token|speaker|ts|endTs|punctuation|case|tags|wer_tags`.
`tags` holds the normalisation label of the token (`['0:YEAR']`): consecutive tokens with the
same label form one normalisable span whose spoken forms are listed in `ID.norm.json`.
`wer_tags` holds entity ids (`['0', '1', '6']`) whose classes are in `ID.wer_tag.json`.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from callfix.errors import InputError

_QUOTED = re.compile(r"'([^']*)'|\"([^\"]*)\"")


@dataclass
class NlpRow:
    token: str
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    punctuation: str = ""
    label: str = ""  # first normalisation label, "ID:CLASS", or ""
    wer_tags: tuple[str, ...] = ()


@dataclass
class NlpRef:
    """A reference ready for earnings scoring: rows, normalisation candidates, entity classes."""

    path: str
    rows: list[NlpRow]
    norm: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)  # label id -> verbalisations
    entity_class: dict[str, str] = field(default_factory=dict)  # wer_tag id -> class
    norm_path: str | None = None
    tags_path: str | None = None


def _ids(field_text: str) -> list[str]:
    """Items of a Python-style list literal (`['0:YEAR']`, `['0', '1']`) without evaluating it."""
    return [a or b for a, b in _QUOTED.findall(field_text or "")]


def _num(v: str | None) -> float | None:
    try:
        return None if v is None or v.strip() in ("", "NA", "<NA>") else float(v)
    except ValueError:
        return None


def is_nlp_text(text: str) -> bool:
    return text.split("\n", 1)[0].strip().lower().startswith("token|speaker")


def parse_nlp(path: str | Path, text: str) -> list[NlpRow]:
    reader = csv.reader(io.StringIO(text), delimiter="|", quoting=csv.QUOTE_NONE)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError(f"{path}: empty file") from None
    if header[:1] != ["token"]:
        raise InputError(f"{path}: not a Rev .nlp file (first line must start with token|speaker)")
    col = {h: i for i, h in enumerate(header)}

    def get(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    rows: list[NlpRow] = []
    for n, row in enumerate(reader, 2):
        if not row or not any(c.strip() for c in row):
            continue
        tok = row[0].strip()
        if not tok:
            continue
        labels = _ids(get(row, "tags"))
        label = labels[0] if labels else ""
        if label and ":" not in label:
            raise InputError(f"{path}: line {n}: tag {label!r} is not ID:CLASS")
        rows.append(NlpRow(tok, get(row, "speaker") or None, _num(get(row, "ts")), _num(get(row, "endts")),
                           get(row, "punctuation"), label, tuple(_ids(get(row, "wer_tags")))))
    if not rows:
        raise InputError(f"{path}: .nlp file has no tokens")
    return rows


def read_nlp_rows(path: str | Path) -> list[NlpRow]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    return parse_nlp(p, text)


def _read_json_object(path: Path, what: str) -> dict:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path}: invalid {what} JSON ({e})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: {what} JSON must be an object keyed by id")
    return data


def read_norm(path: str | Path) -> dict[str, list[tuple[str, ...]]]:
    """`ID.norm.json`: id -> candidate verbalisations (token tuples; an empty one may be skipped)."""
    p = Path(path)
    out: dict[str, list[tuple[str, ...]]] = {}
    for k, v in _read_json_object(p, "normalisation").items():
        cands = v.get("candidates") if isinstance(v, dict) else None
        if not isinstance(cands, list):
            raise InputError(f"{p}: entry {k!r}: expected 'candidates': [...]")
        out[str(k)] = [tuple(str(t) for t in c.get("verbalization") or ()) for c in cands if isinstance(c, dict)]
    return out


def read_wer_tags(path: str | Path) -> dict[str, str]:
    """`ID.wer_tag.json`: entity id -> class (PERSON, ORG, MONEY ...)."""
    p = Path(path)
    out: dict[str, str] = {}
    for k, v in _read_json_object(p, "wer_tag").items():
        if not isinstance(v, dict) or "entity_type" not in v:
            raise InputError(f"{p}: entry {k!r}: expected {{'entity_type': ...}}")
        out[str(k)] = str(v["entity_type"])
    return out


def sidecar(ref: Path, kind: str) -> Path | None:
    """`ID.norm.json` / `ID.wer_tag.json` beside `ID.nlp`, or in the Earnings-21 layout's sibling
    folders (`nlp_references/ID.nlp` with `normalizations/` and `wer_tags/`)."""
    stem = ref.name[:-4] if ref.name.lower().endswith(".nlp") else ref.stem
    names = {"norm": [f"{stem}.norm.json"], "tags": [f"{stem}.wer_tag.json", f"{stem}.wer_tags.json"]}[kind]
    dirs = [ref.parent, ref.parent.parent / {"norm": "normalizations", "tags": "wer_tags"}[kind]]
    for d in dirs:
        for n in names:
            if (d / n).is_file():
                return d / n
    return None


def read_nlp_ref(path: str | Path, norm: str | Path | None = None, tags: str | Path | None = None) -> NlpRef:
    """A `.nlp` reference with its sidecars (given, or found beside it)."""
    p = Path(path)
    rows = read_nlp_rows(p)
    norm_p = Path(norm) if norm else sidecar(p, "norm")
    tags_p = Path(tags) if tags else sidecar(p, "tags")
    ref = NlpRef(str(p), rows, read_norm(norm_p) if norm_p else {}, read_wer_tags(tags_p) if tags_p else {},
                 str(norm_p) if norm_p else None, str(tags_p) if tags_p else None)
    return ref


# Rev's tokens keep "$", "%", inner dots and apostrophes; sentence punctuation lives in its own column.
_LEAD = "\"'([{¿¡“‘«"
_TRAIL = ".,?!;:\"')]}”’»…"
_DASH = re.compile(r"\s*(?:—|–|--)\s*")


def text_rows(text: str, speaker: str | None = None) -> list[NlpRow]:
    """Plain text as `.nlp` rows, tokenised as Rev's files are: split on spaces and dashes between
    words, leading/trailing punctuation moved out of the token."""
    rows: list[NlpRow] = []
    for raw in _DASH.sub(" ", text).split():
        core = raw.lstrip(_LEAD)
        tok = core.rstrip(_TRAIL)
        if tok:
            rows.append(NlpRow(tok, speaker, punctuation=core[len(tok):]))
    return rows
