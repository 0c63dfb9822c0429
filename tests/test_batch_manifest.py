"""Manifests, fingerprints and publishing: the pure logic of `callfix batch` (no models)."""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.batch import resume
from callfix.batch.manifest import CallSpec, load_manifest
from callfix.batch.runner import Journal, write_summary
from callfix.batch.job import CallResult
from callfix.config import load_config
from callfix.errors import InputError


def _touch(p: Path, data: bytes = b"x") -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_csv_manifest_resolves_paths_and_per_call_config(tmp_path):
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "people.yaml").write_text("participants:\n  - {name: Zou Tao, role: CEO}\n")
    m = tmp_path / "calls" / "m.csv"
    m.write_text(
        "id,audio,transcript,reference,languages,glossary,speakers,participants,set\n"
        "q4,a/q4.flac,v/q4.txt,r/q4.json,en;zh,earnings;extra.yaml,3,people.yaml,asr.beam_size=1;align.min_coverage=0.5\n"
        "# a comment line\n"
        ",/abs/q3.wav,q3.txt,,,,,\"Henry He, CFO, Kingsoft Cloud; Brian Gong\",\n"
    )
    a, b = load_manifest(m)
    base = (tmp_path / "calls").resolve()
    assert a.id == "q4" and a.audio == base / "a/q4.flac" and a.transcript == base / "v/q4.txt"
    assert a.reference == base / "r/q4.json"
    assert a.overrides == {
        "asr": {"languages": ["en", "zh"], "beam_size": 1},
        "align": {"glossaries": ["earnings", str(base / "extra.yaml")], "min_coverage": 0.5},
        "diarize": {"num_speakers": 3},
    }
    assert a.participants == [{"name": "Zou Tao", "role": "CEO"}]
    assert b.id == "q3" and b.audio == Path("/abs/q3.wav") and b.reference is None and b.overrides == {}
    assert b.participants == [{"name": "Henry He", "role": "CFO", "organization": "Kingsoft Cloud"},
                              {"name": "Brian Gong", "role": None, "organization": None}]


def test_jsonl_manifest(tmp_path):
    m = tmp_path / "m.jsonl"
    rows = [
        {"audio": "x.flac", "vendor": "x.txt", "languages": ["en"], "participants": ["A", {"name": "B", "role": "CFO"}],
         "config": {"diarize": {"threshold": 0.5}}},
        {"call_id": "two/evil id", "audio": "y.flac", "transcript": "y.txt"},
    ]
    m.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    a, b = load_manifest(m)
    assert a.id == "x" and a.overrides == {"asr": {"languages": ["en"]}, "diarize": {"threshold": 0.5}}
    assert a.participants == [{"name": "A"}, {"name": "B", "role": "CFO"}]
    assert b.id == "two_evil_id"  # ids become safe folder names


@pytest.mark.parametrize(
    "name,text,problem",
    [
        ("m.csv", "audio,transcript\n", "lists no calls"),
        ("m.csv", "audio,transcript,colour\na.wav,a.txt,red\n", "unknown column(s) colour"),
        ("m.csv", "audio,transcript\na.wav,\n", "m.csv:2: no transcript path"),
        ("m.csv", "audio,transcript\na.wav,a.txt\nb/a.wav,b.txt\n", "call id 'a' repeats line 2"),
        ("m.csv", "audio,transcript,speakers\na.wav,a.txt,two\n", "speakers must be a whole number"),
        ("m.jsonl", '{"audio": "a.wav", "transcript": "a.txt"}\n{"audio": \n', "m.jsonl:2: invalid JSON"),
        ("m.jsonl", '["a.wav", "a.txt"]\n', "expected a JSON object"),
        ("m.csv", "audio,transcript,set\na.wav,a.txt,beam\n", "is not KEY=VALUE"),
    ],
)
def test_bad_manifest_is_one_clear_error(tmp_path, name, text, problem):
    m = tmp_path / name
    m.write_text(text)
    with pytest.raises(InputError) as e:
        load_manifest(m)
    assert problem in str(e.value) and str(m) in str(e.value) and "\n" not in str(e.value)


def test_a_set_key_is_checked_by_the_typed_options_as_set_on_the_command_line_is(tmp_path):
    from callfix.options import Options

    m = tmp_path / "m.csv"
    m.write_text('audio,transcript,set\na.wav,a.txt,asr.beam_size=1\nb.wav,b.txt,"align.verify.enabld=false"\n')
    with pytest.raises(InputError) as e:
        load_manifest(m)
    with pytest.raises(InputError) as cli:
        Options.from_dict({"align": {"verify": {"enabld": False}}})
    assert str(e.value) == f"{m}:3: {cli.value}"  # the same line, after the manifest's file and row
    assert "did you mean align.verify.enabled?" in str(e.value) and "\n" not in str(e.value)
    j = tmp_path / "m.jsonl"
    j.write_text('{"audio": "a.wav", "transcript": "a.txt", "set": {"asr": {"beam_size": "many"}}}\n')
    with pytest.raises(InputError, match=rf"^{j}:1: asr\.beam_size='many': expected a whole number$"):
        load_manifest(j)


