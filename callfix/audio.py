"""Audio input: any container ffmpeg reads → one 16 kHz mono PCM file, memory-mapped.

The call is decoded once by ffmpeg (ffmpeg-python) into a 16-bit WAV named by its content hash;
every stage then reads that file through a memory map, so a 3 h call is never held in RAM
more than once and stages that need only a window touch only that window.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

import ffmpeg
import numpy as np

from callfix.errors import InputError, OutputError
from callfix.io.atomic import atomic_path
from callfix.io.hashing import sha256_memo

SAMPLE_RATE = 16000


@dataclass
class AudioInfo:
    path: str
    duration: float
    sample_rate: int
    channels: int
    codec: str


@dataclass
class Audio:
    """A decoded call: 16 kHz mono int16 PCM in ``wav``; windows are read from disk on demand.

    The file is held open from the moment it is decoded: every read goes through that one handle,
    so another run that writes into the same cache can never swap different audio under a call.
    """

    source: str
    wav: Path
    data_offset: int
    n_samples: int
    sample_rate: int = SAMPLE_RATE
    _fh: BinaryIO | None = field(default=None, repr=False, compare=False)
    _sha256: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._fh is None:
            self._fh = open(self.wav, "rb")

    def __getstate__(self) -> dict:  # a process that receives a copy opens its own handle
        return {k: v for k, v in self.__dict__.items() if k != "_fh"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, _fh=None)
        self.__post_init__()

    def __deepcopy__(self, memo) -> "Audio":
        copy = Audio(self.source, self.wav, self.data_offset, self.n_samples, self.sample_rate, self._fh)
        copy._sha256 = self._sha256
        return copy

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()

    @property
    def duration(self) -> float:
        return self.n_samples / self.sample_rate

    @property
    def samples(self) -> np.ndarray:
        """Read-only int16 memory map of the whole call (pages load only where touched)."""
        if self.n_samples == 0:
            return np.zeros(0, dtype=np.int16)
        return np.memmap(self._fh, dtype=np.int16, mode="r", offset=self.data_offset, shape=(self.n_samples,))

    def window(self, start: float, end: float) -> np.ndarray:
        """float32 samples in [-1, 1] for [start, end) seconds.

        Read with plain file I/O rather than through a map, so memory stays flat in call length.
        """
        return self.read(int(start * self.sample_rate), int(end * self.sample_rate))

    def read(self, a: int, b: int) -> np.ndarray:
        """float32 samples ``[a, b)`` by sample index, clipped to the call."""
        a = min(self.n_samples, max(0, a))
        b = min(self.n_samples, max(a, b))
        data = np.frombuffer(self.read_bytes(self.data_offset + 2 * a, 2 * (b - a)), dtype=np.int16)
        out = data.astype(np.float32)
        out /= 32768.0  # in place: one float copy of the window, not two
        return out

    def read_bytes(self, offset: int, n: int) -> bytes:
        """``n`` bytes of the decoded file from ``offset``, through the handle held since decoding
        (positional reads: the diarization thread and the transcription read side by side)."""
        fd = self._fh.fileno()
        parts, got = [], 0
        while got < n:
            chunk = os.pread(fd, min(n - got, 1 << 26), offset + got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts) if len(parts) != 1 else parts[0]

    def content_hash(self) -> str:
        """sha256 of the decoded file's bytes as this call reads them (the key of every stage cache)."""
        if self._sha256 is None:
            h = hashlib.sha256()
            size, pos = os.fstat(self._fh.fileno()).st_size, 0
            while pos < size:
                chunk = self.read_bytes(pos, min(1 << 22, size - pos))
                if not chunk:
                    break
                h.update(chunk)
                pos += len(chunk)
            self._sha256 = h.hexdigest()
        return self._sha256

    def as_float(self) -> np.ndarray:
        return self.window(0, self.duration)


def ffmpeg_url(path: str | Path) -> str:
    """How a local file is named to ffprobe/ffmpeg: ``file:`` and an absolute path, so no file name
    ("-report", "-version", "pipe:0", "concat:a|b") can be read as an option or a protocol."""
    return "file:" + os.path.abspath(path)


