"""The editors' review page: one self-contained HTML file beside the outputs.

The transcript is rendered server-side (every string through ``html.escape``) so the page reads
even without scripts; the inline script adds playback, decisions, filters and export, and reads
its data from a ``<script type="application/json">`` block, writing it only through
``textContent``. A Content-Security-Policy forbids any network access and any script but ours.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
from pathlib import Path
from urllib.parse import quote

from callfix.errors import InputError
from callfix.io.atomic import atomic_write_text
from callfix.model import Edit, Paragraph, Transcript
from callfix.review.decisions import transcript_id
from callfix.review.rebuild import check_edits, rebuild_transcript
from callfix.review.tables import write_diff, write_edits_csv

ASSETS = Path(__file__).resolve().parent
LANGUAGES = {"en": "English", "zh": "Mandarin"}
FLAG_LABELS = {
    "machine_translation": "machine translation of Mandarin speech",
    "unverified": "not verified against the audio",
    "not_in_audio": "not found in the audio",
}


def render_review(out_dir: str | Path, audio: str | None = None, embed_audio: bool = False) -> Path:
    """Write review.html, edits.csv and transcript.diff for ``out_dir/transcript.json``."""
    out = Path(out_dir)
    src = out / "transcript.json"
    t = Transcript.load(src)
    check_edits(t, str(src))
    audio_path = _find_audio(out, audio, t)
    clips: dict[str, str] = {}
    clip_of: dict[str, list] = {}
    audio_src = None
    if audio_path is not None:
        if embed_audio:
            from callfix.review.clips import edit_clips

            clips, clip_of = edit_clips(audio_path, t.edits)
        else:
            audio_src = _relative_url(audio_path, out)
    elif audio is not None:
        raise InputError(f"{audio}: audio file not found")
    elif embed_audio:
        raise InputError(f"{src}: its audio {t.audio or '(none named)'} is not found; pass --audio FILE to embed clips")

    page = build_page(t, audio_src=audio_src, clips=clips, clip_of=clip_of)
    path = atomic_write_text(out / "review.html", page)
    write_edits_csv(t, out / "edits.csv")
    write_diff(t, out / "transcript.diff")
    return path


def _find_audio(out: Path, audio: str | None, t: Transcript) -> Path | None:
    # a path as given (absolute or from the working directory), else relative to the output folder
    for name in [audio] if audio is not None else [t.audio] if t.audio else []:
        for cand in (Path(name), out / name):
            if cand.is_file():
                return cand
    return None


def _relative_url(audio: Path, out: Path) -> str:
    rel = os.path.relpath(audio.resolve(), out.resolve())
    return "/".join(quote(part) for part in Path(rel).parts)


def build_page(t: Transcript, audio_src: str | None = None, clips: dict[str, str] | None = None,
               clip_of: dict[str, list] | None = None) -> str:
    clips = clips or {}
    tid = transcript_id(t)
    title = Path(t.audio).name if t.audio else "transcript"
    edits_by_para: dict[int, list[tuple[int, Edit]]] = {}
    for i, e in enumerate(t.edits):
        edits_by_para.setdefault(e.paragraph, []).append((i, e))
    corrected = rebuild_transcript(t)

    data = {
        "id": tid,
        "audio": bool(audio_src),
        "clips": clips,
        "clipOf": clip_of or {},
        "edits": [_edit_data(t, e) for e in t.edits],
        "paragraphs": [{"index": p.index, "start": p.start, "end": p.end} for p in t.paragraphs],
    }
    css = (ASSETS / "page.css").read_text(encoding="utf-8")
    js = (ASSETS / "page.js").read_text(encoding="utf-8")
    js_hash = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"media-src 'self' file: data: blob:; script-src 'sha256-{js_hash}'"
    )
    counts = {k: sum(e.decision == k for e in t.edits) for k in ("applied", "suggested", "kept")}
    speakers = _speaker_options(t)
    e_ = html.escape

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{e_(csp)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Review · {e_(title)}</title>",
        f"<style>{css}</style></head><body>",
        '<header id="bar">',
        f'<div class="row"><h1>Review <span class="file">{e_(title)}</span></h1>',
        f'<span class="summary">{len(t.paragraphs)} paragraphs · {len(t.edits)} edits: '
        f'<span class="c-applied">{counts["applied"]} applied</span>, '
        f'<span class="c-suggested">{counts["suggested"]} suggested</span>, '
        f'<span class="c-kept">{counts["kept"]} kept</span></span>',
        '<span id="progress" class="progress" aria-live="polite"></span>',
        '<progress id="progress-bar" max="1" value="0"></progress></div>',
        '<div class="row controls">',
        '<span class="group">Show: '
        '<label class="c-applied"><input type="checkbox" class="f-class" value="applied" checked> applied</label> '
        '<label class="c-suggested"><input type="checkbox" class="f-class" value="suggested" checked> suggested</label> '
        '<label class="c-kept" title="low-confidence differences the vendor text keeps"><input type="checkbox" class="f-class" value="kept"> kept</label> '
        '<label><input type="checkbox" id="f-undecided"> undecided only</label></span>',
        '<label class="group">Speaker: <select id="f-speaker"><option value="">all speakers</option>'
        + "".join(f'<option value="{e_(sid)}">{e_(label)}</option>' for sid, label in speakers)
        + "</select></label>",
        '<button id="accept-applied" type="button" title="Accept every applied edit you have not decided yet">Accept all applied</button>',
        '<button id="export" type="button" title="Download decisions.json for callfix apply-review">Export decisions</button>',
        '<button id="import" type="button" title="Load decisions.json exported earlier (merged over this page\'s)">Import decisions</button>'
        '<input type="file" id="import-file" accept=".json,application/json">',
        '<button id="clear" type="button" title="Forget every decision on this page">Clear decisions</button>',
        '<span id="status" role="status"></span>',
        "</div>",
        '<div class="row help" id="help">Keys: <kbd>j</kbd>/<kbd>k</kbd> next/previous edit · '
        "<kbd>a</kbd> accept · <kbd>r</kbd> reject · <kbd>u</kbd> undecide · <kbd>p</kbd> play edit · "
        "click a paragraph or an edit to listen from there. "
        '<span class="legend"><del>struck red</del> removed · <ins>green</ins> inserted · '
        '<span class="off-sample">grey italic</span> proposed, not in the text</span></div>',
    ]
    if audio_src:
        parts.append(f'<div class="row"><audio id="player" controls preload="metadata" src="{e_(audio_src)}"></audio>'
                     '<span id="audio-status" class="note"></span></div>')
    elif clips:
        parts.append('<div class="row note">Audio: short clips of each edit are embedded; select an edit and press <kbd>p</kbd>.</div>')
    else:
        parts.append('<div class="row note">Audio: not found beside the transcript (render with <code>callfix review DIR --audio FILE</code>).</div>')
    parts.append("</header><main><div id=\"doc\">")
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


_PANEL = """<aside id="panel" aria-live="polite">
<p id="panel-empty" class="note">Select an edit (click it, or press <kbd>j</kbd>) to see its evidence and decide.</p>
<div id="panel-body" hidden>
<div class="ph"><span id="pe-class" class="badge"></span> <span id="pe-kind"></span> <span id="pe-state" class="state"></span></div>
<div class="change"><del id="pe-vendor"></del> <span class="arrow">→</span> <ins id="pe-repl"></ins></div>
<div class="actions"><button id="btn-accept" type="button">Accept <kbd>a</kbd></button>
<button id="btn-reject" type="button">Reject <kbd>r</kbd></button>
<button id="btn-undo" type="button">Undecide <kbd>u</kbd></button>
<button id="btn-play" type="button">Play <kbd>p</kbd></button></div>
<dl id="pe-facts"></dl>
<h3>Evidence</h3>
<dl id="pe-evidence"></dl>
</div>
<audio id="clip-player" hidden></audio>
</aside>"""


def _speaker_options(t: Transcript) -> list[tuple[str, str]]:
    ids: list[str] = [s.id for s in t.speakers]
    for p in t.paragraphs:
        ids += [s for s in p.speakers if s not in ids]
    for e in t.edits:
        if e.speaker and e.speaker not in ids:
            ids.append(e.speaker)
    return [(s, t.speaker_label(s) or s) for s in ids]


def _edit_data(t: Transcript, e: Edit) -> dict:
    return {
        "id": e.id, "paragraph": e.paragraph, "kind": e.kind, "vendor": e.vendor, "replacement": e.replacement,
        "decision": e.decision, "start": e.start, "end": e.end, "speaker": e.speaker,
        "speakerLabel": t.speaker_label(e.speaker) if e.speaker else None, "language": e.language,
        "confidence": e.confidence, "reason": e.reason, "evidence": e.evidence,
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
        f'<div class="meta"><span class="who">{e_(who)}</span>'
        f'<button type="button" class="time" title="Play from here">{e_(span)}</button>'
        f'<span class="lang" lang="en">{e_(lang)}</span>{flags}</div>'
    )
    inline, overlapping = _text_with_edits(p.text, edits)
    body = f'<p class="text">{inline}</p>'
    if overlapping:
        body += '<div class="overlaps">Overlapping edits: ' + " ".join(overlapping) + "</div>"
    if "machine_translation" in p.flags or p.source_text:
        src = e_(p.source_text) if p.source_text else '<span class="note">no Mandarin transcript</span>'
        body = (
            '<div class="cols">'
            f'<div class="col src"><h3>Mandarin from the audio</h3><p class="text" lang="zh">{src}</p></div>'
            f'<div class="col mt"><h3>Vendor\'s machine translation</h3>{body}</div></div>'
        )
    changed = "" if corrected == p.text else " changed"
    return (
        f'<section class="para{changed}" id="p-{p.index}" data-index="{p.index}"{start_attr} '
        f'data-speakers="{e_(speakers_attr)}">{head}{body}</section>'
    )


def _text_with_edits(text: str, edits: list[tuple[int, Edit]]) -> tuple[str, list[str]]:
    """Paragraph HTML with its edits inline; an edit inside another's span nests in it."""
    overlapping: list[str] = []
    ordered = sorted(edits, key=lambda ie: (ie[1].char_start, -ie[1].char_end))
    return _span_html(text, 0, len(text), ordered, overlapping), overlapping


