"""Real recordings with published references, through real Whisper and the benchmark."""
from __future__ import annotations

from pathlib import Path

import pytest

from callfix.bench import read_doc
from callfix.io.references import from_transcript
from callfix.bench.score import score_call

DATA = Path(__file__).resolve().parent / "data"


def _asr(audio_path: Path, tmp_path: Path):
    from callfix import store
    from callfix.asr import transcribe
    from callfix.audio import decode
    from callfix.config import load_config

    try:
        store.locate("whisper-base")
    except Exception as e:  # the store is filled by `callfix models pull`
        pytest.skip(f"whisper-base not in the model store: {e}")
    return transcribe(decode(audio_path, tmp_path), load_config())


@pytest.mark.slow
@pytest.mark.parametrize("folder,audio,metric,limit", [
    ("jfk", "jfk.flac", "wer_en", 0.10),
    ("librispeech-1272-128104-0000", "1272-128104-0000.flac", "wer_en", 0.10),
    ("aishell1-BAC009S0764W0121", "BAC009S0764W0121.wav", "cer_zh", 0.25),
])
def test_published_reference_scores(tmp_path, folder, audio, metric, limit):
    ref = read_doc(DATA / folder / "reference.txt")
    hyp = from_transcript(_asr(DATA / folder / audio, tmp_path), "asr")
    res = score_call(ref, {"asr": hyp})["sources"]["asr"]
    assert res[metric]["ref_tokens"] == {"jfk": 22, "librispeech-1272-128104-0000": 17}.get(folder, 13)
    assert res[metric]["rate"] <= limit, res[metric]
