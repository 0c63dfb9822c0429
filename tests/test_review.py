"""Review page, edits.csv / transcript.diff, rebuilding text from decisions, decisions.json validation."""
from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.audio import probe
from callfix.cli import main
from callfix.errors import InputError
from callfix.model import Edit, Transcript
from callfix.review import render_review, transcript_id
from callfix.review.apply import reviewed_transcript
from callfix.review.decisions import Review, load_decisions
from callfix.model import Paragraph
from callfix.review.rebuild import check_edits, rebuild_paragraph, rebuild_transcript
from callfix.review.tables import transcript_diff
from review_fixtures import HOSTILE, make_transcript, tone


def _e(text: str, vendor: str, repl: str, eid="x", at: int | None = None, kind="replace") -> Edit:
    cs = text.index(vendor) if at is None else at
    return Edit(id=eid, paragraph=0, kind=kind, vendor=vendor, replacement=repl, decision="applied",
                char_start=cs, char_end=cs + len(vendor))


@pytest.fixture()
def out(tmp_path: Path) -> Path:
    tone(tmp_path / "call.flac")
    make_transcript("call.flac").save(tmp_path / "transcript.json")
    return tmp_path


# --- rebuilding text -------------------------------------------------------------------------

def test_rebuild_follows_automatic_classes_and_editor_choices():
    t = make_transcript()
    auto = rebuild_transcript(t)
    assert auto[0].text == "Thank you, operator. Welcome to Kingsoft Cloud's fourth quarter call."
    assert auto[1].text == "Our gross margin improved and non-gap net loss narrowed. Thank you."
    assert auto[2].text == t.paragraphs[2].text  # kept edit stays out
    chosen = rebuild_transcript(t, {"e2": "reject", "e3": "accept", "e5": "accept"})
    assert chosen[1].text == "Our growth margin improved and non-GAAP net loss narrowed. Thank you."
    assert chosen[2].text == "After adjustment, business profits are turned positive for the first time."


def rebuild_text(text: str, chosen: list[Edit]):
    return rebuild_paragraph(Paragraph(index=0, text=text), chosen)


def test_deletion_and_insertion_keep_single_spaces():
    text = "well, um, we grew. um"
    assert rebuild_text(text, [_e(text, "um,", "", kind="delete")]).text == "well, we grew. um"
    assert rebuild_text(text, [_e(text, "well,", "", kind="delete")]).text == "um, we grew. um"
    assert rebuild_text(text, [_e(text, "um", "", at=text.rindex("um"), kind="delete")]).text == "well, um, we grew."
    ins = Edit(id="i", paragraph=0, kind="insert", vendor="", replacement="strongly", decision="applied",
               char_start=3, char_end=3)
    assert rebuild_text("we grew", [ins]).text == "we strongly grew"
    assert rebuild_text("增长了", [_e("增长了", "长", "强")]).text == "增强了"


def test_rebuilt_tokens_take_the_edit_time():
    t = make_transcript()
    r = rebuild_transcript(t, {"e3": "accept"})[1]
    tok = next(k for k in r.tokens if k.text == "non-GAAP")
    assert (tok.start, tok.end) == (4.5, 5.5) and r.text[tok.offset:tok.offset + 8] == "non-GAAP"


def test_overlapping_chosen_edits_are_reported_not_garbled():
    text = "growth margin up"
    r = rebuild_text(text, [_e(text, "growth margin", "gross margin", "a"), _e(text, "margin", "margins", "b")])
    assert r.text == "gross margin up" and r.conflicts == ["b"]


