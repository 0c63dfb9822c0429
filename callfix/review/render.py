"""The editors' review page: one self-contained HTML file beside the outputs.

The transcript is rendered server-side (every string through ``html.escape``) so the page reads
even without scripts; the inline script adds playback, decisions, filters and export, and reads
its data from a ``<script type="application/json">`` block, writing it only through
``textContent``. A Content-Security-Policy forbids any network access and any script but ours.
Every timed word carries its time (``data-t``), so a click plays from that word and the word
being spoken is highlighted.
"""
from __future__ import annotations

import base64
import bisect
import hashlib
import html
import json
import os
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from callfix.errors import InputError
from callfix.io.atomic import atomic_write_text
from callfix.io.edits import write_edits_csv
from callfix.model import Edit, Paragraph, Transcript
from callfix.review.clips import edit_clips
from callfix.review.decisions import known_speakers, transcript_id
from callfix.review.evidence import evidence_rows
from callfix.review.rebuild import check_edits, rebuild_transcript
from callfix.review.tables import write_diff

ASSETS = Path(__file__).resolve().parent
LANGUAGES = {"en": "English", "zh": "Mandarin"}
KINDS = {"replace": "replacement", "delete": "deletion", "insert": "insertion", "resource": "Mandarin transcript"}
FLAG_LABELS = {
    "machine_translation": "machine translation of Mandarin speech",
    "unverified": "not verified against the audio",
    "not_in_audio": "not found in the audio",
}


def render_review(out_dir: str | Path, audio: str | None = None, embed_audio: bool = False,
                  warn: Callable[[str], None] | None = None) -> Path:
    """Write review.html, edits.csv and transcript.diff for ``out_dir/transcript.json``.

    ``warn`` hears, in one line, that the call audio was not found (the page then has no player).
    """
    out = Path(out_dir)
    src = out / "transcript.json"
    t = Transcript.load(src)
    check_edits(t, str(src))
    if audio is not None:
        audio_path = _first_file([Path(audio), out / audio])
        if audio_path is None:
            raise InputError(f"{audio}: audio file not found")
    else:
        audio_path = _first_file(audio_candidates(out, t))
    clips: dict[str, str] = {}
    clip_of: dict[str, list] = {}
    clip_spans: dict[str, list] = {}
    audio_srcs: list[str] = []
    if audio_path is not None:
        if embed_audio:
            clips, clip_of, clip_spans = edit_clips(audio_path, t.edits)
        else:
            audio_srcs = audio_urls(audio_path, out)
    elif embed_audio:
        raise InputError(f"{src}: its audio {t.audio or '(none named)'} is not found; pass --audio FILE to embed clips")
    elif warn is not None:
        warn(f"{src}: its audio {t.audio or '(none named)'} is not found beside it"
             + (f" nor at {t.meta['audio_path']}" if t.meta.get("audio_path") else "")
             + "; the page has no player (pass --audio FILE)")

    page = build_page(t, audio_srcs=audio_srcs, clips=clips, clip_of=clip_of, clip_spans=clip_spans)
    path = atomic_write_text(out / "review.html", page)
    write_edits_csv(t, out / "edits.csv")
    write_diff(t, out / "transcript.diff")
    return path


def audio_candidates(out: Path, t: Transcript) -> list[Path]:
    """Where the call audio may be, best first.

    ``callfix run`` names it relative to the output folder (and absolutely in ``meta.audio_path``);
    older runs named it relative to the directory they were started in. A folder copied together
    with its audio may hold it, or sit beside it.
    """
    cands: list[Path] = []
    name = Path(t.audio) if t.audio else None
    if name is not None:
        cands.append(name if name.is_absolute() else out / name)
    if t.meta.get("audio_path"):
        cands.append(Path(t.meta["audio_path"]))
    if name is not None:
        cands += [] if name.is_absolute() else [name]
        cands += [out / name.name, out.parent / name.name]
    return cands


