"""RTTM (NIST Rich Transcription Time Marked): the one reader and writer of speaker turns in that format."""
from __future__ import annotations

from pathlib import Path

from callfix.errors import InputError
from callfix.io.atomic import atomic_write_text
from callfix.model import Turn


def _uri(uri: str) -> str:
    # RTTM fields are whitespace-separated: a file name with spaces would shift every column.
    return "_".join(str(uri).split()) or "call"


def format_rttm(turns: list[Turn], uri: str = "call") -> str:
    u = _uri(uri)
    return "".join(
        f"SPEAKER {u} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> {_uri(t.speaker)} <NA> <NA>\n"
        for t in sorted(turns, key=lambda t: (t.start, t.end))
        if t.end > t.start
    )


def write_rttm(path: str | Path, turns: list[Turn], uri: str = "call") -> Path:
    return atomic_write_text(path, format_rttm(turns, uri))


def parse_rttm(text: str, source: str = "<rttm>") -> dict[str, list[Turn]]:
    """Turns per file id. Only SPEAKER lines are read; comments and other types are skipped."""
    out: dict[str, list[Turn]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith((";", "#")) or parts[0] != "SPEAKER":
            continue
        if len(parts) < 8:
            raise InputError(f"{source}: line {n}: expected at least 8 RTTM fields, got {len(parts)}")
        try:
            start, dur = float(parts[3]), float(parts[4])
        except ValueError:
            raise InputError(f"{source}: line {n}: onset/duration are not numbers") from None
        if dur < 0 or start < 0:
            raise InputError(f"{source}: line {n}: negative onset or duration")
        out.setdefault(parts[1], []).append(Turn(parts[7], start, start + dur))
    for turns in out.values():
        turns.sort(key=lambda t: (t.start, t.end))
    return out


def read_rttm(path: str | Path) -> dict[str, list[Turn]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text RTTM file") from None
    return parse_rttm(text, str(p))


def rttm_turns(path: str | Path) -> list[Turn]:
    """All SPEAKER turns of an RTTM file, in time order (every file id together); none is an error."""
    turns = sorted((t for ts in read_rttm(path).values() for t in ts), key=lambda t: (t.start, t.end))
    if not turns:
        raise InputError(f"{path}: no speaker turns")
    return turns
