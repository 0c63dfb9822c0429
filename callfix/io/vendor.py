"""Read a vendor transcript (EarningsCall plain text, plain text, "Speaker: text", SRT, VTT, our own
transcript.txt; a Word file is read as its text) into paragraphs of tokens that keep the vendor's spelling,
punctuation and offsets. Each layout is a VendorFormat in FORMATS with its own sniff()."""
from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from callfix.errors import InputError
from callfix.model import Paragraph, Transcript
from callfix.text import cjk_share, tokenize

_DATE_RE = re.compile(
    r"^\s*(\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4})\s*$", re.I)
# Bounded gap: an unbounded ".*" made the search quadratic on a long line full of "transcript".
_DISCLAIMER_RE = re.compile(r"transcript.{0,400}?(generated|errors|accuracy|information purposes)|EarningsCall", re.I)
HEADER_LINE_CHARS = 1500  # a header (disclaimer, date) line is short; longer lines are transcript text
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE_RE = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}")
_SPEAKER_RE = re.compile(r"^([A-Z\u3400-\u9fff][\w.'\u2019\- ]{0,38}?|[A-Z][\w.'\- ]{0,38}\([^)]{1,40}\))\s*[:\uff1a]\s+(?=\S)")
_STAMP_RE = re.compile(r"^\[(?:(\d+):(\d\d):(\d\d)|--:--:--)\] ")  # our own transcript.txt
_OWN_LABEL_RE = re.compile(r"^([^:.,;?!\n]{1,60}?):\s+(?=\S)")
_VTT_VOICE_RE = re.compile(r"^<v(?:\.[\w.]+)?\s+([^>]+)>")


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Text and encoding of a transcript file; InputError for empty, binary or undecodable data."""
    if not data.strip():
        raise InputError(f"{name}: empty transcript")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
                     (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return _check(data.decode(enc, errors="strict"), enc, name)
            except UnicodeDecodeError:
                raise InputError(f"{name}: starts with a {enc} byte-order mark but is not valid {enc}") from None
    # Before UTF-8: mostly-ASCII UTF-16 is valid UTF-8 too (NUL is a legal byte there), full of NULs.
    enc = _utf16_without_bom(data) if b"\x00" in data else None
    if enc:
        try:
            return _check(data.decode(enc), enc, name)
        except UnicodeDecodeError:
            pass
    try:
        return _check(data.decode("utf-8"), "utf-8", name)
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:
        raise InputError(f"{name}: binary data, not a text transcript")
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "cp1252", "latin_1", "shift_jis"]).best()
    if best is None or best.encoding is None:
        raise InputError(f"{name}: unknown text encoding")
    enc = best.encoding
    if enc in ("gb2312", "gbk"):
        enc = "gb18030"  # superset: never fails where the subset guessed right
    if enc in ("gb18030", "big5"):
        enc = _chinese_encoding(data, enc)
    try:
        return _check(data.decode(enc), enc, name)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"{name}: unknown text encoding") from None


def _chinese_encoding(data: bytes, guess: str) -> str:
    """GB18030 or Big5: the one whose Hanzi are the commonly used ones.

    With only a few Chinese names in English text the detector has nothing to weigh and both
    decodings are clean. The same bytes read in the wrong one mostly land on rare characters:
    outside GB2312's 6,763 for Simplified, on Big5's second (less frequent) level for Traditional.
    """
    shares = {}
    for enc in ("gb18030", "big5"):
        try:
            han = [c for c in data.decode(enc) if "\u4e00" <= c <= "\u9fff"]
        except UnicodeDecodeError:
            continue
        shares[enc] = sum(_common(c, enc) for c in han) / len(han) if han else 0.0
    if len(shares) < 2 or shares["gb18030"] == shares["big5"]:
        return guess
    return max(shares, key=shares.get)


def _common(char: str, enc: str) -> bool:
    try:
        if enc == "gb18030":
            char.encode("gb2312")
            return True
        return char.encode("big5")[0] <= 0xC6  # Big5 level 1: the 5,401 frequently used characters
    except UnicodeEncodeError:
        return False


def _utf16_without_bom(data: bytes) -> str | None:
    # Mostly-ASCII UTF-16 has a NUL in every other byte.
    even, odd = data[0::2], data[1::2]
    if len(data) >= 4 and len(data) % 2 == 0:
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _check(text: str, enc: str, name: str) -> tuple[str, str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError(f"{name}: empty transcript")
    bad = sum(1 for c in text if (ord(c) < 32 and c not in "\n\t\f\v") or 0xFFF9 <= ord(c) <= 0xFFFF or 0xD800 <= ord(c) <= 0xDFFF)
    if bad > max(2, 0.01 * len(text)):
        raise InputError(f"{name}: binary data, not a text transcript")
    if len({c for c in text if c.isalpha()}) < 3:
        raise InputError(f"{name}: no words in the transcript")
    return text, enc


# A 6 h call is about 70,000 words (~450 KB of text): far larger input is not a transcript of one call,
# and would cost minutes and gigabytes downstream.
MAX_VENDOR_BYTES = 8 * 1024 * 1024
MAX_LINE_CHARS = 1_000_000
# Characters XML 1.0 cannot hold (DOCX, the review page): control characters but tab and newline,
# lone surrogates, U+FFFE/U+FFFF. Form feed and vertical tab are breaks: they become spaces.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def read_vendor(path: str | Path) -> Transcript:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    try:
        size = p.stat().st_size
        if size > MAX_VENDOR_BYTES:
            raise InputError(f"{p}: {size / 1048576:.1f} MB is too large for the transcript of one call "
                             f"(limit {MAX_VENDOR_BYTES // 1048576} MB)")
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: cannot read ({e.strerror})") from None
    if data[:4] == b"PK\x03\x04":
        text, enc = _docx_text(p), "docx"
    else:
        text, enc = decode_bytes(data, str(p))
    text, removed = clean_text(text, str(p))
    t = parse_vendor_text(text, name=str(p), encoding=enc)
    if removed:
        t.meta["vendor"]["removed_characters"] = removed
        print(f"callfix: warning: {p}: removed {removed} control character(s) that XML outputs cannot hold",
              file=sys.stderr)
    return t


def clean_text(text: str, name: str) -> tuple[str, int]:
    """The text without XML-invalid characters (and how many went); InputError for an overlong line."""
    lengths = [len(ln) for ln in text.split("\n")]
    if max(lengths) > MAX_LINE_CHARS:
        line = next(i for i, n in enumerate(lengths, 1) if n > MAX_LINE_CHARS)
        raise InputError(f"{name}: line {line} has {lengths[line - 1]:,} characters, over the {MAX_LINE_CHARS:,} "
                         f"limit: not a transcript (a call's text comes in lines or paragraphs)")
    n = 0

    def sub(m: re.Match) -> str:
        nonlocal n
        n += 1
        return " " if m.group() in "\x0b\x0c" else ""

    return _XML_INVALID_RE.sub(sub, text), n


def _docx_text(p: Path) -> str:
    """A Word transcript (editors' usual format): one paragraph per line."""
    import zipfile

    try:
        from docx import Document
        from docx.opc.exceptions import OpcError

        doc = Document(str(p))
    except (zipfile.BadZipFile, KeyError, ValueError, OpcError) as e:
        raise InputError(f"{p}: a zip archive but not a Word document ({e.__class__.__name__})") from None
    text = "\n".join(par.text for par in doc.paragraphs if par.text.strip())
    if not text.strip():
        raise InputError(f"{p}: empty transcript")
    return text


def parse_vendor_text(text: str, name: str = "<text>", encoding: str = "utf-8") -> Transcript:
    text = text.lstrip("\ufeff")
    fmt = detect_format(text, name)
    header, paras, layout = FORMATS[fmt].parse(text.split("\n"))
    if not paras:
        raise InputError(f"{name}: no transcript text (only a header)")
    t = Transcript(header=header, paragraphs=paras)
    t.meta["vendor"] = {"path": name, "format": fmt, "encoding": encoding, "layout": layout,
                        "trailing_newline": text.endswith("\n")}
    return t


@dataclass(frozen=True)
class VendorFormat:
    """One vendor layout: ``sniff(text, file name)`` says whether a text is in it, ``parse(lines)`` gives its
    header, paragraphs and layout. The first format of FORMATS whose sniff says yes reads the text."""

    name: str
    sniff: Callable[[str, str], bool]
    parse: Callable[[list[str]], tuple[list[str], list[Paragraph], str]]


def _is_vtt(text: str, name: str) -> bool:
    return text.lstrip()[:10].startswith("WEBVTT")


def _is_srt(text: str, name: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return False
    if sum(1 for ln in lines[:50] if _CUE_RE.match(ln)) >= 1 and re.match(r"^\s*\d+\s*$", lines[0]):
        return True
    return name.lower().endswith(".srt") and any(_CUE_RE.match(ln) for ln in lines)


def _body(text: str) -> list[str]:
    lines = text.split("\n")
    return [ln for ln in lines[_header(lines)[1]:] if ln.strip()]


def _is_callfix(text: str, name: str) -> bool:
    """Our own transcript.txt: "[hh:mm:ss] Speaker: text" lines."""
    body = _body(text)
    return bool(body) and sum(1 for ln in body if _STAMP_RE.match(ln)) >= 0.5 * len(body)


def _is_speaker(text: str, name: str) -> bool:
    body = _body(text)
    return bool(body) and sum(1 for ln in body if _SPEAKER_RE.match(ln)) >= max(2, 0.5 * len(body))


def _is_earningscall(text: str, name: str) -> bool:
    header, _ = _header(text.split("\n"))
    return bool(header) and any(_DISCLAIMER_RE.search(h) for h in header)


def _cues(fmt: str):
    def parse(lines: list[str]):
        header, paras = _parse_cues(lines, fmt)
        return header, paras, "cues"

    return parse


def _blocks(speakers: bool = False, stamps: bool = False):
    def parse(lines: list[str]):
        header, body_start = _header(lines)
        paras, layout = _parse_body(lines[body_start:], speakers=speakers, stamps=stamps)
        return header, paras, layout

    return parse


FORMATS: dict[str, VendorFormat] = {f.name: f for f in [
    VendorFormat("vtt", _is_vtt, _cues("vtt")),
    VendorFormat("srt", _is_srt, _cues("srt")),
    VendorFormat("callfix", _is_callfix, _blocks(stamps=True)),
    VendorFormat("speaker", _is_speaker, _blocks(speakers=True)),
    VendorFormat("earningscall", _is_earningscall, _blocks()),
    VendorFormat("plain", lambda text, name: True, _blocks()),
]}


def detect_format(text: str, name: str = "") -> str:
    return next(f.name for f in FORMATS.values() if f.sniff(text, name))


def _header(lines: list[str]) -> tuple[list[str], int]:
    """Leading disclaimer/date lines (kept verbatim in the output, never aligned)."""
    header: list[str] = []
    i = 0
    while i < len(lines) and i < 6:
        ln = lines[i]
        if not ln.strip():
            if header:
                header.append(ln)
            i += 1
            continue
        if len(ln) < HEADER_LINE_CHARS and (_DATE_RE.match(ln) or (i < 3 and _DISCLAIMER_RE.search(ln))):
            header.append(ln)
            i += 1
            continue
        break
    while header and not header[-1].strip():
        header.pop()
    return header, i


def _parse_body(lines: list[str], speakers: bool, stamps: bool = False) -> tuple[list[Paragraph], str]:
    # Blank-line-separated blocks of several lines are paragraphs; otherwise one paragraph per line.
    blocks: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            blocks[-1].append(ln)
        elif blocks[-1]:
            blocks.append([])
    blocks = [b for b in blocks if b]
    multi = len(blocks) > 1 and any(len(b) > 1 for b in blocks)
    if stamps:
        layout = "lines" if not multi else "blocks"
        chunks = [ln for b in blocks for ln in b]
    elif speakers:
        layout = "speaker"
        chunks = [ln for b in blocks for ln in b]
        # A wrapped line without a label continues the previous speaker's paragraph.
        merged: list[str] = []
        for ln in chunks:
            if merged and not _SPEAKER_RE.match(ln):
                merged[-1] += "\n" + ln
            else:
                merged.append(ln)
        chunks = merged
    elif multi:
        layout, chunks = "blocks", ["\n".join(b) for b in blocks]
    else:
        layout, chunks = "lines", [ln for b in blocks for ln in b]
    paras = []
    for chunk in chunks:
        label = start = None
        m = _STAMP_RE.match(chunk) if stamps else None
        if m:
            chunk = chunk[m.end():]
            if m.group(1) is not None:
                start = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
        if speakers or stamps:
            m = (_OWN_LABEL_RE if stamps else _SPEAKER_RE).match(chunk)
            if m:
                label, chunk = m.group(1).strip(), chunk[m.end():]
        paras.append(_paragraph(len(paras), chunk.rstrip(), label, start))
    return [p for p in paras if p.tokens], layout


def _paragraph(index: int, text: str, speaker: str | None = None, start=None, end=None) -> Paragraph:
    p = Paragraph(index=index, text=text, tokens=tokenize(text), speaker=speaker, start=start, end=end)
    p.language = "zh" if cjk_share(text) > 0.5 else "en"
    return p


def _secs(g: tuple) -> float:
    h, m, s, ms = g
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms.ljust(3, "0")) / 1000


def _parse_cues(lines: list[str], fmt: str) -> tuple[list[str], list[Paragraph]]:
    paras: list[Paragraph] = []
    header: list[str] = []
    i = 0
    if fmt == "vtt":
        while i < len(lines) and not _CUE_RE.match(lines[i]):
            if lines[i].strip() and not re.match(r"^\s*(NOTE|STYLE|REGION)\b", lines[i]) and i == 0:
                header.append(lines[i])
            i += 1
    while i < len(lines):
        m = _CUE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        start, end = _secs(m.groups()[:4]), _secs(m.groups()[4:])
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            body.append(lines[i])
            i += 1
        text = "\n".join(body)
        label = None
        v = _VTT_VOICE_RE.match(text)
        if v:
            label, text = v.group(1).strip(), text[v.end():]
        text = re.sub(r"</?[a-z][^<>]*>", "", text)  # inline cue tags ([^<>]: linear on a line of "<a<a<a")
        if label is None:
            s = _SPEAKER_RE.match(text)
            if s:
                label, text = s.group(1).strip(), text[s.end():]
        text = text.strip()
        if text:
            paras.append(_paragraph(len(paras), text, label, start, end))
    return header, paras