def _first_file(cands: list[Path]) -> Path | None:
    return next((c for c in cands if c.is_file()), None)


def audio_urls(audio: Path, out: Path) -> list[str]:
    """URLs the page tries in turn: where the audio is now (relative, so the folder and its audio
    can move together), beside the page, one level up, and its absolute place."""
    rel = os.path.relpath(audio.resolve(), out.resolve())
    base = quote(audio.name)
    urls = ["/".join(quote(part) for part in Path(rel).parts), base, "../" + base, audio.resolve().as_uri()]
    return list(dict.fromkeys(urls))


def build_page(t: Transcript, audio_srcs: list[str] | None = None, clips: dict[str, str] | None = None,
               clip_of: dict[str, list] | None = None, clip_spans: dict[str, list] | None = None) -> str:
    clips = clips or {}
    audio_srcs = audio_srcs or []
    tid = transcript_id(t)
    title = Path(t.audio).name if t.audio else "transcript"
    edits_by_para: dict[int, list[tuple[int, Edit]]] = {}
    for i, e in enumerate(t.edits):
        edits_by_para.setdefault(e.paragraph, []).append((i, e))
    corrected = rebuild_transcript(t)
    speakers = [(sid, t.speaker_label(sid) or sid) for sid in known_speakers(t)]

    data = {
        "id": tid,
        "audio": audio_srcs,
        "clips": clips,
        "clipOf": clip_of or {},
        "clipSpans": clip_spans or {},
        "edits": [_edit_data(t, e) for e in t.edits],
        "paragraphs": [{"index": p.index, "start": p.start, "end": p.end, "speakers": p.speakers,
                        "vendorSpeaker": p.speaker} for p in t.paragraphs],
        "speakers": [{"id": sid, "label": label} for sid, label in speakers],
    }
    css = (ASSETS / "page.css").read_text(encoding="utf-8")
    js = (ASSETS / "page.js").read_text(encoding="utf-8")
    js_hash = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"media-src 'self' file: data: blob:; script-src 'sha256-{js_hash}'"
    )
    counts = {k: sum(e.decision == k for e in t.edits) for k in ("applied", "suggested", "kept")}
    e_ = html.escape

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e_(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Review · {e_(title)}</title>",
        f"<style>{css}</style></head><body>",
        '<header id="top">',
        f'<div class="row"><h1>Review <span class="file">{e_(title)}</span></h1>',
        f'<span class="summary">{len(t.paragraphs)} paragraphs · {len(t.edits)} edits: '
        f'<span class="c-applied">{counts["applied"]} applied</span>, '
        f'<span class="c-suggested">{counts["suggested"]} suggested</span>, '
        f'<span class="c-kept">{counts["kept"]} kept</span></span></div>',
        '<div class="row controls">',
        '<span class="group">Show: '
        '<label class="c-applied"><input type="checkbox" class="f-class" value="applied" checked> applied</label> '
        '<label class="c-suggested"><input type="checkbox" class="f-class" value="suggested" checked> suggested</label> '
        '<label class="c-kept" title="low-confidence differences the vendor text keeps"><input type="checkbox" class="f-class" value="kept"> kept</label> '
        '<label><input type="checkbox" id="f-undecided"> undecided only</label></span>',
        '<label class="group">Speaker: <select id="f-speaker"><option value="">all speakers</option>'
        + "".join(f'<option value="{e_(sid)}">{e_(label)}</option>' for sid, label in speakers)
        + "</select></label>",
        '<label class="group search">Search: <input type="search" id="search" placeholder="text, edits, reasons  (/)" '
        'autocomplete="off"></label><span id="search-count" class="note"></span>',
        "</div>",
        '<div class="row controls">',
        '<button id="accept-applied" type="button" title="Accept every applied edit in view that you have not decided yet">Accept applied in view</button>',
        '<button id="export" type="button" title="Download decisions.json for callfix apply-review">Export decisions</button>',
        '<button id="import" type="button" title="Load decisions.json exported earlier (merged over this page\'s)">Import decisions</button>'
        '<input type="file" id="import-file" accept=".json,application/json">',
        '<button id="clear" type="button" title="Forget every decision on this page">Clear decisions</button>',
        "</div>",
        '<details class="row help" id="help"><summary>Keys and mouse</summary>'
        "<kbd>j</kbd>/<kbd>k</kbd> next/previous edit · <kbd>a</kbd> accept · <kbd>r</kbd> reject · "
        "<kbd>u</kbd> undecide · <kbd>Enter</kbd> accept and go to the next · <kbd>e</kbd> type your own text · "
        "<kbd>Space</kbd> play/pause · <kbd>p</kbd> play the edit · <kbd>[</kbd>/<kbd>]</kbd> or "
        "<kbd>←</kbd>/<kbd>→</kbd> back/forward 3 s · <kbd>-</kbd>/<kbd>=</kbd> slower/faster · <kbd>0</kbd> normal speed · "
        "<kbd>/</kbd> search · <kbd>Esc</kbd> cancel. Click a word to listen from it; click a speaker's name to change it. "
        '<span class="legend"><del>struck red</del> removed · <ins>green</ins> inserted · '
        '<span class="off-sample">grey italic</span> proposed, not in the text · '
        '<span class="del-sample">dotted strike</span> proposed deletion</span></details>',
        "</header>",
        '<div id="transport">',
    ]
    if audio_srcs:
        parts.append(f'<audio id="player" controls preload="metadata" src="{e_(audio_srcs[0])}"></audio>'
                     '<span id="rate" class="note" title="playback speed (- and = keys)">1×</span>'
                     '<span id="audio-status" class="note"></span>')
    elif clips:
        parts.append('<span class="note">Audio: short clips around each edit are embedded; select an edit and '
                     'press <kbd>p</kbd> or click a word near it.</span>')
    else:
        parts.append('<span class="note">Audio: not found beside the transcript (render with '
                     '<code>callfix review DIR --audio FILE</code>).</span>')
    parts.append('<span id="progress" class="progress" aria-live="polite"></span>'
                 '<progress id="progress-bar" max="1" value="0"></progress>'
                 '<span id="status" role="status"></span></div>')
    parts.append('<main><div id="doc">')
    parts.append('<details id="speakers"><summary>Speakers <span id="speaker-summary" class="note"></span></summary>'
                 '<p class="note">Rename a speaker here; click a speaker\'s name above a paragraph to give the '
                 'paragraph to another speaker.</p><div id="speaker-list"></div>'
                 '<button id="add-speaker" type="button">Add a speaker</button></details>')
    if t.header:
        parts.append('<details class="vendor-header"><summary>Vendor header</summary>'
                     + "".join(f"<p>{e_(line)}</p>" for line in t.header) + "</details>")
    for p in t.paragraphs:
        parts.append(_paragraph_html(t, p, edits_by_para.get(p.index, []), corrected[p.index].text))
    parts.append("</div>")
    parts.append(_PANEL)
    parts.append("</main>")
    payload = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    parts.append(f'<script type="application/json" id="review-data">{payload}</script>')
    parts.append(f"<script>{js}</script></body></html>")
    return "\n".join(parts)


