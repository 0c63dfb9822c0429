"""Alignment on real ASR evidence: Whisper (the stored base model) on a synthesised sentence."""
from __future__ import annotations

import pytest

from callfix.align import align_call, load_glossaries
from callfix.io.vendor import parse_vendor_text
from callfix.config import load_config, merge


@pytest.mark.slow
def test_audio_decides_which_glossary_confusion_to_fix(models_ready, tmp_path):
    from callfix.asr import transcribe
    from callfix.audio import decode
    from tests.conftest import espeak

    said = "Unlike Google Cloud, Kingsoft Cloud grew its gross margin to nineteen percent in the fourth quarter."
    wav = espeak(said, tmp_path / "said.wav")
    cfg = merge(load_config(), {"align": {"glossaries": ["earnings", "kingsoft-cloud"]}})
    evidence = transcribe(decode(wav, tmp_path), cfg, hotwords=load_glossaries(cfg["align"]["glossaries"]).hotwords())
    # Both "Google Cloud" and "Jinshan Cloud" are known confusions for Kingsoft Cloud; only one is wrong here.
    vendor = parse_vendor_text("Unlike Google Cloud, Jinshan Cloud grew its gross margin to 91% in the fourth quarter.\n")
    out = align_call(evidence, vendor, cfg)
    text = out.paragraphs[0].corrected
    assert text.startswith("Unlike Google Cloud, Kingsoft Cloud grew its gross margin to 19%")
    assert not any("Google" in e.vendor for e in out.edits)  # the audio agrees with the vendor there
    applied = {e.vendor.split()[0]: e for e in out.edits if e.decision == "applied"}
    assert applied["Jinshan"].evidence["glossary"]["confusion"] == ["Jinshan Cloud", "Kingsoft Cloud"]
    assert applied["91%"].replacement == "19%" and "number" in applied["91%"].evidence
    tokens = out.paragraphs[0].tokens
    assert all(k.start is not None for k in tokens) and tokens[0].start < 1.0
