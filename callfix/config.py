"""Configuration: callfix/configs/default.yaml, then a profile (cpu/gpu or a path), then overrides."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from callfix.errors import InputError

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


def merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_NODES = 200_000  # after expanding aliases: a few hundred bytes of nested aliases can expand to gigabytes


def read_yaml(path: str | Path, mapping: bool = True):
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: config file not found")
    if p.stat().st_size > MAX_YAML_BYTES:
        raise InputError(f"{p}: {p.stat().st_size / 1048576:.1f} MB is too large for a YAML file "
                         f"(limit {MAX_YAML_BYTES // 1048576} MB)")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text (byte {e.start}); YAML files are UTF-8: save it as UTF-8") from None
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror or e})") from None
    data = load_yaml(text, str(p))
    if data is None:
        data = {} if mapping else None
    if mapping and not isinstance(data, dict):
        raise InputError(f"{p}: expected a mapping at the top level")
    return data


def load_yaml(text: str, name: str):
    """``yaml.safe_load`` that refuses, in one line, what would expand past MAX_YAML_NODES, refer to itself
    or nest too deeply, before anything is built from it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        raise InputError(f"{name}: invalid YAML ({str(e).splitlines()[0]})") from None
    except RecursionError:
        raise InputError(f"{name}: invalid YAML (nested too deeply)") from None
    finally:
        loader.dispose()


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return []


def _check_expansion(root, name: str) -> None:
    """Count the nodes the document expands to, aliases counted every time they are used (memoised per
    node, so the count itself costs time linear in the file)."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, closing = stack.pop()
        key = id(node)
        if closing:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[key] > MAX_YAML_NODES:
                raise InputError(f"{name}: refused, its aliases expand to over {MAX_YAML_NODES:,} values "
                                 f"(a YAML alias bomb?)")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise InputError(f"{name}: invalid YAML (an alias refers to the value holding it)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


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
    if not all(keys):
        raise InputError(f"--set {dotted}={value}: empty key")
    node = cfg
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise InputError(f"--set {dotted}={value}: '{k}' is a value, not a section")
    node[keys[-1]] = load_yaml(value, f"--set {dotted}={value}") if isinstance(value, str) else value
