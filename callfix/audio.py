"""Audio input: any container ffmpeg reads → one 16 kHz mono PCM file, memory-mapped.

The call is decoded once by ffmpeg (ffmpeg-python) into a 16-bit WAV beside the outputs;
every stage then reads that file through a memory map, so a 3 h call is never held in RAM
more than once and stages that need only a window touch only that window.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import ffmpeg
import numpy as np

from callfix.errors import InputError
from callfix.io.atomic import atomic_path

SAMPLE_RATE = 16000
WAV_HEADER = 44


@dataclass
class AudioInfo:
    path: str
    duration: float
    sample_rate: int
    channels: int
    codec: str


@dataclass
class Audio:
    """A decoded call: 16 kHz mono int16 PCM in ``wav``; windows are read from disk on demand."""

    source: str
    wav: Path
    data_offset: int
    n_samples: int
    sample_rate: int = SAMPLE_RATE

    @property
    def duration(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def samples(self) -> np.ndarray:
        """Read-only int16 memory map of the whole call (pages load only where touched)."""
        if self.n_samples == 0:
            return np.zeros(0, dtype=np.int16)
        return np.memmap(self.wav, dtype=np.int16, mode="r", offset=self.data_offset, shape=(self.n_samples,))

    def window(self, start: float, end: float) -> np.ndarray:
        """float32 samples in [-1, 1] for [start, end) seconds.

        Read with plain file I/O rather than through a map, so memory stays flat in call length.
        """
        return self.read(int(start * self.sample_rate), int(end * self.sample_rate))

    def read(self, a: int, b: int) -> np.ndarray:
        """float32 samples ``[a, b)`` by sample index, clipped to the call."""
        a = min(self.n_samples, max(0, a))
        b = min(self.n_samples, max(a, b))
        data = np.fromfile(self.wav, dtype=np.int16, count=b - a, offset=self.data_offset + 2 * a)
        out = data.astype(np.float32)
        out /= 32768.0  # in place: one float copy of the window, not two
        return out

    def as_float(self) -> np.ndarray:
        return self.window(0, self.duration)


def probe(path: str | Path) -> AudioInfo:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    try:
        info = ffmpeg.probe(str(p))
    except ffmpeg.Error as e:
        msg = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        detail = msg[-1] if msg else "unreadable"
        if ": " in detail and str(p) in detail:
            detail = detail.split(": ", 1)[1]
        raise InputError(f"{p}: not a readable audio file ({detail})") from None
    except FileNotFoundError:
        raise InputError("ffmpeg/ffprobe not found on PATH: install ffmpeg (scripts/setup.sh does)") from None
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise InputError(f"{p}: contains no audio stream")
    s = streams[0]
    dur = float(s.get("duration") or info.get("format", {}).get("duration") or 0.0)
    return AudioInfo(str(p), dur, int(s.get("sample_rate") or 0), int(s.get("channels") or 0), s.get("codec_name", "?"))


def _cache_key(p: Path) -> str:
    st = p.stat()
    return hashlib.sha1(f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]


def decode(path: str | Path, workdir: str | Path, max_hours: float = 6.0) -> Audio:
    """Decode ``path`` to ``workdir/audio16k.wav`` (reused when the source is unchanged)."""
    p = Path(path)
    info = probe(p)
    if info.duration > max_hours * 3600:
        raise InputError(f"{p}: {info.duration / 3600:.1f} h is longer than the {max_hours:g} h limit (audio.max_duration_hours)")
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    wav, stamp = wd / "audio16k.wav", wd / "audio16k.json"
    key = _cache_key(p)
    if not (wav.is_file() and stamp.is_file() and json.loads(stamp.read_text()).get("key") == key):
        with atomic_path(wav) as tmp:
            try:
                (
                    ffmpeg.input(str(p))
                    .output(str(tmp), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE, map="0:a:0")
                    .overwrite_output()
                    .run(quiet=True)
                )
            except ffmpeg.Error as e:
                tail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
                raise InputError(f"{p}: ffmpeg could not decode it ({tail[-1] if tail else 'unknown error'})") from None
        with atomic_path(stamp) as tmp:
            tmp.write_text(json.dumps({"key": key, "source": str(p)}))
    return open_wav(wav, source=str(p))


def open_wav(wav: Path, source: str | None = None) -> Audio:
    data_offset, n_bytes = _pcm_span(wav)
    return Audio(source or str(wav), wav, data_offset, n_bytes // 2)


def _pcm_span(wav: Path) -> tuple[int, int]:
    """Offset and length of the ``data`` chunk (ffmpeg may write a LIST chunk first)."""
    size = os.path.getsize(wav)
    with open(wav, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise InputError(f"{wav}: not a WAV file")
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, clen = f.read(4), int.from_bytes(f.read(4), "little")
            if cid == b"data":
                # ffmpeg writes 0xFFFFFFFF when streaming; trust the file size then
                return pos + 8, min(clen, size - pos - 8) // 2 * 2
            pos += 8 + clen + (clen & 1)
    raise InputError(f"{wav}: WAV has no data chunk")
