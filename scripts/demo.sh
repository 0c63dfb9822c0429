#!/usr/bin/env bash
# Set up, then correct the bundled example call and benchmark it against its exact reference.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYANNOTE_METRICS_ENABLED=false HF_HUB_OFFLINE=1
DEMO=examples/kingsoft-q4-demo
OUT=${1:-demo-out}
.venv/bin/callfix run "$DEMO/call.flac" --transcript "$DEMO/vendor.txt" --participants "$DEMO/participants.yaml" -o "$OUT"
.venv/bin/callfix bench --ref "$DEMO/reference.json" --vendor "$DEMO/vendor.txt" --asr "$OUT/asr.json" \
  --hyp "$OUT/transcript.json" --ref-rttm "$DEMO/reference.rttm" --hyp-rttm "$OUT/transcript.rttm" -o "$OUT/bench"
echo "demo: corrected transcript $OUT/transcript.txt, review page $OUT/review.html, benchmark $OUT/bench/"
