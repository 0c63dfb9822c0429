"""sha256 of files: once per read, or once per process while a file stays the same."""
from __future__ import annotations

import hashlib
from pathlib import Path

_MEMO: dict[tuple, str] = {}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def sha256_memo(path: Path) -> str:
    """sha256 of ``path``, hashed once per process for as long as its size, mtime and inode stay the same."""
    st = Path(path).stat()
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _MEMO:
        _MEMO[key] = sha256_file(path)
    return _MEMO[key]