words = st.lists(st.text(alphabet="abcXYZ,.-é中", min_size=1, max_size=6), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(words=words, data=st.data())
def test_rebuild_splices_replacements_exactly(words, data):
    text = " ".join(words)
    # non-overlapping spans over whole words, each replaced by non-empty text
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(words)), max_size=8))))
    edits, expected, prev = [], "", 0
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a == b:
            continue
        cs, ce = starts[a], starts[b - 1] + len(words[b - 1])
        repl = data.draw(st.text(alphabet="pqr ", min_size=1, max_size=5))
        edits.append(Edit(id=f"e{a}", paragraph=0, kind="replace", vendor=text[cs:ce], replacement=repl,
                          decision="applied", char_start=cs, char_end=ce))
        expected += text[prev:cs] + repl
        prev = ce
    expected += text[prev:]
    assert rebuild_text(text, edits).text == expected
    assert rebuild_text(text, edits).conflicts == []
    # reverting every edit gives the vendor text back, whatever the order the edits come in
    assert rebuild_text(text, []).text == text
    assert rebuild_text(text, list(reversed(edits))).text == expected


def test_check_edits_rejects_offsets_that_miss_the_vendor_text():
    t = make_transcript()
    t.edits[1].char_start += 1
    with pytest.raises(InputError, match=r"transcript.json: edit e2 offsets .* not its vendor text"):
        check_edits(t, "transcript.json")
    t = make_transcript()
    t.edits[0].decision = "rejected"
    with pytest.raises(InputError, match="edit e1 has decision 'rejected'; expected one of applied, suggested, kept"):
        check_edits(t, "transcript.json")
    t = make_transcript()
    t.edits[0].paragraph = 99
    with pytest.raises(InputError, match="paragraph 99"):
        check_edits(t, "transcript.json")


# --- decisions.json ----------------------------------------------------------------------------

def _decisions(path: Path, t: Transcript, decisions: dict, tid: str | None = None) -> Path:
    path.write_text(json.dumps({"transcript": tid or transcript_id(t), "decisions": decisions}))
    return path


def test_transcript_id_is_stable_and_tracks_edits():
    a, b = make_transcript("x/call.flac"), make_transcript("x/call.flac")
    assert transcript_id(a) == transcript_id(b) and transcript_id(a).startswith("call-")
    b.edits[0].replacement = "Kingsoft Cloud"
    assert transcript_id(a) != transcript_id(b)
    b.edits[0].replacement, b.edits[0].decision, b.edits[0].evidence = a.edits[0].replacement, "kept", {}
    assert transcript_id(a) == transcript_id(b)  # classes and evidence do not change which edits exist


def test_decisions_file_is_validated(tmp_path: Path):
    t = make_transcript("call.flac")
    ok = _decisions(tmp_path / "d.json", t, {"e1": "reject", "e3": "accept"})
    assert load_decisions(ok, t) == Review(choices={"e1": "reject", "e3": "accept"})
    tid = transcript_id(t)
    full = tmp_path / "full.json"
    full.write_text(json.dumps({"transcript": tid, "decisions": {"e1": {"decision": "accept", "text": "Kingsoft Cloud"},
                                                                  "e2": {"decision": "reject"}},
                                "speakers": {"SPEAKER_01": " Zou Tao, CEO ", "NEW_1": "Jane Doe"},
                                "paragraph_speakers": {"2": "NEW_1"}}))
    assert load_decisions(full, t) == Review(choices={"e1": "accept", "e2": "reject"}, texts={"e1": "Kingsoft Cloud"},
                                             speakers={"SPEAKER_01": "Zou Tao, CEO", "NEW_1": "Jane Doe"},
                                             paragraph_speakers={2: "NEW_1"})
    cases = {
        "not valid JSON": "{nope",
        "expected": json.dumps([1, 2]),
        "are for transcript 'other'": json.dumps({"transcript": "other", "decisions": {}}),
        "unknown edit id": json.dumps({"transcript": transcript_id(t), "decisions": {"e404": "accept"}}),
        "expected \"accept\", \"reject\"": json.dumps({"transcript": tid, "decisions": {"e1": "maybe"}}),
        "rejected but carries a text": json.dumps({"transcript": tid, "decisions": {"e1": {"decision": "reject", "text": "x"}}}),
        "not a string": json.dumps({"transcript": tid, "decisions": {"e1": {"decision": "accept", "text": 5}}}),
        "needs a one-line name": json.dumps({"transcript": tid, "decisions": {}, "speakers": {"SPEAKER_00": ""}}),
        "is not a label": json.dumps({"transcript": tid, "decisions": {}, "speakers": {"<b>": "x"}}),
        "paragraph '9' does not exist": json.dumps({"transcript": tid, "decisions": {}, "paragraph_speakers": {"9": "SPEAKER_00"}}),
        "neither in the transcript": json.dumps({"transcript": tid, "decisions": {}, "paragraph_speakers": {"1": "NOBODY"}}),
    }
    for problem, body in cases.items():
        bad = tmp_path / "bad.json"
        bad.write_text(body)
        with pytest.raises(InputError, match=re.escape(f"{bad}: ") + ".*" + re.escape(problem)):
            load_decisions(bad, t)
    with pytest.raises(InputError, match="missing.json: file not found"):
        load_decisions(tmp_path / "missing.json", t)