_PANEL = """<aside id="panel" aria-label="the selected edit">
<p id="panel-empty" class="note">Select an edit (click it, or press <kbd>j</kbd>) to see its evidence and decide.</p>
<div id="panel-body" hidden>
<div class="ph"><span id="pe-class" class="badge"></span> <span id="pe-kind"></span> <span id="pe-state" class="state"></span>
<span id="pe-where" class="note"></span></div>
<div class="change"><del id="pe-vendor"></del> <span class="arrow">→</span> <ins id="pe-repl"></ins></div>
<p id="pe-note" class="explain" hidden></p>
<div class="own-row"><label for="pe-text">Your text <kbd>e</kbd></label>
<input id="pe-text" type="text" autocomplete="off" spellcheck="true">
<button id="btn-own" type="button" title="Accept with your text and go to the next edit (Enter in the field)">Use my text</button></div>
<div class="actions"><button id="btn-next" type="button" class="primary" title="Accept and go to the next edit">Accept &amp; next <kbd>Enter</kbd></button>
<button id="btn-accept" type="button">Accept <kbd>a</kbd></button>
<button id="btn-reject" type="button">Reject <kbd>r</kbd></button>
<button id="btn-undo" type="button">Undecide <kbd>u</kbd></button>
<button id="btn-play" type="button">Play <kbd>p</kbd></button>
<button id="btn-prev-edit" type="button" title="previous edit">↑ <kbd>k</kbd></button>
<button id="btn-next-edit" type="button" title="next edit">↓ <kbd>j</kbd></button></div>
<div id="pe-confirm" class="confirm" hidden><span id="pe-confirm-text"></span>
<button id="btn-confirm" type="button" class="primary">Add it <kbd>a</kbd></button>
<button id="btn-cancel" type="button">Cancel <kbd>Esc</kbd></button></div>
<details id="pe-why" open><summary>Why: <span id="pe-confidence"></span></summary>
<p id="pe-reason"></p>
<dl id="pe-evidence"></dl></details>
</div>
<audio id="clip-player" hidden></audio>
</aside>"""