def probe(path: str | Path) -> AudioInfo:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: empty file (0 bytes)")
    try:
        info = ffmpeg.probe(ffmpeg_url(p))
    except ffmpeg.Error as e:
        msg = (e.stderr or b"").decode(errors="replace").strip().splitlines()
        detail = msg[-1] if msg else "unreadable"
        for name in (ffmpeg_url(p), str(p)):
            if detail.startswith(name + ": "):
                detail = detail[len(name) + 2:]
                break
        raise InputError(f"{p}: not a readable audio file ({detail})") from None
    except FileNotFoundError:
        raise InputError("ffmpeg/ffprobe not found on PATH: install ffmpeg (scripts/setup.sh does)") from None
    streams = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise InputError(f"{p}: contains no audio stream")
    s = streams[0]
    dur = float(s.get("duration") or info.get("format", {}).get("duration") or 0.0)
    return AudioInfo(str(p), dur, int(s.get("sample_rate") or 0), int(s.get("channels") or 0), s.get("codec_name", "?"))


# What a decoded file depends on besides the source bytes: a change here must not reuse old decodes.
_RECIPE = f"pcm_s16le|ac=1|ar={SAMPLE_RATE}|map=0:a:0|v2"


def source_hash(p: Path) -> str:
    """sha256 of the source file's bytes (memoised per path, size, mtime and inode within a process)."""
    return sha256_memo(p)


def decode_command(src: Path, dst: Path, limit: float):
    """ffmpeg: the first audio stream as 16 kHz mono PCM WAV. ``t`` caps what is decoded just past the
    limit, so a file whose header understates its length stops there (and is refused) instead of
    filling the disk."""
    return (ffmpeg.input(ffmpeg_url(src))
            .output(ffmpeg_url(dst), format="wav", acodec="pcm_s16le", ac=1, ar=SAMPLE_RATE, map="0:a:0",
                    t=f"{limit + 1:g}")
            .overwrite_output())


def decode_key(p: Path, max_hours: float) -> str:
    """Name of the decoded file: the source's bytes and everything that shapes the decoding."""
    return hashlib.sha256(f"{source_hash(p)}|{_RECIPE}|t={max_hours * 3600:g}".encode()).hexdigest()[:32]


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock shared by every process using ``path`` (released when the holder dies)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as e:
        raise OutputError(f"{path.parent}: cannot write the cache ({e.strerror or e})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def decode(path: str | Path, workdir: str | Path, max_hours: float = 6.0) -> Audio:
    """Decode ``path`` to ``workdir/<content hash>.wav``, reused whenever the same bytes come again.

    The name comes from the source's bytes and the decoding recipe, so runs that share a cache
    never write each other's audio; a lock per name lets one of them decode while the others wait.
    """
    p = Path(path)
    info = probe(p)
    limit = max_hours * 3600
    if info.duration > limit:
        raise InputError(f"{p}: {info.duration / 3600:.1f} h is longer than the {max_hours:g} h limit (audio.max_duration_hours)")
    wd = Path(workdir)
    key = decode_key(p, max_hours)
    wav = wd / f"{key}.wav"
    with file_lock(wd / f".{key}.lock"):
        if not wav.is_file():
            with atomic_path(wav) as tmp:
                try:
                    decode_command(p, tmp, limit).run(quiet=True)
                except ffmpeg.Error as e:
                    tail = (e.stderr or b"").decode(errors="replace").strip().splitlines()
                    raise InputError(f"{p}: ffmpeg could not decode it ({tail[-1] if tail else 'unknown error'})") from None
                _, n_bytes = _pcm_span(tmp)
                if n_bytes / 2 / SAMPLE_RATE > limit:
                    raise InputError(f"{p}: longer than the {max_hours:g} h limit (audio.max_duration_hours), "
                                     f"though its header says {info.duration / 3600:.1f} h")
        audio = open_wav(wav, source=str(p))  # opened under the lock: the handle is of a whole file
    return audio


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
