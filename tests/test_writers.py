"""Output writers: every format, vendor layout, atomic writes."""
from __future__ import annotations

import json
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callfix.align import align_call
from callfix.io.vendor import read_vendor
from callfix.cli import main
from callfix.config import load_config
from callfix.errors import OutputError
from callfix.io.writers import speaker_runs, write_outputs
from callfix.model import Speaker, Transcript

from align_fixtures import VENDOR, demo_evidence, demo_vendor

CFG = load_config()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    ev = demo_evidence()
    ev.speakers = [Speaker("SPEAKER_00", name="Nicole Shan"), Speaker("SPEAKER_01", name="Henry He")]
    t = align_call(ev, demo_vendor(), CFG)
    out = tmp_path_factory.mktemp("out")
    return t, out, write_outputs(t, out)


def test_all_formats_written_atomically(written):
    _, out, paths = written
    names = sorted(p.name for p in paths)
    assert names == sorted(["transcript.txt", "transcript.json", "transcript.srt", "transcript.vtt",
                            "transcript.docx", "transcript.stm", "transcript.ctm", "transcript.rttm", "edits.json"])
    assert all(p.stat().st_size > 0 for p in paths)
    assert not list(out.glob(".*.part"))


def test_text_keeps_vendor_layout_with_times_and_names(written):
    t, out, _ = written
    lines = (out / "transcript.txt").read_text().splitlines()
    assert lines[:2] == VENDOR.splitlines()[:2]  # disclaimer and date kept
    assert lines[2] == ("[00:00:00] Nicole Shan: Good day and welcome to Google Cloud's fourth quarter call. "
                        "Our gross margin was 20% in 2025 and we expect more.")
    assert lines[4].startswith("[00:00:42] Henry He: Thank you. Our non-GAAP net income grew")
    assert lines[6] == "[00:01:00] Henry He (Mandarin source): 经调整后经营利润首次转正"
    assert all(re.match(r"^\[\d\d:\d\d:\d\d\] [^:]+: ", ln) for ln in lines[2:])


def test_json_round_trip_and_edits_file(written):
    t, out, _ = written
    back = Transcript.load(out / "transcript.json")
    assert [p.corrected for p in back.paragraphs] == [p.corrected for p in t.paragraphs]
    assert len(back.edits) == len(t.edits)
    ed = json.loads((out / "edits.json").read_text())
    assert ed["summary"]["applied"] == sum(e.decision == "applied" for e in t.edits)
    assert {e["decision"] for e in ed["edits"]} <= {"applied", "suggested", "kept"}


def test_subtitles_read_back_as_cues(written):
    _, out, _ = written
    srt = read_vendor(out / "transcript.srt")
    assert srt.meta["vendor"]["format"] == "srt" and srt.paragraphs[0].speaker == "Nicole Shan"
    assert all(p.start is not None and p.end >= p.start for p in srt.paragraphs)
    assert "gross margin" in " ".join(p.text for p in srt.paragraphs)
    vtt = read_vendor(out / "transcript.vtt")
    assert vtt.meta["vendor"]["format"] == "vtt"
    assert {p.speaker for p in vtt.paragraphs} == {"Nicole Shan", "Henry He"}


def test_stm_ctm_rttm_fields(written):
    _, out, _ = written
    stm = [ln.split() for ln in (out / "transcript.stm").read_text().splitlines() if not ln.startswith(";;")]
    assert all(len(f) >= 6 and float(f[4]) >= float(f[3]) for f in stm)
    ctm = [ln.split() for ln in (out / "transcript.ctm").read_text().splitlines()]
    assert all(len(f) == 6 and float(f[3]) >= 0 for f in ctm)
    assert [f[4] for f in ctm[:3]] == ["Good", "day", "and"]
    rttm = [ln.split() for ln in (out / "transcript.rttm").read_text().splitlines()]
    assert rttm and all(len(f) == 10 and f[0] == "SPEAKER" for f in rttm)
    assert {f[7] for f in rttm} == {"Nicole_Shan", "Henry_He"}