def _edit_data(t: Transcript, e: Edit) -> dict:
    return {
        "id": e.id, "paragraph": e.paragraph, "kind": e.kind, "kindLabel": KINDS.get(e.kind, e.kind),
        # a resource edit's vendor text is its whole English paragraph, on the page already
        "vendor": "" if e.kind == "resource" else e.vendor, "replacement": e.replacement,
        "decision": e.decision, "start": e.start, "end": e.end, "speaker": e.speaker,
        "language": e.language, "confidence": e.confidence, "reason": e.reason,
        "evidence": evidence_rows(e),
    }


def fmt_time(s: float | None) -> str:
    if s is None:
        return "–"
    s = int(round(s))
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _paragraph_html(t: Transcript, p: Paragraph, edits: list[tuple[int, Edit]], corrected: str) -> str:
    e_ = html.escape
    who = " / ".join(t.speaker_label(s) or s for s in p.speakers) or p.speaker or "unknown speaker"
    speakers_attr = " ".join(p.speakers)
    span = f"{fmt_time(p.start)}–{fmt_time(p.end)}" if p.start is not None else "no time"
    lang = LANGUAGES.get(p.language, p.language)
    flags = "".join(f'<span class="flag">{e_(FLAG_LABELS.get(f, f.replace("_", " ")))}</span>' for f in p.flags)
    start_attr = f' data-start="{p.start:.3f}"' if p.start is not None else ""
    head = (
        f'<div class="meta"><button type="button" class="who" title="Change who speaks this paragraph">{e_(who)}</button>'
        f'<button type="button" class="time" title="Play from here">{e_(span)}</button>'
        f'<span class="lang" lang="en">{e_(lang)}</span>{flags}</div>'
    )
    resource = [(i, e) for i, e in edits if e.kind == "resource"]
    inline, overlapping = _text_with_edits(p, [(i, e) for i, e in edits if e.kind != "resource"])
    body = f'<p class="text">{inline}</p>'
    if overlapping:
        body += '<div class="overlaps">Overlapping edits: ' + " ".join(overlapping) + "</div>"
    if "machine_translation" in p.flags or p.source_text or resource:
        if resource:
            src = "<br>".join(_resource_html(i, e) for i, e in resource)
        elif p.source_text:
            src = e_(p.source_text)
        else:
            src = '<span class="note">no Mandarin transcript</span>'
        body = (
            '<div class="cols">'
            f'<div class="col src"><h3>Mandarin from the audio</h3><p class="text" lang="zh">{src}</p></div>'
            f'<div class="col mt"><h3>Vendor\'s English (kept)</h3>{body}</div></div>'
        )
    changed = "" if corrected == p.text else " changed"
    return (
        f'<section class="para{changed}" id="p-{p.index}" data-index="{p.index}"{start_attr} '
        f'data-speakers="{e_(speakers_attr)}">{head}{body}</section>'
    )


