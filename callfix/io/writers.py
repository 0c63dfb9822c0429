"""Every output of an aligned call: vendor-layout text, JSON, SRT, VTT, DOCX, STM, CTM, RTTM, edits (JSON,
CSV), each a Writer in WRITERS (`--formats` chooses among them).

All files are written atomically. Text comes from each paragraph's corrected text (or the vendor
original); times and speakers from the aligned tokens.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from callfix.errors import InputError
from callfix.io.atomic import atomic_path, atomic_write_text
from callfix.io.edits import edits_output, write_edits_csv
from callfix.io.rttm import format_rttm
from callfix.io.subtitles import clock, srt, vtt
from callfix.model import Paragraph, Token, Transcript, Turn
from callfix.text import apply_edits, has_cjk, strip_punct, tokenize
from callfix.turns import Turns

MIN_RUN_TOKENS = 4  # a speaker change shorter than this is diarization noise inside a paragraph
CUE_CHARS = 84
MANDARIN_SOURCE = "(Mandarin source)"
CUE_SECONDS = 6.0


@dataclass
class Run:
    """A stretch of one paragraph spoken by one speaker."""

    paragraph: int
    speaker: str | None
    label: str | None  # None: no diarization and no vendor label
    start: float | None
    end: float | None
    text: str
    tokens: list[Token]


def paragraph_tokens(t: Transcript, p: Paragraph) -> tuple[str, list[Token]]:
    """The paragraph's output text and its tokens with times and speakers."""
    text, toks = apply_edits(p, t.edits)
    want = p.corrected if p.corrected is not None else text
    if want == text:
        return text, toks
    # Text rebuilt elsewhere (e.g. after review): spread the paragraph's span over its tokens.
    new = tokenize(want)
    timed = [k for k in p.tokens if k.start is not None]
    spk = _majority(p, t)
    if timed and new:
        t0, t1 = min(k.start for k in timed), max(k.end for k in timed)
        step = (t1 - t0) / len(new)
        for i, k in enumerate(new):
            k.start, k.end, k.speaker = round(t0 + i * step, 3), round(t0 + (i + 1) * step, 3), spk
    return want, new


def _majority(p: Paragraph, t: Transcript | None = None) -> str | None:
    """The paragraph's speaker: who holds most of its speech time (else its first listed speaker)."""
    if t is not None:
        held = _held(t, p.tokens)
        if held:
            return max(held.items(), key=lambda kv: (kv[1], kv[0]))[0]
    return p.speakers[0] if p.speakers else None


_TURNS: dict = {}


def _turns(t: Transcript) -> Turns:
    """The transcript's turns as a Turns, made once per turn list (its exclusive turns are computed once)."""
    key = (id(t.turns), len(t.turns), t.turns[0].start if t.turns else None, t.turns[-1].end if t.turns else None)
    if _TURNS.get("key") != key:
        _TURNS.clear()
        _TURNS.update(key=key, value=Turns(t.turns))
    return _TURNS["value"]


def _held(t: Transcript | None, toks: list[Token]):
    """Seconds of the tokens' speech each speaker holds (empty without turns or times)."""
    if t is None or not t.turns:
        return {}
    return _turns(t).held([(k.start, k.end) for k in toks if k.start is not None and k.end is not None])


def speaker_runs(t: Transcript, p: Paragraph) -> list[Run]:
    text, toks = paragraph_tokens(t, p)
    if not text.strip() or not toks:
        return []
    spk = sentence_speakers(toks, t)
    runs = _runs(spk)
    out = []
    for a, b in runs:
        s = toks[a].offset if a else 0
        e = toks[b].offset if b < len(toks) else len(text)
        starts = [k.start for k in toks[a:b] if k.start is not None]
        ends = [k.end for k in toks[a:b] if k.end is not None]
        label = t.speaker_label(spk[a]) if spk[a] else None
        if p.speaker and (label is None or (label == spk[a] and len(runs) == 1)):
            label = p.speaker  # the vendor's name beats an anonymous cluster label
        out.append(Run(p.index, spk[a], label, min(starts) if starts else None, max(ends) if ends else None,
                       text[s:e].strip(), toks[a:b]))
    return [r for r in out if r.text]


_ABBREV = {"mr.", "mrs.", "ms.", "dr.", "st.", "u.s.", "no.", "vs.", "inc.", "co.", "ltd.", "e.g.", "i.e."}
_END = (".", "?", "!", "\u3002", "\uff1f", "\uff01")


