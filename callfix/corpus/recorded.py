"""Lines whose audio is a real recording (``audio: clip.wav`` in the script, path relative to the
script; ``text`` is its published transcript). Several clips join with a short pause."""
from __future__ import annotations

import subprocess
from pathlib import Path

from callfix.errors import CallfixError, InputError

CLIP_GAP = 0.3  # seconds between the clips of one line


def check(clips: list[Path], where: str) -> None:
    for c in clips:
        if not c.is_file():
            raise InputError(f"{where}: audio clip {c} not found")


def render(clips: list[Path], dest: Path, sample_rate: int) -> Path:
    """The clips as one mono 16-bit WAV at `sample_rate` (ffmpeg decodes any container)."""
    parts = []
    for i, c in enumerate(clips):
        part = dest.with_name(f"{dest.stem}.{i}.wav")
        r = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(c), "-ac", "1",
                            "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(part)], capture_output=True, text=True)
        if r.returncode != 0:
            raise InputError(f"{c}: cannot decode audio ({(r.stderr.strip().splitlines() or ['ffmpeg failed'])[-1]})")
        # each clip trimmed of its own leading/trailing silence, then level-matched
        trimmed = dest.with_name(f"{dest.stem}.{i}.t.wav")
        _sox([str(part), str(trimmed), "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%",
              "reverse", "norm", "-3"])
        parts.append(str(trimmed))
    if len(parts) == 1:
        Path(parts[0]).replace(dest)
        return dest
    gap = dest.with_name(f"{dest.stem}.gap.wav")
    _sox(["-n", "-r", str(sample_rate), "-c", "1", "-b", "16", str(gap), "trim", "0", str(CLIP_GAP)])
    joined = [x for p in parts for x in (p, str(gap))][:-1]
    _sox([*joined, str(dest)])
    return dest


def _sox(args: list[str]) -> None:
    r = subprocess.run(["sox", "-R", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise CallfixError(f"sox failed: {r.stderr.strip()}")
