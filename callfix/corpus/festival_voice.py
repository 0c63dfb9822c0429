"""Debian festival voices (``festival:cmu_us_slt_arctic_hts``, ``festival:kal_diphone``,
``festival:ked_diphone``; short forms ``us_slt_hts``, ``slt``, ``kal``, ``ked``) via text2wave."""
from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from callfix.errors import CallfixError, InputError

ALIASES = {"us_slt_hts": "cmu_us_slt_arctic_hts", "slt": "cmu_us_slt_arctic_hts",
           "slt_hts": "cmu_us_slt_arctic_hts", "kal": "kal_diphone", "ked": "ked_diphone"}
PACKAGES = {"cmu_us_slt_arctic_hts": "festvox-us-slt-hts", "kal_diphone": "festvox-kallpc16k",
            "ked_diphone": "festvox-kdlpc16k"}
NATURAL_WPM = 165.0


def name(voice: str) -> str:
    v = voice.split(":", 1)[1]
    return ALIASES.get(v, v)


def require() -> None:
    if not shutil.which("text2wave"):
        raise CallfixError("festival voices need festival (apt-get install festival festvox-us-slt-hts "
                           "festvox-kallpc16k festvox-kdlpc16k)")


@lru_cache(maxsize=1)
def installed() -> tuple[str, ...]:
    r = subprocess.run(["festival", "--batch", "(print (voice.list))"], capture_output=True, text=True, timeout=60)
    return tuple(r.stdout.strip().strip("()").split())


def check(voice: str, where: str) -> None:
    v = name(voice)
    if v not in installed():
        hint = f"; apt-get install {PACKAGES[v]}" if v in PACKAGES else ""
        raise InputError(f"{where}: festival has no voice {v!r} (it has {', '.join(installed()) or 'none'}{hint})")


def synthesize(text_file: Path, voice: str, dest: Path) -> Path:
    """WAV at the voice's own rate and speed (HTS voices ignore Duration_Stretch, so the caller
    sets the speaking rate afterwards with sox tempo, for every festival voice alike)."""
    r = subprocess.run(["text2wave", "-eval", f"(voice_{name(voice)})", str(text_file), "-o", str(dest)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0 or not dest.is_file():
        raise CallfixError(f"text2wave failed for {voice}: {(r.stderr.strip().splitlines() or ['no output'])[-1]}")
    return dest