def test_docx_opens(written):
    from docx import Document

    _, out, _ = written
    text = "\n".join(p.text for p in Document(str(out / "transcript.docx")).paragraphs)
    assert "Nicole Shan:" in text and "经调整后经营利润首次转正" in text and "machine_translation" in text


def test_speaker_change_inside_paragraph_splits_the_line():
    ev = demo_evidence()
    for w in ev.segments[0].words[12:]:
        w.speaker = "SPEAKER_01"
    t = align_call(ev, demo_vendor(), CFG)
    runs = speaker_runs(t, t.paragraphs[0])
    assert [r.speaker for r in runs] == ["SPEAKER_00", "SPEAKER_01"]
    assert " ".join(r.text for r in runs) == t.paragraphs[0].corrected


def test_unwritable_output_is_a_clear_error(tmp_path, written):
    t, _, _ = written
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_outputs(t, blocker / "sub")


def test_align_command(tmp_path, capsys):
    demo_evidence().save(tmp_path / "asr.json")
    (tmp_path / "vendor.txt").write_text(VENDOR)
    rc = main(["align", "--asr", str(tmp_path / "asr.json"), "--transcript", str(tmp_path / "vendor.txt"),
               "-o", str(tmp_path / "out"), "--no-review"])
    assert rc == 0
    assert "applied" in capsys.readouterr().out
    assert (tmp_path / "out" / "transcript.txt").is_file() and (tmp_path / "out" / "edits.json").is_file()
    (tmp_path / "junk.txt").write_bytes(random.Random(0).randbytes(3000))
    rc = main(["align", "--asr", str(tmp_path / "asr.json"), "--transcript", str(tmp_path / "junk.txt"),
               "-o", str(tmp_path / "out2")])
    err = capsys.readouterr().err
    assert rc == 2 and "junk.txt" in err and "Traceback" not in err
    assert not (tmp_path / "out2").exists()


def test_speakers_change_between_sentences_not_inside():
    from callfix.text import tokenize
    from callfix.io.writers import sentence_speakers

    toks = tokenize("It is my pleasure to introduce Mr. Zou. Please go ahead. Thank you all, this is Henry speaking now.")
    who = ["A"] * 6 + ["B"] * 5 + ["B"] * 8  # timings drifted: "Mr. Zou." and "Please go ahead." heard late
    for k, s in zip(toks, who):
        k.speaker = s
    spk = sentence_speakers(toks)
    assert spk[:8] == ["A"] * 8  # "Mr." does not end a sentence; the sentence votes A
    assert spk[8:11] == ["B"] * 3 and spk[11:] == ["B"] * 8
    toks2 = tokenize("Thank you all for joining us today and goodbye. Bye now.")
    for i, k in enumerate(toks2):
        k.speaker = "A" if i < 9 else "B"
    assert sentence_speakers(toks2) == ["A"] * 11  # a 2-token sentence at the edge joins its neighbour


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["SPEAKER_00", "SPEAKER_01", None]), min_size=60, max_size=60))
def test_text_output_reads_back_as_the_corrected_transcript(who):
    from callfix.io.vendor import parse_vendor_text
    from callfix.io.writers import text_output

    ev = demo_evidence()
    for w, s in zip(ev.words, who):
        w.speaker = s
    t = align_call(ev, demo_vendor(), CFG)
    back = parse_vendor_text(text_output(t))
    assert back.meta["vendor"]["format"] == "callfix" and back.header == t.header
    said = [p for p in back.paragraphs if not (p.speaker or "").endswith("(Mandarin source)")]
    assert " ".join(p.text for p in said) == " ".join(p.corrected for p in t.paragraphs if p.corrected)
    assert [p.text for p in back.paragraphs if p not in said] == ["经调整后经营利润首次转正"]
    assert all(p.start is not None for p in back.paragraphs)