class _Words:
    """The paragraph's timed tokens, to wrap each in a span carrying its start time."""

    def __init__(self, p: Paragraph):
        self.text = p.text
        self.toks = sorted((k for k in p.tokens if k.start is not None), key=lambda k: k.offset)
        self.offsets = [k.offset for k in self.toks]

    def html(self, lo: int, hi: int) -> str:
        e_ = html.escape
        out, pos = [], lo
        for n in range(bisect.bisect_left(self.offsets, lo), len(self.toks)):
            k = self.toks[n]
            end = k.offset + len(k.text)
            if k.offset >= hi:
                break
            if end > hi or self.text[k.offset:end] != k.text:
                continue  # a token cut by an edit boundary stays plain text
            out.append(e_(self.text[pos:k.offset]))
            out.append(f'<span data-t="{k.start:.2f}">{e_(k.text)}</span>')
            pos = end
        out.append(e_(self.text[pos:hi]))
        return "".join(out)


def _text_with_edits(p: Paragraph, edits: list[tuple[int, Edit]]) -> tuple[str, list[str]]:
    """Paragraph HTML with its edits inline; an edit inside another's span nests in it."""
    overlapping: list[str] = []
    ordered = sorted(edits, key=lambda ie: (ie[1].char_start, -ie[1].char_end))
    words = _Words(p)
    return _span_html(words, 0, len(p.text), ordered, overlapping), overlapping


def _span_html(words: _Words, lo: int, hi: int, edits: list[tuple[int, Edit]], overlapping: list[str]) -> str:
    e_ = html.escape
    out: list[str] = []
    pos, k = lo, 0
    while k < len(edits):
        i, e = edits[k]
        k += 1
        if e.char_start < pos:
            overlapping.append(_edit_html(i, e, e_(e.vendor)))  # crosses an earlier edit's boundary
            continue
        inner: list[tuple[int, Edit]] = []
        while k < len(edits) and edits[k][1].char_start < e.char_end and edits[k][1].char_end <= e.char_end:
            inner.append(edits[k])
            k += 1
        out.append(words.html(pos, e.char_start))
        out.append(_edit_html(i, e, _span_html(words, e.char_start, e.char_end, inner, overlapping)))
        pos = e.char_end
    out.append(words.html(pos, hi))
    return "".join(out)


def _edit_attrs(i: int, e: Edit, extra: str = "") -> str:
    e_ = html.escape
    on = " on" if e.decision == "applied" or e.kind == "resource" else " off"
    deletion = " deletion" if e.vendor and not e.replacement else ""
    tip = f"{e.decision} {KINDS.get(e.kind, e.kind)}" + (f": {e.reason}" if e.reason else "")
    start = f' data-start="{e.start:.2f}"' if e.start is not None else ""
    return (f'class="edit {e_(e.decision)} k-{e_(e.kind)}{deletion}{on}{extra}" id="edit-{i}" data-i="{i}" '
            f'data-edit="{e_(e.id)}"{start} tabindex="0" role="button" title="{e_(tip)}"')


def _edit_html(i: int, e: Edit, vendor_html: str) -> str:
    dele = f"<del>{vendor_html}</del>" if e.vendor else ""
    empty = "" if e.replacement or e.vendor else " empty"
    ins = f'<ins class="repl{empty}">{html.escape(e.replacement)}</ins>'
    return f"<span {_edit_attrs(i, e)}>{dele}{ins}</span>"


def _resource_html(i: int, e: Edit) -> str:
    # The Mandarin transcript is the proposal; the English beside it is never replaced.
    return f'<span {_edit_attrs(i, e)}><ins class="repl">{html.escape(e.replacement)}</ins></span>'
