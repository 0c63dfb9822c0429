#!/usr/bin/env bash
# Set up callfix on a fresh Debian/Ubuntu machine: system tools, a virtualenv with the pinned
# Python stack, and the default models in the local store. Safe to run again: it skips what is done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg sox libsox-fmt-all espeak-ng flite chromium chromium-driver fonts-wqy-microhei
  festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k)  # festival: voices of the test calls
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.callfix-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv (first run downloads the torch stack, ~5 min)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi

export PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1
.venv/bin/callfix models pull
.venv/bin/callfix models pull piper-joe  # the Piper voice of the test calls
.venv/bin/callfix models convert >/dev/null
