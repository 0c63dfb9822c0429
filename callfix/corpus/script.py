"""The call script: speakers with voices, and one line per vendor paragraph."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callfix.config import read_yaml
from callfix.errors import InputError


@dataclass
class ScriptSpeaker:
    id: str
    name: str
    voice: str = "en-us"
    pitch: int = 50
    speed: int = 160
    language: str = "en"
    role: str | None = None
    organization: str | None = None


@dataclass
class ScriptLine:
    speaker: str
    text: str  # the exact reference text
    language: str = "en"
    say: str | None = None  # what the voice speaks, when it differs from the written text
    mt: str | None = None  # a machine translation the vendor prints in place of non-English speech


@dataclass
class CallScript:
    path: Path
    title: str
    speakers: dict[str, ScriptSpeaker]
    lines: list[ScriptLine]
    date: str = ""
    seed: int = 0
    sample_rate: int = 16000
    pause: tuple[float, float] = (0.6, 1.2)
    band: tuple[int, int] | None = (300, 3400)
    noise_db: float | None = -42.0
    header: list[str] = field(default_factory=list)
    errors: dict[str, Any] = field(default_factory=dict)


def load_script(path: str | Path) -> CallScript:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: call script not found")
    d = read_yaml(p)

    def bad(problem: str) -> InputError:
        return InputError(f"{p}: {problem}")

    raw_speakers = d.get("speakers")
    if not isinstance(raw_speakers, dict) or not raw_speakers:
        raise bad("no speakers (expected a mapping id -> {name, voice, ...})")
    speakers: dict[str, ScriptSpeaker] = {}
    for sid, s in raw_speakers.items():
        if not isinstance(s, dict):
            raise bad(f"speaker {sid}: expected a mapping")
        known = {"name", "voice", "pitch", "speed", "language", "role", "organization"}
        unknown = set(s) - known
        if unknown:
            raise bad(f"speaker {sid}: unknown keys {sorted(unknown)}")
        speakers[str(sid)] = ScriptSpeaker(id=str(sid), **{"name": str(sid), **s})

    raw_lines = d.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise bad("no lines")
    lines: list[ScriptLine] = []
    for i, ln in enumerate(raw_lines, 1):
        if not isinstance(ln, dict) or not str(ln.get("text", "")).strip():
            raise bad(f"line {i}: expected speaker and non-empty text")
        sid = str(ln.get("speaker"))
        if sid not in speakers:
            raise bad(f"line {i}: unknown speaker {sid!r}")
        lines.append(ScriptLine(
            speaker=sid,
            text=" ".join(str(ln["text"]).split()),
            language=str(ln.get("language") or speakers[sid].language),
            say=ln.get("say"),
            mt=ln.get("mt"),
        ))

    channel = d.get("channel") or {}
    pause = d.get("pause", [0.6, 1.2])
    if isinstance(pause, (int, float)):
        pause = [pause, pause]
    try:
        return CallScript(
            path=p,
            title=str(d.get("title") or p.stem),
            speakers=speakers,
            lines=lines,
            date=str(d.get("date") or ""),
            seed=int(d.get("seed", 0)),
            sample_rate=int(d.get("sample_rate", 16000)),
            pause=(float(pause[0]), float(pause[1])),
            band=tuple(channel["band"]) if channel.get("band") else None,
            noise_db=float(channel["noise_db"]) if channel.get("noise_db") is not None else None,
            header=[str(h) for h in d.get("header") or []],
            errors=dict(d.get("errors") or {}),
        )
    except (TypeError, ValueError, IndexError) as e:
        raise bad(f"invalid value ({e})") from None