def test_missing_and_binary_manifest(tmp_path):
    with pytest.raises(InputError, match="manifest not found"):
        load_manifest(tmp_path / "nope.csv")
    _touch(tmp_path / "b.csv", "audio,transcript\n".encode("utf-16"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_manifest(tmp_path / "b.csv")


def _spec(tmp_path) -> CallSpec:
    return CallSpec("c1", _touch(tmp_path / "c1.flac", b"audio"), _touch(tmp_path / "c1.txt", b"vendor"))


def test_fingerprint_changes_with_inputs_and_results_config_only(tmp_path):
    spec, cfg = _spec(tmp_path), load_config()
    fp = resume.fingerprint(spec, cfg)
    # speed knobs: same fingerprint
    faster = json.loads(json.dumps(cfg))
    faster["asr"]["cpu_threads"] = 7
    faster["batch"]["workers"] = 4
    assert resume.fingerprint(spec, faster) == fp
    # a different glossary or a changed transcript: not finished any more
    other = json.loads(json.dumps(cfg))
    other["align"]["glossaries"] = ["earnings", "mine.yaml"]
    assert resume.fingerprint(spec, other) != fp
    os.utime(spec.transcript, ns=(1, 1))
    spec.transcript.write_bytes(b"vendor, edited")
    assert resume.fingerprint(spec, cfg)["inputs"]["transcript"] != fp["inputs"]["transcript"]
    spec.participants = [{"name": "Zou Tao"}]
    assert resume.fingerprint(spec, cfg)["participants"] != fp["participants"]


def test_publish_swaps_whole_folder_and_marker_decides(tmp_path):
    spec, cfg = _spec(tmp_path), load_config()
    fp = resume.fingerprint(spec, cfg)
    out = tmp_path / "out"
    final = out / spec.id
    # a stale folder from an older config stays until the new one is complete
    _touch(final / "transcript.txt", b"old")
    _touch(final / resume.MARKER, json.dumps({"fingerprint": {"config": "older"}}).encode())
    assert resume.is_finished(final, fp) is None
    build = resume.partial_dir(out, spec.id)
    _touch(build / "transcript.txt", b"new")
    assert resume.is_finished(final, fp) is None
    resume.publish(build, final, {"fingerprint": fp})
    assert (final / "transcript.txt").read_bytes() == b"new"
    assert resume.is_finished(final, fp)["fingerprint"] == fp
    assert not build.exists()
    assert [p.name for p in (out / resume.PARTIAL).iterdir()] == []  # the stale copy was removed
    resume.clear_partials(out)
    assert not (out / resume.PARTIAL).exists()


def test_summary_and_journal(tmp_path):
    rs = [CallResult("a", "done", 10.0, 100.0, 0.1, speech_coverage=0.98, wer_vendor=0.2, wer=0.05, edits_applied=3),
          CallResult("b", "failed", 0.1, error="b.flac: empty file (0 bytes)")]
    write_summary(tmp_path, rs)
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert rows[0]["call_id"] == "a" and rows[0]["wer"] == "0.05" and rows[0]["rtf"] == "0.1"
    assert rows[0]["speech_coverage"] == "0.98"
    assert rows[1]["status"] == "failed" and rows[1]["error"] == "b.flac: empty file (0 bytes)" and rows[1]["wer"] == ""
    j = Journal(tmp_path / "log.jsonl", "run1")
    j.write("a", "start")
    j.write("a", "done", seconds=1.5, error=None)
    recs = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(r["call"], r["event"]) for r in recs] == [("a", "start"), ("a", "done")] and "error" not in recs[1]


_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_names, _names), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_csv_round_trip_property(tmp_path_factory, rows):
    """Any file names survive CSV quoting; ids are unique, safe folder names."""
    d = tmp_path_factory.mktemp("m")
    m = d / "m.csv"
    with m.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "audio", "transcript"])
        for i, (a, t) in enumerate(rows):
            w.writerow([f"call-{i}", a.strip() or "a", t.strip() or "t"])
    rows = [r for r in rows]
    try:
        specs = load_manifest(m)
    except InputError:
        # a name that starts with '#' is a comment line by design; nothing else may fail
        assert any((a.strip() or "a").startswith("#") or "\n" in a or "\r" in a for a, _ in rows)
        return
    assert len({s.id for s in specs}) == len(specs)
    for s in specs:
        assert "/" not in s.id and s.id not in (".", "..")
        assert s.audio.is_absolute() and s.transcript.is_absolute()


def test_a_calls_line_shows_diarization_beside_transcription():
    from callfix.batch.progress import StageReporter

    events = []
    report = StageReporter("c1", events.append, min_interval=0)
    report("segmentation", completed=1, total=10)
    report("transcribe", completed=5.0, total=100.0)
    report("speaker_counting", object())  # a step handing over its result only: not shown
    report("embeddings", [0.1], completed=3, total=6)
    report("transcribe", completed=50.0, total=100.0)
    assert events == [
        ("c1", "diarize: segmentation 10%", None),
        ("c1", "transcribe | diarize: segmentation 10%", 0.05),
        ("c1", "transcribe | diarize: embeddings 50%", 0.05),  # the line's bar stays on transcription
        ("c1", "transcribe | diarize: embeddings 50%", 0.5),
    ]
