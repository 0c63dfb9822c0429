"""Benchmark reports: Markdown, JSON and a self-contained HTML page with matplotlib charts."""
from __future__ import annotations

import base64
import html
import io
import json
import re
from pathlib import Path

from callfix.io.atomic import atomic_write_text

LABELS = {"vendor": "vendor", "asr": "ASR only", "corrected": "corrected", "diarization": "diarization"}
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def label(src: str) -> str:
    return LABELS.get(src, src)


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _tokens(s: str, limit: int = 60) -> str:
    s = _CJK_GAP.sub("", s)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _rate_cell(r: dict | None, with_n: bool = False) -> str:
    if not r or r.get("rate") is None:
        return "–"
    n = f" of {r['ref_tokens']}" if with_n and "ref_tokens" in r else ""
    return f"{_pct(r['rate'])} (S {r['substitutions']} / D {r['deletions']} / I {r['insertions']}{n})"


def summary_rows(res: dict) -> list[tuple[str, list[str]]]:
    """The side-by-side table: one row per metric, one column per source."""
    srcs = res["sources"]
    ref = res.get("reference", {})
    rows: list[tuple[str, list[str]]] = []

    def row(name, fn):
        cells = [fn(s) for s in srcs.values()]
        if any(c != "–" for c in cells):
            rows.append((name, cells))

    # the earnings mode's reference length depends on the spoken forms each hypothesis matched
    row("WER, earnings rules", lambda s: _rate_cell(s.get("wer"), True))
    if "calls" in res:  # pooled over calls: sources may cover different calls, so each cell says its size
        row("WER English", lambda s: _rate_cell(s.get("wer_en"), True))
        row("CER Mandarin", lambda s: _rate_cell(s.get("cer_zh"), True))
        row("MER mixed", lambda s: _rate_cell(s.get("mer"), True))
    else:
        row(f"WER English ({ref.get('english_words', 0)} words)", lambda s: _rate_cell(s.get("wer_en")))
        row(f"CER Mandarin ({ref.get('chinese_chars', 0)} chars)", lambda s: _rate_cell(s.get("cer_zh")))
        row(f"MER mixed ({ref.get('mixed_tokens', 0)} tokens)", lambda s: _rate_cell(s.get("mer")))
    row("speech coverage (ASR words over VAD speech)",
        lambda s: "–" if s.get("speech_coverage") is None else _pct(s["speech_coverage"]))
    row("glossary terms right", lambda s: "–" if not s.get("terms") or s["terms"]["accuracy"] is None else
        f"{_pct(s['terms']['accuracy'])} ({s['terms']['correct']}/{s['terms']['occurrences']})")
    if any(s.get("cpwer") for s in srcs.values()):
        rows.append(("cpWER (speaker-attributed)", [
            _rate_cell(s["cpwer"]) if s.get("cpwer") else ("no speakers" if "has_speakers" in s else "–")
            for s in srcs.values()]))
    row("injected defects fixed", lambda s: "–" if not s.get("defects") else
        f"{s['defects']['fixed']}/{s['defects']['injected']}" + (f" (+{s['defects']['suggested']} suggested)"
                                                                  if s["defects"].get("suggested") else ""))
    collars = sorted({c for s in srcs.values() for c in (s.get("der") or {})}, key=lambda c: -float(c))
    for c in collars:
        row(f"DER, collar {c} s", lambda s, c=c: "–" if not (s.get("der") or {}).get(c) else
            "{} (miss {} / FA {} / conf {})".format(*(_pct(s["der"][c][k]) for k in ("der", "missed", "false_alarm", "confusion"))))
    return rows


