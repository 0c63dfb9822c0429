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
    semitones: float = 0.0  # pitch shift after synthesis (sox), to make one voice model into several speakers


@dataclass
class ScriptLine:
    speaker: str
    text: str  # the exact reference text
    language: str = "en"
    say: str | None = None  # what the voice speaks, when it differs from the written text
    mt: str | None = None  # a machine translation the vendor prints in place of non-English speech
    audio: list[Path] | None = None  # real recordings spoken in place of synthesis; `text` is their transcript
    vendor_errors: list[dict] = field(default_factory=list)  # {right, wrong, type, occurrence}: the vendor's own errors
    controls: list[str] = field(default_factory=list)  # phrases really said that look like errors: never changed


@dataclass
class Channel:
    """How the call is heard: telephone band (Hz), line noise (dBFS), output rate, codec round trip."""
    band: tuple[int, int] | None = None
    noise_db: float | None = None
    sample_rate: int | None = None  # None: the script's rate
    codec: str | None = None  # "mulaw": 8-bit G.711 round trip


# Every call can be built as these; a script's `channels:` adds or overrides.
CHANNELS = {"clean": Channel(), "phone": Channel(band=(300, 3400), noise_db=-30.0, sample_rate=8000, codec="mulaw")}


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
    channels: dict[str, Channel] = field(default_factory=lambda: dict(CHANNELS))
    split: str = "test"  # "dev": thresholds may be tuned on it; "test": measured only

    def channel(self, name: str | None) -> Channel:
        """The named channel, or the script's own `channel:` when None."""
        if name is None:
            return Channel(band=self.band, noise_db=self.noise_db)
        if name not in self.channels:
            raise InputError(f"{self.path}: no channel {name!r} (known: {', '.join(self.channels)})")
        return self.channels[name]


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
        known = {"name", "voice", "pitch", "speed", "language", "role", "organization", "semitones"}
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
        unknown = set(ln) - LINE_KEYS
        if unknown:
            raise bad(f"line {i}: unknown keys {sorted(unknown)}")
        text = " ".join(str(ln["text"]).split())
        lines.append(ScriptLine(
            speaker=sid,
            text=text,
            language=str(ln.get("language") or speakers[sid].language),
            say=ln.get("say"),
            mt=ln.get("mt"),
            audio=_clips(ln.get("audio"), p.parent, lambda m: bad(f"line {i}: {m}")),
            vendor_errors=_vendor_errors(ln.get("vendor_errors"), text, lambda m: bad(f"line {i}: {m}")),
            controls=_controls(ln.get("controls"), text, lambda m: bad(f"line {i}: {m}")),
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
            split=_split(d.get("split", "test")),
            channels={**CHANNELS, **{str(k): _channel(v) for k, v in (d.get("channels") or {}).items()}},
        )
    except (TypeError, ValueError, IndexError) as e:
        raise bad(f"invalid value ({e})") from None


def _split(v) -> str:
    if v not in ("dev", "test"):
        raise ValueError(f"split {v!r}: expected dev or test")
    return v


def _channel(d: dict) -> Channel:
    unknown = set(d or {}) - {"band", "noise_db", "sample_rate", "codec"}
    if unknown:
        raise ValueError(f"channel: unknown keys {sorted(unknown)}")
    if d.get("codec") not in (None, "mulaw"):
        raise ValueError(f"channel codec {d['codec']!r}: only mulaw is known")
    return Channel(band=tuple(int(x) for x in d["band"]) if d.get("band") else None,
                   noise_db=float(d["noise_db"]) if d.get("noise_db") is not None else None,
                   sample_rate=int(d["sample_rate"]) if d.get("sample_rate") else None, codec=d.get("codec"))


LINE_KEYS = {"speaker", "text", "language", "say", "mt", "audio", "vendor_errors", "controls"}


def _clips(raw, base: Path, bad) -> list[Path] | None:
    if raw is None:
        return None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise bad("audio: expected a clip path or a list of them")
    return [(base / x).resolve() for x in items]


def _vendor_errors(raw, text: str, bad) -> list[dict]:
    """Each entry: `right` (a phrase of the line), `wrong` (what the vendor prints), `type`, and
    `occurrence` (which match of `right`, 1-based; default 1)."""
    out = []
    for k, e in enumerate(raw or [], 1):
        if not isinstance(e, dict) or not isinstance(e.get("right"), str) or not isinstance(e.get("wrong"), str):
            raise bad(f"vendor_errors {k}: expected {{right: ..., wrong: ..., type: ...}}")
        unknown = set(e) - {"right", "wrong", "type", "occurrence"}
        if unknown:
            raise bad(f"vendor_errors {k}: unknown keys {sorted(unknown)}")
        n = e.get("occurrence", 1)
        if not isinstance(n, int):
            raise bad(f"vendor_errors {k}: occurrence must be a whole number")
        if text.count(e["right"]) < n or n < 1:
            raise bad(f"vendor_errors {k}: {e['right']!r} does not occur {n} time(s) in the line's text")
        out.append({"right": e["right"], "wrong": e["wrong"], "type": str(e.get("type") or "term"), "occurrence": n})
    return out


def _controls(raw, text: str, bad) -> list[str]:
    items = raw or []
    if not isinstance(items, list) or not all(isinstance(x, str) and x for x in items):
        raise bad("controls: expected a list of phrases")
    for c in items:
        if c not in text:
            raise bad(f"control {c!r} does not occur in the line's text")
    return list(items)
