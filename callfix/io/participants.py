"""A call's participants file: YAML or JSON, a list of {name, role, organization, aliases}."""
from __future__ import annotations

import json
from pathlib import Path

from callfix.config import read_yaml
from callfix.errors import InputError


def load_participants(path) -> list[dict] | None:
    if not path:
        return None
    p = Path(path)
    if p.suffix == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{p}: cannot read participants ({e})") from None
        except RecursionError:
            raise InputError(f"{p}: cannot read participants (JSON nested too deeply)") from None
    else:
        if not p.is_file():
            raise InputError(f"{p}: participants file not found")
        data = read_yaml(p, mapping=False)  # a bare list, as --help shows, or {participants: [...]}
    data = data.get("participants", data) if isinstance(data, dict) else data
    if not isinstance(data, list) or not all(isinstance(x, dict) and x.get("name") for x in data):
        raise InputError(f"{p}: expected a list of participants, each with a name")
    return data