def sentence_speakers(toks: list[Token], t: Transcript | None = None) -> list[str | None]:
    """One speaker per sentence: who holds most of its speech time in the diarization turns (the
    tokens' majority without turns or times). Word timings drift at turn edges, so speakers change
    between sentences; a sentence is cut inside only where its tokens change speaker for at least
    MIN_RUN_TOKENS on both sides (a vendor paragraph that runs two speakers together without a full
    stop). A short sentence run at a paragraph edge joins its neighbour."""
    spans, a = [], 0
    for i, k in enumerate(toks):
        w = k.text.rstrip("\"'\u201d\u2019)")
        if w.endswith(_END) and w.lower() not in _ABBREV or i == len(toks) - 1:
            spans.extend(_inner_changes(toks, a, i + 1))
            a = i + 1
    spk: list[str | None] = []
    for a, b in spans:
        held = _held(t, toks[a:b])
        if held:
            who = max(held.items(), key=lambda kv: (kv[1], kv[0]))[0]
        else:
            votes = Counter(k.speaker for k in toks[a:b] if k.speaker)
            who = votes.most_common(1)[0][0] if votes else None
        spk.extend([who] * (b - a))
    runs = _runs(spk)
    if len(runs) > 1:
        for n in (0, len(runs) - 1):
            a, b = runs[n]
            if b - a < MIN_RUN_TOKENS:
                nb = runs[1] if n == 0 else runs[-2]
                spk[a:b] = [spk[nb[0]]] * (b - a)
    return spk


def _inner_changes(toks: list[Token], a: int, b: int) -> list[tuple[int, int]]:
    """The sentence toks[a:b] as one span, or cut where its tokens' speaker changes for good."""
    seq = [k.speaker for k in toks[a:b]]
    runs = _runs(seq)
    if len(runs) < 2:
        return [(a, b)]
    # runs shorter than MIN_RUN_TOKENS (timing drift, an unlabelled token) join the run before them
    merged: list[list] = []
    for x, y in runs:
        if merged and (y - x < MIN_RUN_TOKENS or seq[x] is None or seq[x] == merged[-1][2]):
            merged[-1][1] = y
        else:
            merged.append([x, y, seq[x]])
    if len(merged) > 1 and merged[0][1] - merged[0][0] < MIN_RUN_TOKENS:
        merged[1][0] = merged[0][0]
        merged.pop(0)
    return [(a + x, a + y) for x, y, _ in merged]


def _runs(seq: list) -> list[tuple[int, int]]:
    out, a = [], 0
    for i in range(1, len(seq) + 1):
        if i == len(seq) or seq[i] != seq[a]:
            out.append((a, i))
            a = i
    return out


Runs = dict[int, list[Run]]  # paragraph index -> its speaker runs


def paragraph_runs(t: Transcript) -> Runs:
    """Every paragraph's speaker runs: spliced and split once per write, then shared by every writer."""
    return {p.index: speaker_runs(t, p) for p in t.paragraphs}


def all_runs(t: Transcript, runs: Runs | None = None) -> list[Run]:
    runs = runs if runs is not None else paragraph_runs(t)
    return [r for p in t.paragraphs for r in runs.get(p.index, [])]


def _stamp(sec: float | None) -> str:
    return f"[{clock(sec)[:8]}]" if sec is not None else "[--:--:--]"


def text_output(t: Transcript, by_paragraph: Runs | None = None) -> str:
    """The vendor's layout: header kept, one paragraph (per speaker) with time and speaker."""
    by_paragraph = by_paragraph if by_paragraph is not None else paragraph_runs(t)
    layout = t.meta.get("vendor", {}).get("layout", "lines")
    sep = "\n" if layout == "lines" else "\n\n"
    parts = []
    for p in t.paragraphs:
        runs = by_paragraph.get(p.index, [])
        lines = [f"{_stamp(r.start)} {r.label + ': ' if r.label else ''}{r.text}" for r in runs]
        if lines and p.source_text and "machine_translation" in p.flags:
            # The Mandarin that was actually said, beside the vendor's translation of it.
            who = runs[0].label or "Speaker"
            lines.append(f"{_stamp(runs[0].start)} {who} {MANDARIN_SOURCE}: {' '.join(p.source_text.split())}")
        if lines:
            parts.append("\n".join(lines))
    head = "\n".join(t.header)
    body = sep.join(parts)
    return (head + sep + body if head else body) + "\n"


