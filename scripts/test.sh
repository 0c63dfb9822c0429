#!/usr/bin/env bash
# Set up, then run the whole test suite (real models on short audio, a headless-browser test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1
.venv/bin/python -m pytest -q "$@"
