"""Configuration: configs/default.yaml, then a profile (cpu/gpu or a path), then overrides."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from callfix.errors import InputError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def read_yaml(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: config file not found")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise InputError(f"{p}: invalid YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a mapping at the top level")
    return data


def load_config(profile: str | Path | None = None, overrides: dict | None = None) -> dict[str, Any]:
    cfg = read_yaml(CONFIG_DIR / "default.yaml")
    if profile:
        p = Path(profile)
        if not p.suffix and (CONFIG_DIR / f"{profile}.yaml").is_file():
            p = CONFIG_DIR / f"{profile}.yaml"
        cfg = merge(cfg, read_yaml(p))
    return merge(cfg, overrides or {})


def set_dotted(cfg: dict, dotted: str, value: Any) -> None:
    """Set ``asr.beam_size=3`` style overrides; the value is parsed as YAML."""
    keys = dotted.split(".")
    node = cfg
    for k in keys[:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = yaml.safe_load(value) if isinstance(value, str) else value