def test_reviewed_transcript_records_outcomes():
    t = make_transcript()
    r = reviewed_transcript(t, {"e1": "reject", "e3": "accept"})
    assert r.paragraphs[0].corrected == t.paragraphs[0].text
    assert "non-GAAP" in r.paragraphs[1].corrected
    by_id = {e.id: e for e in r.edits}
    assert by_id["e1"].decision == "kept" and by_id["e1"].evidence["review"] == {"auto": "applied", "editor": "reject"}
    assert by_id["e3"].decision == "applied" and by_id["e6"].decision == "suggested"
    assert r.meta["review"]["accepted"] == 1 and r.meta["review"]["undecided"] == 4
    assert t.edits[0].decision == "applied"  # the input is untouched


# --- the page and the tables ---------------------------------------------------------------------

def test_page_escapes_transcript_text_and_embeds_data_safely(out: Path):
    page = render_review(out).read_text(encoding="utf-8")
    # exactly two script elements: the JSON data block and our code; no injected tag anywhere
    assert len(re.findall(r"<script\b", page)) == 2 and "<img" not in page
    p3 = re.search(r'<section [^>]*id="p-3".*?</section>', page, re.S).group(0)
    assert HOSTILE in html.unescape(re.sub(r"<[^>]+>", "", p3))  # shown as text, word by word
    assert html.escape("Brian Gong" + HOSTILE) in p3  # the proposal, escaped whole
    data = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S).group(1)
    assert "</" not in data and "<" not in data
    parsed = json.loads(data)
    assert parsed["id"] == transcript_id(make_transcript("call.flac"))
    assert parsed["edits"][5]["replacement"] == "Brian Gong" + HOSTILE
    assert parsed["audio"][0] == "call.flac" and 'src="call.flac"' in page
    # the policy allows our script only (by hash) and no network source at all
    js = re.search(r"<script>(.*)</script></body>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "http://" not in page and "https://" not in page


def test_page_shows_speakers_times_languages_and_mandarin_beside_translation(out: Path):
    page = render_review(out).read_text(encoding="utf-8")
    assert page.count('class="para') == 4
    assert re.search(r'<button [^>]*class="who"[^>]*>Zou Tao</button>', page) and "0:09–0:12" in page
    mt = re.search(r'<section class="para" id="p-2".*?</section>', page, re.S).group(0)
    assert "经调整后，业务利润首次扭亏为盈。" in mt and "Vendor's English (kept)" in mt
    assert 'class="edit kept k-replace off"' in mt
    assert '<del><span data-t="10.50">twisted</span></del><ins class="repl">turned positive</ins>' in mt
    assert 'class="edit applied k-replace on"' in page and 'class="edit suggested k-replace off"' in page
    # a deletion is marked as one, so the page can strike it even before it takes effect
    assert 'class="edit applied k-delete deletion on"' in page
    # every timed word carries its start, for click-to-play and the playing-word highlight
    assert '<span data-t="4.88">improved</span>' in page


def test_audio_is_referenced_relative_to_the_page(tmp_path: Path):
    (tmp_path / "my calls").mkdir()
    audio = tone(tmp_path / "my calls" / "q4 call.flac")
    out = tmp_path / "out"
    out.mkdir()
    make_transcript(str(audio)).save(out / "transcript.json")
    page = render_review(out).read_text(encoding="utf-8")
    assert 'src="../my%20calls/q4%20call.flac"' in page
    # callfix run names the audio relative to the output folder
    again = render_review(out, audio="../my calls/q4 call.flac").read_text(encoding="utf-8")
    assert 'src="../my%20calls/q4%20call.flac"' in again
    with pytest.raises(InputError, match="nowhere.flac: audio file not found"):
        render_review(out, audio=str(tmp_path / "nowhere.flac"))


def test_embedded_clips_are_short_mp3s(out: Path, tmp_path: Path):
    page = render_review(out, audio=str(out / "call.flac"), embed_audio=True).read_text(encoding="utf-8")
    assert 'id="player"' not in page
    data = json.loads(re.search(r'id="review-data">(.*?)</script>', page, re.S).group(1))
    # e2, e3 and e4 share one window (4.5-5.5 s); each other edit has its own
    assert sorted(data["clipOf"]) == ["e1", "e2", "e3", "e4", "e5", "e6"] and len(data["clips"]) == 4
    assert data["clipOf"]["e2"] == data["clipOf"]["e3"] and data["clipOf"]["e2"][1] == 0.0
    mp3 = tmp_path / "clip.mp3"
    mp3.write_bytes(base64.b64decode(data["clips"][data["clipOf"]["e2"][0]].split(",", 1)[1]))
    info = probe(mp3)
    assert info.codec == "mp3" and 2.3 < info.duration < 2.8  # 1 s edit + 0.75 s either side


def test_edits_csv_and_diff(out: Path):
    t = Transcript.load(out / "transcript.json")
    t.edits[1].reason = "=HYPERLINK(\"http://x\")"
    t.save(out / "transcript.json")
    render_review(out)
    raw = (out / "edits.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader((out / "edits.csv").open(encoding="utf-8-sig", newline="")))
    assert [r["id"] for r in rows] == [e.id for e in t.edits]
    assert rows[1]["reason"].startswith("'=") and rows[1]["speaker_name"] == "Zou Tao"
    assert rows[3]["vendor"] == "this one, this one, this one." and rows[3]["replacement"] == ""
    assert "repetition_loop=3" in rows[3]["evidence"] and rows[0]["start"] == "0.500"
    diff = (out / "transcript.diff").read_text(encoding="utf-8")
    assert diff.startswith("--- vendor\n+++ corrected\n")
    assert "-Our growth margin improved and non-gap net loss narrowed. this one, this one, this one. Thank you.\n" in diff
    assert "+Our gross margin improved and non-gap net loss narrowed. Thank you.\n" in diff
    assert transcript_diff(t, {e.id: "reject" for e in t.edits}) == ""


def test_review_command_reports_bad_input_in_one_line(tmp_path: Path, capsys):
    assert main(["review", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"callfix: error: {tmp_path / 'transcript.json'}: file not found"
    (tmp_path / "transcript.json").write_text("{broken")
    assert main(["review", str(tmp_path)]) == 2
    assert "not a callfix transcript JSON" in capsys.readouterr().err
    assert not (tmp_path / "review.html").exists()


def test_review_command_writes_the_three_files(out: Path, capsys):
    assert main(["review", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out / "review.html")
    assert all((out / n).stat().st_size > 0 for n in ("review.html", "edits.csv", "transcript.diff"))


def test_apply_review_writes_every_format_from_the_decisions(out: Path, capsys):
    t = Transcript.load(out / "transcript.json")
    d = _decisions(out / "decisions.json", t, {"e1": "reject", "e3": "accept", "e5": "accept"})
    assert main(["apply-review", str(out), str(d)]) == 0
    written = capsys.readouterr().out.split()
    names = {Path(p).name for p in written}
    assert {"transcript.txt", "transcript.json", "transcript.srt", "transcript.vtt", "transcript.docx",
            "transcript.diff"} <= names
    assert "+Thank you, operator. Welcome to Kings" not in (out / "final" / "transcript.diff").read_text()
    assert "+Our gross margin improved and non-GAAP" in (out / "final" / "transcript.diff").read_text()
    assert all(Path(p).parent == out / "final" for p in written)
    final = Transcript.load(out / "final" / "transcript.json")
    assert [p.corrected for p in final.paragraphs[:3]] == [
        "Thank you, operator. Welcome to Kings of the Cloud fourth quarter call.",
        "Our gross margin improved and non-GAAP net loss narrowed. Thank you.",
        "After adjustment, business profits are turned positive for the first time.",
    ]
    assert final.meta["review"]["accepted"] == 2 and final.meta["review"]["rejected"] == 1
    srt = " ".join((out / "final" / "transcript.srt").read_text(encoding="utf-8").split())
    assert "non-GAAP" in srt and "Kings of the Cloud" in srt and "turned positive" in srt


def test_apply_review_writes_only_the_formats_asked_for(out: Path, capsys):
    t = Transcript.load(out / "transcript.json")
    d = _decisions(out / "decisions.json", t, {"e3": "accept"})
    assert main(["apply-review", str(out), str(d), "--formats", "srt,txt"]) == 0
    written = [Path(p).name for p in capsys.readouterr().out.split()]
    assert written == ["transcript.txt", "transcript.json", "transcript.srt", "transcript.diff"]
    assert sorted(p.name for p in (out / "final").iterdir()) == sorted(written)
    assert main(["apply-review", str(out), str(d), "--formats", "txt,pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'pdf' is not a format (choose from txt, json" in err[0]


def test_apply_review_refuses_bad_decisions_and_writes_nothing(out: Path, capsys):
    bad = _decisions(out / "decisions.json", make_transcript(), {"e1": "accept"}, tid="call-000000000000")
    assert main(["apply-review", str(out), str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"callfix: error: {bad}: decisions are for transcript 'call-000000000000'")
    assert not (out / "final").exists()


def test_page_without_edits_or_audio(tmp_path: Path):
    t = make_transcript("gone.flac")
    t.edits = []
    t.save(tmp_path / "transcript.json")
    page = render_review(tmp_path).read_text(encoding="utf-8")
    assert "0 edits" in page and 'id="player"' not in page and "Audio: not found" in page
    assert (tmp_path / "transcript.diff").read_text() == ""
    with pytest.raises(InputError, match="gone.flac is not found; pass --audio FILE"):
        render_review(tmp_path, embed_audio=True)


def test_resourced_paragraph_points_to_the_mandarin_instead_of_repeating_it(tmp_path: Path):
    t = make_transcript()
    p = t.paragraphs[2]
    t.edits.append(Edit(id="r1", paragraph=2, kind="resource", vendor=p.text, replacement=p.source_text,
                        decision="suggested", char_start=0, char_end=len(p.text)))
    t.edits = [e for e in t.edits if e.id != "e5"]
    t.save(tmp_path / "transcript.json")
    page = render_review(tmp_path).read_text(encoding="utf-8")
    mt = re.search(r'<section class="para" id="p-2".*?</section>', page, re.S).group(0)
    # the Mandarin is the proposal, shown once in its own column; the English is not struck
    assert mt.count(p.source_text) == 1
    assert re.search(r'<div class="col src">.*data-edit="r1"[^>]*><ins class="repl">' + p.source_text, mt)
    english = re.search(r'<div class="col mt">(.*)</div></div>', mt, re.S).group(1)
    assert "<del>" not in english and "r1" not in english


def test_edit_inside_another_nests_and_a_crossing_one_is_listed(tmp_path: Path):
    t = make_transcript()
    p = t.paragraphs[1]
    whole = "this one, this one, this one. Thank you."
    cs = p.text.index(whole)
    t.edits.append(Edit(id="outer", paragraph=1, kind="delete", vendor=whole, replacement="", decision="suggested",
                        char_start=cs, char_end=cs + len(whole)))
    cross = p.text.index("gap net")  # starts inside e3 ("non-gap") and ends after it
    t.edits.append(Edit(id="cross", paragraph=1, kind="replace", vendor="gap net", replacement="GAAP net",
                        decision="kept", char_start=cross, char_end=cross + len("gap net")))
    t.save(tmp_path / "transcript.json")
    page = render_review(tmp_path).read_text(encoding="utf-8")
    plain = re.sub(r'<span data-t="[^"]*">([^<]*)</span>', r"\1", page)  # the words without their times
    assert re.search(r'data-edit="outer"[^>]*><del><span class="edit applied k-delete deletion on"[^>]*data-edit="e4"[^>]*>'
                     r'<del>this one, this one, this one\.</del><ins class="repl"></ins></span> Thank you\.</del>'
                     r'<ins class="repl"></ins></span>', plain)
    assert re.search(r'Overlapping edits: <span class="edit kept k-replace off"[^>]*data-edit="cross"', page)
    # when both are chosen the outer one wins and the inner one is reported
    r = rebuild_transcript(t, {"outer": "accept"})[1]
    assert r.text == "Our gross margin improved and non-gap net loss narrowed." and r.conflicts == ["e4"]
    final = reviewed_transcript(t, {"outer": "accept"})
    e4 = next(e for e in final.edits if e.id == "e4")
    assert e4.decision == "kept" and e4.evidence["review"]["skipped"] and final.meta["review"]["conflicts"] == ["e4"]
    from callfix.text import apply_edits

    assert apply_edits(final.paragraphs[1], final.edits)[0] == r.text  # what the writers re-apply agrees


# --- the editor's own text, Mandarin beside English, speakers --------------------------------------

def test_own_text_replaces_the_proposal_and_can_delete_or_restore():
    t = make_transcript()
    review = Review(choices={"e1": "accept", "e3": "accept", "e2": "accept"},
                    texts={"e1": "Kingsoft Cloud", "e3": "non-GAAP adjusted", "e2": ""})
    r = rebuild_transcript(t, review)
    assert r[0].text == "Thank you, operator. Welcome to Kingsoft Cloud fourth quarter call."
    assert r[1].text == "Our improved and non-GAAP adjusted net loss narrowed. Thank you."
    final = reviewed_transcript(t, review)
    by_id = {e.id: e for e in final.edits}
    assert by_id["e1"].replacement == "Kingsoft Cloud" and by_id["e1"].evidence["review"]["proposed"] == "Kingsoft Cloud's"
    assert by_id["e2"].kind == "delete" and by_id["e2"].decision == "applied"
    from callfix.text import apply_edits

    # the writers re-apply the final edits: they must agree with the rebuilt text
    assert [apply_edits(p, final.edits)[0] for p in final.paragraphs[:2]] == [r[0].text, r[1].text]
    assert final.meta["review"]["own_text"] == ["e1", "e2", "e3"]


def _resourced() -> Transcript:
    t = make_transcript()
    p = t.paragraphs[2]
    t.edits = [e for e in t.edits if e.id != "e5"]
    t.edits.append(Edit(id="r1", paragraph=2, kind="resource", vendor=p.text, replacement=p.source_text,
                        decision="suggested", char_start=0, char_end=len(p.text), start=9.0, end=12.0,
                        speaker="SPEAKER_01", language="zh", confidence=0.5))
    return t


def test_accepting_a_resource_edit_keeps_the_english_and_puts_the_mandarin_beside(tmp_path: Path):
    t = _resourced()
    english = t.paragraphs[2].text
    for choice, text, mandarin in [("accept", None, "经调整后，业务利润首次扭亏为盈。"), (None, None, "经调整后，业务利润首次扭亏为盈。"),
                                   ("accept", "经调整后，业务首次扭亏为盈。", "经调整后，业务首次扭亏为盈。"), ("reject", None, None)]:
        review = Review(choices={"r1": choice} if choice else {}, texts={"r1": text} if text else {})
        final = reviewed_transcript(t, review)
        p = final.paragraphs[2]
        assert p.corrected == english and p.source_text == mandarin, (choice, text)
        r1 = next(e for e in final.edits if e.id == "r1")
        assert r1.decision != "applied" and r1.evidence["review"]["mandarin_beside_english"] == (choice != "reject")
        from callfix.io.writers import text_output

        txt = text_output(final)
        assert english in txt and (mandarin is None or f"(Mandarin source): {mandarin}" in txt)
        assert mandarin is not None or "(Mandarin source)" not in txt


def test_speakers_renamed_and_paragraphs_reassigned_reach_every_output(out: Path):
    t = Transcript.load(out / "transcript.json")
    d = out / "decisions.json"
    d.write_text(json.dumps({"transcript": transcript_id(t), "decisions": {},
                             "speakers": {"SPEAKER_00": "Nicole Shan", "NEW_1": "Henry He"},
                             "paragraph_speakers": {"3": "NEW_1"}}))
    assert main(["apply-review", str(out), str(d)]) == 0
    txt = (out / "final" / "transcript.txt").read_text(encoding="utf-8")
    lines = [line for line in txt.splitlines() if line.startswith("[")]
    assert "Nicole Shan: Thank you, operator." in lines[0] and "Henry He: Our question comes" in lines[-1]
    assert "Operator" not in txt
    final = Transcript.load(out / "final" / "transcript.json")
    assert final.paragraphs[3].speakers == ["NEW_1"] and final.speaker_label("NEW_1") == "Henry He"
    assert "Henry He" in (out / "final" / "transcript.srt").read_text(encoding="utf-8")


# --- finding the audio ---------------------------------------------------------------------------

def test_audio_is_found_from_another_directory_and_after_the_folder_moves(tmp_path: Path, monkeypatch, capsys):
    import shutil

    call = tmp_path / "calls" / "q4.flac"
    call.parent.mkdir()
    tone(call)
    run = tmp_path / "runs" / "q4"
    run.mkdir(parents=True)
    t = make_transcript("../../calls/q4.flac")  # as `callfix run` names it: relative to the run folder
    t.meta["audio_path"] = str(call)
    t.save(run / "transcript.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["review", str(run)]) == 0
    assert capsys.readouterr().err == ""
    data = json.loads(re.search(r'id="review-data">(.*?)</script>', (run / "review.html").read_text(), re.S).group(1))
    assert data["audio"] == ["../../calls/q4.flac", "q4.flac", "../q4.flac", call.resolve().as_uri()]
    # moved without its audio: the absolute path is the fallback
    moved = tmp_path / "moved" / "q4"
    shutil.copytree(run, moved)
    render_review(moved)
    assert json.loads(re.search(r'id="review-data">(.*?)</script>', (moved / "review.html").read_text(), re.S)
                      .group(1))["audio"][0] == "../../calls/q4.flac"
    # moved together with its audio, the original gone: the copy beside the transcript is found
    shutil.copy(call, moved / "q4.flac")
    call.unlink()
    render_review(moved)
    assert 'src="q4.flac"' in (moved / "review.html").read_text()
    assert main(["review", str(moved), "--embed-audio"]) == 0
    (moved / "q4.flac").unlink()
    assert main(["review", str(moved)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"callfix: warning: {moved / 'transcript.json'}: its audio ../../calls/q4.flac")
    assert "pass --audio FILE" in err[0]


# --- evidence in words -------------------------------------------------------------------------------

def test_evidence_reads_in_words_with_one_confidence_figure():
    from callfix.review.evidence import confidence_words, evidence_rows

    e = Edit(id="x", paragraph=0, kind="replace", vendor="205,", replacement="2025,", decision="suggested",
             confidence=0.722, evidence={
                 "asr_text": "420-25,", "asr_probability": 0.604, "asr_probability_min": 0.2, "asr_language_zh": 0.0,
                 "phonetic_similarity": 0.0, "text_similarity": 0.667, "cross_paragraph": True,
                 "number": {"vendor": ["205"], "audio": ["420", "25"], "digit_similarity": 0.667},
                 "acoustic": {"margin": 6.3, "best": "asr", "window": [10.0, 16.5], "scores": {"vendor": -12.1, "asr": -5.8},
                              "decision_before": "suggested", "window_s": 3},
                 "glossary": {"confusion": ["growth margin", "gross margin"], "term": "gross margin"},
                 "some_new_key": {"a_b": 0.12345}})
    rows = dict(evidence_rows(e))
    assert rows["Audio check"].startswith("The audio fits what the ASR heard best by 6.3 nats (a clear lead)")
    assert "the vendor's text -12.1" in rows["Audio check"] and "Audio scored: 10.0–16.5 s" in rows["Audio check"]
    assert "Before this check the edit was suggested" in rows["Audio check"] and "Window s: 3" in rows["Audio check"]
    assert rows["Heard in the audio"] == "“420-25,”"
    assert rows["Speech recogniser"] == "unsure of these words (the least sure word: very unsure)"
    assert rows["Speech language"] == "English" and rows["Span"] == "runs across a paragraph break"
    assert rows["Number"] == "the text says 205, the audio 420 25 (digits somewhat alike)"
    assert rows["Glossary"].startswith("“growth margin” is a known mishearing of “gross margin”")
    assert rows["Some new key"] == "A b: 0.123"
    text = " ".join(k + " " + v for k, v in rows.items())
    assert "_" not in text and "0.604" not in text and "0.2 " not in text  # no machine keys, no rival figures
    assert confidence_words(0.722) == "72% confident (medium)"
    vendor_wins = {"acoustic": {"margin": -0.6, "scores": {"vendor": -3.0, "asr": -3.6, "glossary:Kingsoft Cloud": -9.0}}}
    assert dict(evidence_rows(replace_ev(e, vendor_wins)))["Audio check"].startswith(
        "The audio fits the vendor's text best by 0.6 nats (too close to call). Scores (log-likelihood, higher fits "
        "better): the vendor's text -3.0, what the ASR heard -3.6, the glossary's “Kingsoft Cloud” -9.0")


def replace_ev(e: Edit, ev: dict) -> Edit:
    from dataclasses import replace

    return replace(e, evidence=ev)


def test_a_reassigned_paragraph_takes_its_audio_span_in_the_turns():
    from callfix.io.writers import text_output
    from callfix.model import Turn

    t = make_transcript()
    t.turns = [Turn("SPEAKER_00", 0.0, 4.0), Turn("SPEAKER_01", 4.0, 12.0), Turn("SPEAKER_00", 12.0, 15.0)]
    final = reviewed_transcript(t, Review(paragraph_speakers={2: "SPEAKER_00"}))
    assert [(tr.speaker, tr.start, tr.end) for tr in final.turns] == [
        ("SPEAKER_00", 0.0, 4.0), ("SPEAKER_01", 4.0, 9.0), ("SPEAKER_00", 9.0, 12.0), ("SPEAKER_00", 12.0, 15.0)]
    lines = text_output(final).splitlines()
    assert any(line.endswith("Operator: After adjustment, business profits are twisted for the first time.") for line in lines)
    assert t.turns[1].end == 12.0  # the input is untouched


@settings(max_examples=100, deadline=None)
@given(words=words, data=st.data())
def test_own_text_is_spliced_exactly_where_the_edit_was(words, data):
    text = " ".join(words)
    a = data.draw(st.integers(0, len(words) - 1))
    b = data.draw(st.integers(a + 1, len(words)))
    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    cs, ce = starts[a], starts[b - 1] + len(words[b - 1])
    own = data.draw(st.text(alphabet="pqr-,.中", min_size=1, max_size=8))
    e = Edit(id="x", paragraph=0, kind="replace", vendor=text[cs:ce], replacement="proposal", decision="suggested",
             char_start=cs, char_end=ce)
    t = Transcript(paragraphs=[Paragraph(index=0, text=text)], edits=[e])
    assert rebuild_transcript(t, Review(choices={"x": "accept"}, texts={"x": own}))[0].text == text[:cs] + own + text[ce:]
    assert rebuild_transcript(t, Review(choices={"x": "reject"}))[0].text == text
