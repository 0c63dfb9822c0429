"""The package carries its own configs and glossaries: a wheel holds them, and a non-editable install runs with
no source tree (a Ray worker node, a user's `pip install`)."""
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_holds_configs_and_a_plain_install_runs_without_the_tree(tmp_path):
    # built from a copy: setuptools builds in the source folder and would leave build/ in the checkout
    src = tmp_path / "src"
    shutil.copytree(ROOT / "callfix", src / "callfix", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    wheels = tmp_path / "whl"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(src), "-w", str(wheels)],
                   check=True, capture_output=True)
    (wheel,) = wheels.glob("callfix-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "callfix" / "configs").rglob("*.yaml")}
    assert {"callfix/configs/default.yaml", "callfix/configs/models.yaml",
            "callfix/configs/glossaries/earnings.yaml"} <= shipped
    assert shipped <= names, shipped - names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = ("import callfix, callfix.config as c, callfix.align.glossary as g;"
             "print(callfix.__file__); cfg = c.load_config('fast');"
             "print(cfg['asr']['beam_size'], len(g.load_glossaries(cfg['align']['glossaries']).sources))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out[0].startswith(str(target)), out  # the installed copy, not the source tree
    assert out[1:] == ["1", "1"]
    helped = subprocess.run([sys.executable, "-m", "callfix", "run", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "--transcript" in helped.stdout, helped.stderr