def to_markdown(res: dict, command: str | None = None) -> str:
    srcs = list(res["sources"])
    out = [f"# Benchmark: {res['call']}", ""]
    ref = res.get("reference", {})
    if ref.get("path"):
        out += [f"Reference: `{ref['path']}` ({ref.get('format')})", ""]
    for key, what in (("normalisation", "Normalisation candidates"), ("wer_tags", "Entity classes")):
        if ref.get(key):
            out += [f"{what}: `{ref[key]}`", ""]
    if res.get("scoring_note"):
        out += [f"Scoring: {res['scoring_note']}", ""]
    if command:
        out += ["```", command, "```", ""]
    out += ["| metric | " + " | ".join(label(s) for s in srcs) + " |", "|---|" + "---|" * len(srcs)]
    out += [f"| {name} | " + " | ".join(cells) + " |" for name, cells in summary_rows(res)]
    if res.get("per_call"):
        cols = [(m, n) for m, n in (("wer", "WER earnings"), ("wer_en", "WER en"), ("cer_zh", "CER zh"), ("mer", "MER"))
                if any(m in v for c in res["per_call"] for k, v in c.items() if k != "call")]
        out += ["", "## Per call", "", "| call | source | " + " | ".join(n for _, n in cols) + " |",
                "|---|---|" + "---|" * len(cols)]
        for c in res["per_call"]:
            for s, v in c.items():
                if s != "call":
                    out.append(f"| {c['call']} | {label(s)} | " + " | ".join(_pct(v.get(m)) for m, _ in cols) + " |")
    classes = sorted({k for s in res["sources"].values() for k in (s.get("entities") or {})})
    if classes:
        out += ["", "## Entity WER by class (reference wer_tags; errors / reference words)", "",
                "| class | " + " | ".join(label(s) for s in srcs) + " |", "|---|" + "---|" * len(srcs)]
        for k in classes:
            cells = []
            for s in srcs:
                e = (res["sources"][s].get("entities") or {}).get(k)
                cells.append("–" if not e or e.get("rate") is None else f"{_pct(e['rate'])} ({e['errors']}/{e['ref_tokens']})")
            out.append(f"| {k} | " + " | ".join(cells) + " |")
    names = ref.get("speaker_names") or {}
    spk = sorted({k for s in res["sources"].values() for k in (s.get("per_speaker") or {})})
    if spk:
        unit = "words, earnings rules" if res.get("scoring") == "earnings" else "mixed tokens"
        out += ["", f"## Error rate by reference speaker ({unit})", "",
                "| speaker | " + " | ".join(label(s) for s in srcs) + " |", "|---|" + "---|" * len(srcs)]
        for k in spk:
            cells = [_pct(((res["sources"][s].get("per_speaker") or {}).get(k) or {}).get("rate")) for s in srcs]
            out.append(f"| {names.get(k, k)} | " + " | ".join(cells) + " |")
    for s in srcs:
        conf = res["sources"][s].get("confusions") or []
        if conf:
            out += ["", f"## Most frequent errors: {label(s)}", "", "| count | type | reference | hypothesis |",
                    "|---|---|---|---|"]
            out += [f"| {c['count']} | {c['type']} | {_md(_tokens(c['ref']))} | {_md(_tokens(c['hyp']))} |" for c in conf]
    dsrc = [s for s in srcs if res["sources"][s].get("defects")]
    if dsrc:
        types = sorted({t for s in dsrc for t in res["sources"][s]["defects"]["by_type"]})
        out += ["", "## Injected defects fixed (suggested to the editor)", "",
                "| defect type | " + " | ".join(label(s) for s in dsrc) + " |", "|---|" + "---|" * len(dsrc)]
        for t in types:
            cells = []
            for s in dsrc:
                b = res["sources"][s]["defects"]["by_type"].get(t, {})
                cells.append(f"{b.get('fixed', 0)}/{b.get('injected', 0)}" + (f" ({b['suggested']})" if b.get("suggested") else ""))
            out.append(f"| {t} | " + " | ".join(cells) + " |")
    terms = sorted({t for s in res["sources"].values() for t in ((s.get("terms") or {}).get("by_term") or {})})
    if terms:
        out += ["", "## Glossary terms (right / occurrences in the reference)", "",
                "| term | " + " | ".join(label(s) for s in srcs) + " |", "|---|" + "---|" * len(srcs)]
        for t in terms:
            cells = []
            for s in srcs:
                a = ((res["sources"][s].get("terms") or {}).get("by_term") or {}).get(t)
                cells.append(f"{a['correct']}/{a['occurrences']}" if a else "–")
            out.append(f"| {_md(t)} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _md(s: str) -> str:
    return s.replace("|", "\\|") or "∅"


def charts(res: dict) -> dict[str, bytes]:
    """PNG charts: error rate by source, by speaker, and error types by source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    srcs = [s for s in res["sources"] if any(res["sources"][s].get(k) for k in ("mer", "wer_en", "wer"))]
    out: dict[str, bytes] = {}
    if not srcs:
        return out
    metrics = [("wer", "WER earnings"), ("wer_en", "WER en"), ("cer_zh", "CER zh"), ("mer", "MER")]
    metrics = [(k, n) for k, n in metrics if any((res["sources"][s].get(k) or {}).get("rate") is not None for s in srcs)]

    def png(fig) -> bytes:
        buf = io.BytesIO()
        fig.tight_layout()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        return buf.getvalue()

    fig, ax = plt.subplots(figsize=(7, 3.6))
    w = 0.8 / max(1, len(srcs))
    for i, s in enumerate(srcs):
        vals = [100 * ((res["sources"][s].get(k) or {}).get("rate") or 0) for k, _ in metrics]
        bars = ax.bar([j + i * w for j in range(len(metrics))], vals, w, label=label(s))
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks([j + w * (len(srcs) - 1) / 2 for j in range(len(metrics))], [n for _, n in metrics])
    ax.set_ylabel("error rate (%)")
    ax.set_title("Error rate by source")
    ax.legend()
    out["by_source"] = png(fig)

    names = res.get("reference", {}).get("speaker_names") or {}
    spk = sorted({k for s in srcs for k in (res["sources"][s].get("per_speaker") or {})})
    if spk:
        fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(spk)), 3.6))
        for i, s in enumerate(srcs):
            ps = res["sources"][s].get("per_speaker") or {}
            ax.bar([j + i * w for j in range(len(spk))], [100 * ((ps.get(k) or {}).get("rate") or 0) for k in spk],
                   w, label=label(s))
        ax.set_xticks([j + w * (len(srcs) - 1) / 2 for j in range(len(spk))], [names.get(k, k) for k in spk],
                      rotation=20, ha="right")
        ax.set_ylabel("error rate (%)")
        ax.set_title("Error rate by reference speaker (mixed tokens)")
        ax.legend()
        out["by_speaker"] = png(fig)

    fig, ax = plt.subplots(figsize=(6, 3.4))
    bottom = [0] * len(srcs)
    for key, name in (("substitutions", "substitutions"), ("deletions", "deletions"), ("insertions", "insertions")):
        vals = [(res["sources"][s].get("mer") or res["sources"][s].get("wer") or {}).get(key, 0) for s in srcs]
        ax.bar([label(s) for s in srcs], vals, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, vals)]
    ax.set_ylabel("errors (words)" if any(res["sources"][s].get("wer") for s in srcs) else "errors (mixed tokens)")
    ax.set_title("Error types by source")
    ax.legend()
    out["error_types"] = png(fig)
    return out


def to_html(res: dict, command: str | None = None) -> str:
    """The Markdown report's sections as HTML, with the charts after the summary table."""
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Benchmark: {esc(res['call'])}</title>",
             "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
             "th{background:#f3f3f3}code,pre{background:#f6f6f6;padding:2px 4px}img{max-width:100%}</style></head><body>"]
    imgs = [f"<img alt='{k}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
            for k, png in charts(res).items()]
    lines = to_markdown(res, command).splitlines()
    i, tables = 0, 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("```"):
            j = i + 1
            while j < len(lines) and not lines[j].startswith("```"):
                j += 1
            parts.append(f"<pre>{esc(chr(10).join(lines[i + 1:j]))}</pre>")
            i = j + 1
            continue
        if ln.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            parts.append(_html_table(rows))
            tables += 1
            if tables == 1:
                parts += imgs
            continue
        if ln.startswith("## "):
            parts.append(f"<h2>{esc(ln[3:])}</h2>")
        elif ln.startswith("# "):
            parts.append(f"<h1>{esc(ln[2:])}</h1>")
        elif ln.strip():
            parts.append(f"<p>{esc(ln).replace('`', '')}</p>")
        i += 1
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(rows: list[str]) -> str:
    def cells(row: str) -> list[str]:
        return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]

    head, body = cells(rows[0]), [cells(r) for r in rows[2:]]
    out = ["<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in head) + "</tr>"]
    out += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body]
    return "".join(out) + "</table>"


def write_reports(res: dict, out_dir: str | Path, stem: str = "bench", command: str | None = None) -> list[Path]:
    out = Path(out_dir)
    return [
        atomic_write_text(out / f"{stem}.json", json.dumps(res, ensure_ascii=False, indent=1) + "\n"),
        atomic_write_text(out / f"{stem}.md", to_markdown(res, command)),
        atomic_write_text(out / f"{stem}.html", to_html(res, command)),
    ]
