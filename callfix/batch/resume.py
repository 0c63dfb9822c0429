"""What "finished" means for a call: a DONE marker written last, naming the inputs and config it was made from.

A call's folder OUT/<id>/ only ever appears whole: it is built in OUT/.partial/<id>/ with the
marker inside, then renamed into place. A killed run therefore leaves either the old finished
folder or nothing there; a changed input or config makes the marker stale, so the call is redone.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from callfix.batch.manifest import CallSpec
from callfix.config import CONFIG_DIR
from callfix.io.atomic import atomic_write_text
from callfix.io.hashing import sha256_memo

MARKER = "DONE.json"
PARTIAL = ".partial"
# Knobs that change speed, not results: a re-run with more workers must not redo finished calls.
RUNTIME_ONLY = [("batch",), ("run", "parallel_stages"), ("asr", "cpu_threads"), ("asr", "device"),
                ("diarize", "torch_threads")]


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes (memoised per path, size, mtime and inode within a process)."""
    return sha256_memo(path)


def config_hash(cfg: dict) -> str:
    c = copy.deepcopy(cfg)
    for keys in RUNTIME_ONLY:
        node = c
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(keys[-1], None)
    return hashlib.sha256(json.dumps(c, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fingerprint(spec: CallSpec, cfg: dict) -> dict[str, Any]:
    """Hashes of everything a call's outputs depend on; missing inputs hash as None."""
    inputs = {}
    for role, p in (("audio", spec.audio), ("transcript", spec.transcript), ("reference", spec.reference)):
        inputs[role] = file_hash(p) if p is not None and p.is_file() else None
    people = json.dumps(spec.participants, sort_keys=True) if spec.participants else ""
    return {"inputs": inputs, "config": config_hash(cfg), "participants": hashlib.sha256(people.encode()).hexdigest()[:16],
            "glossaries": glossary_hashes(cfg)}


def glossary_hashes(cfg: dict) -> dict[str, str | None]:
    """A glossary file edited in place changes the outputs, though the config naming it does not change."""
    out = {}
    for g in cfg.get("align", {}).get("glossaries") or []:
        p = Path(g)
        if not (p.suffix in (".yaml", ".yml") or p.exists()):
            p = CONFIG_DIR / "glossaries" / f"{g}.yaml"
        out[str(g)] = file_hash(p) if p.is_file() else None
    return out


def read_marker(call_dir: Path) -> dict | None:
    try:
        return json.loads((call_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_finished(call_dir: Path, fp: dict) -> dict | None:
    """The marker if ``call_dir`` holds a finished call made from exactly ``fp``, else None."""
    m = read_marker(call_dir)
    if m and m.get("fingerprint") == fp:
        return m
    return None


def partial_dir(out_root: Path, call_id: str) -> Path:
    """A fresh build folder for one attempt (unique, so two attempts never share one)."""
    d = out_root / PARTIAL / f"{call_id}.{os.getpid()}.{time.monotonic_ns()}"
    d.mkdir(parents=True)
    return d


def publish(build: Path, final: Path, marker: dict) -> None:
    """Write the marker into ``build`` last, then swap ``build`` into place as ``final``."""
    atomic_write_text(build / MARKER, json.dumps(marker, indent=1, ensure_ascii=False))
    if final.exists():
        # Move the stale folder aside first: os.replace cannot replace a non-empty folder.
        trash = final.parent / PARTIAL / f"{final.name}.old.{os.getpid()}.{time.monotonic_ns()}"
        os.replace(final, trash)
        os.replace(build, final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(build, final)


def clear_partials(out_root: Path) -> None:
    """Remove build folders left by killed runs (called once before a batch starts)."""
    shutil.rmtree(out_root / PARTIAL, ignore_errors=True)