def cues(t: Transcript, runs: Runs | None = None) -> list[tuple[float, float, str, str]]:
    """Subtitle cues (start, end, speaker label, text): split at speakers, length and time."""
    out = []
    for r in all_runs(t, runs):
        cur: list[Token] = []
        for k in r.tokens:
            if cur and k.start is not None and cur[0].start is not None and (
                    len(_join(cur + [k])) > CUE_CHARS or k.end - cur[0].start > CUE_SECONDS):
                out.append(_cue(r, cur))
                cur = []
            cur.append(k)
        if cur:
            out.append(_cue(r, cur))
    out = sorted((c for c in out if c is not None), key=lambda c: c[0])
    # Subtitle players expect cues not to overlap: end each where the next begins.
    return [(s, min(e, out[i + 1][0]) if i + 1 < len(out) and out[i + 1][0] > s else e, who, txt)
            for i, (s, e, who, txt) in enumerate(out)]


def _cue(r: Run, toks: list[Token]):
    starts = [k.start for k in toks if k.start is not None]
    if not starts:
        return None
    start, end = min(starts), max(k.end for k in toks if k.end is not None)
    text = _join(toks)
    return (start, max(end, start + 0.2), r.label, _wrap(text))


def _join(toks: list[Token]) -> str:
    out = ""
    for i, k in enumerate(toks):
        if i:
            prev = toks[i - 1]
            gap = k.offset - (prev.offset + len(prev.text))
            if gap > 0 and not (has_cjk(prev.text[-1:]) and has_cjk(k.text[:1])):
                out += " "
        out += k.text
    return out


def _wrap(text: str, width: int = 42) -> str:
    if len(text) <= width or " " not in text:
        return text
    mid = len(text) // 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - mid))
    return text[:cut] + "\n" + text[cut + 1:]


def srt_output(t: Transcript, runs: Runs | None = None) -> str:
    out, prev = [], None
    for s, e, who, txt in cues(t, runs):
        out.append((s, e, f"{who}: {txt}" if who and who != prev else txt))  # name the speaker when it changes
        prev = who
    return srt(out)


def vtt_output(t: Transcript, runs: Runs | None = None) -> str:
    return vtt([(s, e, f"<v {who}>{txt}" if who else txt) for s, e, who, txt in cues(t, runs)])


def _file_id(t: Transcript, stem: str) -> str:
    name = Path(t.audio).stem if t.audio else stem
    return re.sub(r"\s+", "_", name) or "call"


def _spk_id(label: str) -> str:
    return re.sub(r"\s+", "_", label.strip()) or "unknown"


def stm_output(t: Transcript, stem: str, runs: Runs | None = None) -> str:
    fid = _file_id(t, stem)
    lines = [";; STM from callfix: one line per speaker run of each paragraph"]
    for r in all_runs(t, runs):
        if r.start is None:
            continue
        words = " ".join(w for w in (strip_punct(k.text) for k in r.tokens) if w)
        lines.append(f"{fid} 1 {_spk_id(r.label or 'unknown')} {r.start:.3f} {max(r.end, r.start):.3f} <o,f0,unknown> {words}")
    return "\n".join(lines) + "\n"


def ctm_output(t: Transcript, stem: str, runs: Runs | None = None) -> str:
    fid = _file_id(t, stem)
    lines = []
    for r in all_runs(t, runs):
        for k in r.tokens:
            w = strip_punct(k.text)
            if not w or k.start is None:
                continue
            conf = 1.0 if k.matched else 0.5
            lines.append(f"{fid} 1 {k.start:.3f} {max(0.0, k.end - k.start):.3f} {w} {conf:.2f}")
    return "\n".join(lines) + ("\n" if lines else "")


def rttm_output(t: Transcript, stem: str, runs: Runs | None = None) -> str:
    """The call's speaker turns, named, as RTTM (callfix/io/rttm.py formats them)."""
    if t.turns:
        spans = [(tr.start, tr.end, t.speaker_label(tr.speaker)) for tr in t.turns]
    else:
        # Only runs the audio confirmed: interpolated or unheard text has no speech to time.
        by_paragraph = runs if runs is not None else paragraph_runs(t)
        spans = [(r.start, r.end, r.label) for p in t.paragraphs if "not_in_audio" not in p.flags
                 for r in by_paragraph.get(p.index, [])
                 if r.start is not None and r.speaker and any(k.matched for k in r.tokens)]
    return format_rttm([Turn(_spk_id(who), s, e) for s, e, who in sorted(spans)], _file_id(t, stem))


