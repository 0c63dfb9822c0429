"""Atomic file writes: a reader never sees a half-written output."""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from callfix.errors import OutputError

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as e:
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; outputs follow the umask
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as e:
        tmp_path.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({e.strerror or e})") from None
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


@contextmanager
def output_set(out_dir: str | Path) -> Iterator[Path]:
    """Yield a build folder for a whole set of outputs; they move into ``out_dir`` only when all were written.

    The build folder is a sibling of ``out_dir``, so paths written relative to the outputs (the call
    audio from the review page) resolve the same from both. A failure leaves ``out_dir`` as it was.
    Where the parent folder is not writable, the outputs are written in place, one atomic file at a time.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot write ({e.strerror or e})") from None
    real = out.resolve()  # "-o ." has no name or parent of its own
    try:
        build = Path(tempfile.mkdtemp(prefix=f".{real.name}.building-", dir=real.parent))
    except OSError:
        yield out
        return
    try:
        yield build
        for f in sorted(build.rglob("*")):
            if f.is_file():
                target = out / f.relative_to(build)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
    except OSError as e:
        raise OutputError(f"{out}: cannot write ({e.strerror or e})") from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