def _span_html(text: str, lo: int, hi: int, edits: list[tuple[int, Edit]], overlapping: list[str]) -> str:
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
        out.append(e_(text[pos:e.char_start]))
        out.append(_edit_html(i, e, _span_html(text, e.char_start, e.char_end, inner, overlapping)))
        pos = e.char_end
    out.append(e_(text[pos:hi]))
    return "".join(out)


def _edit_html(i: int, e: Edit, vendor_html: str) -> str:
    e_ = html.escape
    on = " on" if e.decision == "applied" else " off"
    tip = f"{e.decision} {e.kind}" + (f": {e.reason}" if e.reason else "")
    dele = f"<del>{vendor_html}</del>" if e.vendor else ""
    ins = f"<ins>{e_(e.replacement)}</ins>" if e.replacement else ""
    if e.kind == "resource" and e.replacement:
        # the Mandarin transcript already stands beside the translation: point to it, don't repeat it
        ins = '<ins class="resource" title="replaced by the Mandarin transcript shown beside it">⇐ Mandarin</ins>'
    if not dele and not ins:
        ins = '<ins class="empty">∅</ins>'
    return (
        f'<span class="edit {e_(e.decision)}{on}" id="edit-{i}" data-i="{i}" data-edit="{e_(e.id)}" '
        f'tabindex="0" role="button" title="{e_(tip)}">{dele}{ins}</span>'
    )