def write_docx(t: Transcript, path: Path, by_paragraph: Runs | None = None) -> Path:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.shared import Pt, RGBColor
    from docx.text.paragraph import Paragraph as DocxParagraph

    doc = Document()
    section = doc.element.body.sectPr

    def new_paragraph() -> DocxParagraph:
        # Document.add_paragraph looks for the section properties among all the body's children each time:
        # quadratic in paragraphs (8,000 vendor lines took over a minute). Insert before them directly.
        if section is None:
            return doc.add_paragraph()
        p = OxmlElement("w:p")
        section.addprevious(p)
        return DocxParagraph(p, doc._body)

    src = t.meta.get("vendor", {}).get("path")
    doc.add_heading(Path(src).stem if src else "Transcript", level=1)
    for h in t.header:
        if h.strip():
            new_paragraph().add_run(h).italic = True
    by_paragraph = by_paragraph if by_paragraph is not None else paragraph_runs(t)
    for p in t.paragraphs:
        for r in by_paragraph.get(p.index, []):
            para = new_paragraph()
            head = para.add_run(f"{_stamp(r.start)} {r.label + ': ' if r.label else ''}")
            head.bold = True
            para.add_run(r.text)
        if p.flags:
            note = new_paragraph().add_run("Flags: " + ", ".join(p.flags))
            note.italic = True
            note.font.size = Pt(8)
            note.font.color.rgb = RGBColor(0x99, 0x33, 0x00)
        if p.source_text:
            src_run = new_paragraph().add_run(f"Source (Mandarin): {p.source_text}")
            src_run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


@dataclass(frozen=True)
class Writer:
    """One output format: ``write(t, runs, path, stem)`` writes ``filename`` (``{stem}`` filled in) atomically."""

    name: str  # what --formats calls it
    filename: str
    write: Callable[[Transcript, Runs, Path, str], Path]


WRITERS: dict[str, Writer] = {}


def writer(name: str, filename: str):
    """Register a format: a new output is one function here."""

    def register(fn):
        WRITERS[name] = Writer(name, filename, fn)
        return fn

    return register


@writer("txt", "{stem}.txt")
def _txt(t, runs, path, stem):
    return atomic_write_text(path, text_output(t, runs))


@writer("json", "{stem}.json")
def _json(t, runs, path, stem):
    return t.save(path)


@writer("srt", "{stem}.srt")
def _srt(t, runs, path, stem):
    return atomic_write_text(path, srt_output(t, runs))


@writer("vtt", "{stem}.vtt")
def _vtt(t, runs, path, stem):
    return atomic_write_text(path, vtt_output(t, runs))


@writer("docx", "{stem}.docx")
def _docx(t, runs, path, stem):
    return write_docx(t, path, runs)


@writer("stm", "{stem}.stm")
def _stm(t, runs, path, stem):
    return atomic_write_text(path, stm_output(t, stem, runs))


@writer("ctm", "{stem}.ctm")
def _ctm(t, runs, path, stem):
    return atomic_write_text(path, ctm_output(t, stem, runs))


@writer("rttm", "{stem}.rttm")
def _rttm(t, runs, path, stem):
    return atomic_write_text(path, rttm_output(t, stem, runs))


@writer("edits", "edits.json")
def _edits(t, runs, path, stem):
    return atomic_write_text(path, edits_output(t))


@writer("csv", "edits.csv")
def _csv(t, runs, path, stem):
    return write_edits_csv(t, path)


# What a run writes unless --formats says otherwise (edits.csv comes with the review page).
DEFAULT_FORMATS = ("txt", "json", "srt", "vtt", "docx", "stm", "ctm", "rttm", "edits")
ALWAYS = ("json",)  # transcript.json: the review page, apply-review and bench read it


def check_formats(formats) -> tuple[str, ...]:
    """The formats asked for, known and in registry order (transcript.json always among them)."""
    names = [f.strip() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    unknown = [n for n in names if n not in WRITERS]
    if unknown:
        raise InputError(f"--formats {','.join(names)}: {unknown[0]!r} is not a format "
                         f"(choose from {', '.join(WRITERS)})")
    return tuple(n for n in WRITERS if n in names or n in ALWAYS)


def write_outputs(t: Transcript, out_dir: str | Path, stem: str = "transcript",
                  formats=DEFAULT_FORMATS) -> list[Path]:
    """Every output format asked for; the paragraphs are spliced and split into speaker runs once for all."""
    out = Path(out_dir)
    runs = paragraph_runs(t)
    return [WRITERS[n].write(t, runs, out / WRITERS[n].filename.format(stem=stem), stem) for n in check_formats(formats)]
