"""Vendor transcript readers: formats, encodings, offsets, bad input."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from callfix.io.vendor import read_vendor
from callfix.text import phrase_units, tokenize, units
from callfix.io.vendor import parse_vendor_text
from callfix.errors import InputError

SEED = Path("/work/shared/seed/kingsoft-q4-2024-vendor-transcript.txt")
EARNINGS = """This conference call transcript was computer generated and almost certianly contains errors. EarningsCall, LLC makes no representation.
3/19/2025
Good day and thank you for standing by. Welcome to Kingsoft Cloud's fourth quarter call.
曾总,Henry,晚上好。 首先祝贺公司取得了非常亮眼的业绩。 The first is about DeepSeq.
Thank you, operator.
"""


def _write(tmp_path, name, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_earningscall_layout_keeps_header_and_offsets(tmp_path):
    t = read_vendor(_write(tmp_path, "v.txt", EARNINGS.encode()))
    assert t.meta["vendor"]["format"] == "earningscall"
    assert t.meta["vendor"]["layout"] == "lines"
    assert t.header[1] == "3/19/2025" and t.header[0].startswith("This conference call")
    assert [p.text[:9] for p in t.paragraphs] == ["Good day ", "曾总,Henry,", "Thank you"]
    for p in t.paragraphs:
        assert all(p.text[k.offset:k.offset + len(k.text)] == k.text for k in p.tokens)
    zh = t.paragraphs[1]
    assert [k.text for k in zh.tokens[:5]] == ["曾", "总", ",Henry,", "晚", "上"]


@pytest.mark.skipif(not SEED.is_file(), reason="seed transcript not on this machine")
def test_seed_transcript_reads_whole():
    t = read_vendor(SEED)
    assert len(t.header) == 2 and len(t.paragraphs) == 37
    assert sum(len(p.tokens) for p in t.paragraphs) > 7000


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gb18030"])
def test_encodings_decode_to_the_same_paragraphs(tmp_path, encoding):
    ref = parse_vendor_text(EARNINGS)
    t = read_vendor(_write(tmp_path, f"v-{encoding}.txt", EARNINGS.encode(encoding)))
    assert [p.text for p in t.paragraphs] == [p.text for p in ref.paragraphs]
    assert t.header == ref.header


def test_speaker_format_and_wrapped_lines(tmp_path):
    text = ("Operator: Good day and welcome.\nNicole Shan: Thank you, operator.\nWe begin now.\n"
            "Henry He: Revenue grew 30%.\n")
    t = read_vendor(_write(tmp_path, "s.txt", text.encode()))
    assert t.meta["vendor"]["format"] == "speaker"
    assert [p.speaker for p in t.paragraphs] == ["Operator", "Nicole Shan", "Henry He"]
    assert t.paragraphs[1].text == "Thank you, operator.\nWe begin now."


def test_srt_and_vtt_cues(tmp_path):
    srt = "1\n00:00:01,000 --> 00:00:03,500\nHenry He: Revenue grew.\n\n2\n00:00:04,000 --> 00:00:06,000\nThank you.\n"
    t = read_vendor(_write(tmp_path, "c.srt", srt.encode()))
    assert t.meta["vendor"]["format"] == "srt"
    assert [(p.start, p.end, p.speaker, p.text) for p in t.paragraphs] == [
        (1.0, 3.5, "Henry He", "Revenue grew."), (4.0, 6.0, None, "Thank you.")]
    vtt = "WEBVTT\n\n00:01.000 --> 00:03.000\n<v Zou Tao>Hello <b>all</b>.\n\n01:00:00.500 --> 01:00:01.000\nBye.\n"
    t = read_vendor(_write(tmp_path, "c.vtt", vtt.encode()))
    assert [(p.start, p.speaker, p.text) for p in t.paragraphs] == [(1.0, "Zou Tao", "Hello all."), (3600.5, None, "Bye.")]


def test_plain_blocks_keep_their_line_breaks(tmp_path):
    text = "First paragraph line one\nline two.\n\nSecond paragraph.\n"
    t = read_vendor(_write(tmp_path, "p.txt", text.encode()))
    assert t.meta["vendor"]["layout"] == "blocks" and t.header == []
    assert [p.text for p in t.paragraphs] == ["First paragraph line one\nline two.", "Second paragraph."]


@pytest.mark.parametrize("data,problem", [
    (b"", "empty"), (b"  \n\n\t ", "empty"), (bytes(range(256)) * 20, "binary"),
    (b"\x00\x01\x02\x03" * 100, "binary"), (b"1234 5678\n", "no words"),
    (b"\xff\xfe\x00\xd8", "byte-order mark"),
])
def test_bad_input_names_file_and_problem(tmp_path, data, problem):
    p = _write(tmp_path, "bad.txt", data)
    with pytest.raises(InputError) as e:
        read_vendor(p)
    assert str(p) in str(e.value) and problem in str(e.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_vendor(tmp_path / "nope.txt")


def test_units_normalise_for_matching_only():
    assert units("Cloud's,") == ("cloud's",)
    assert units("year-over-year") == ("year", "over", "year")
    assert units("1,000") == ("1000",) and units("34%") == ("34", "percent") and units("4th") == ("fourth",)
    assert units("扭虧") == ("扭", "亏")  # Traditional to Simplified, one key per character
    assert phrase_units("Mr. Zou") == ("mr", "zou")
    assert phrase_units("D&A") == phrase_units("D and A") and units("C.L.S.A.") == ("clsa",)
    assert units("—") == ()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab Z,.-'\n\t好的。,%1")), max_size=80))
def test_tokens_point_at_their_text(text):
    toks = tokenize(text)
    assert all(text[k.offset:k.offset + len(k.text)] == k.text for k in toks)
    assert [k.offset for k in toks] == sorted(k.offset for k in toks)
    assert "".join(k.text for k in toks) == "".join(text.split())


def test_word_document(tmp_path):
    from docx import Document

    doc = Document()
    for line in EARNINGS.splitlines():
        doc.add_paragraph(line)
    doc.save(str(tmp_path / "v.docx"))
    t = read_vendor(tmp_path / "v.docx")
    ref = parse_vendor_text(EARNINGS)
    assert [p.text for p in t.paragraphs] == [p.text for p in ref.paragraphs] and t.header == ref.header
    (tmp_path / "z.docx").write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="z.docx"):
        read_vendor(tmp_path / "z.docx")
