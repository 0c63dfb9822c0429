"""An edit's evidence in plain words for the review page: ``[label, sentence]`` rows.

The aligner records evidence under machine keys (``asr_probability``, ``cross_paragraph``,
``acoustic`` …). Known keys read as sentences; numbers that are not the edit's confidence are told
in words, so the page shows one confidence figure. Keys this module does not know still show,
with a readable label.
"""
from __future__ import annotations

from typing import Any

from callfix.model import Edit

WORDINGS = {
    "vendor": "the vendor's text", "asr": "what the ASR heard", "replacement": "the proposed text",
    "proposal": "the proposed text", "proposed": "the proposed text", "glossary": "the glossary term",
    "editor": "the editor's text",
}


def certainty(p: float) -> str:
    return "very sure" if p >= 0.9 else "fairly sure" if p >= 0.7 else "unsure" if p >= 0.4 else "very unsure"


def alike(x: float) -> str:
    return "very alike" if x >= 0.8 else "somewhat alike" if x >= 0.5 else "unalike"


def confidence_words(c: float) -> str:
    """The one confidence figure the page shows for an edit."""
    word = "high" if c >= 0.8 else "medium" if c >= 0.5 else "low"
    return f"{round(100 * c)}% confident ({word})"


def _q(text: Any) -> str:
    return f"“{' '.join(str(text).split())}”"


def _num(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def plain(v: Any) -> str:
    """Any evidence value as text: nested values as ``label: value`` parts."""
    if isinstance(v, dict):
        return "; ".join(f"{label(k)}: {plain(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return ", ".join(plain(x) for x in v)
    if v is None:
        return "unknown"
    return _num(v)


def label(key: str) -> str:
    text = str(key).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def wording(key: str, kind: str = "replace") -> str:
    """A scored wording's name: ``vendor``, ``asr``, ``redecode``, ``glossary:<term>`` or a text."""
    if key == "asr" and kind == "delete":
        return "the text without these words"
    if key.startswith("glossary:"):
        return f"the glossary's {_q(key.split(':', 1)[1])}"
    if key == "redecode":
        return "a second decoding of the audio"
    return WORDINGS.get(key, _q(key))


def acoustic(v: Any, kind: str = "replace") -> str:
    """Teacher-forced scores of each wording on the audio and the margin of the best alternative
    over the vendor's wording (negative: the vendor's fits better)."""
    if not isinstance(v, dict):
        return plain(v)
    scores = v.get("scores") if isinstance(v.get("scores"), dict) else {}
    scores = {k: s for k, s in scores.items() if isinstance(s, (int, float)) and not isinstance(s, bool)}
    margin = v.get("margin")
    parts = []
    if scores:
        best = max(scores, key=scores.get)
        parts.append(f"the audio fits {wording(best, kind)} best")
    if isinstance(margin, (int, float)) and not isinstance(margin, bool):
        m = abs(margin)
        strength = "a clear lead" if m >= 5 else "a slight lead" if m >= 1 else "too close to call"
        parts.append(f"by {m:.1f} nats ({strength})")
    text = " ".join(parts) if parts else "no scores"
    if scores:
        text += ". Scores (log-likelihood, higher fits better): " + ", ".join(
            f"{wording(k, kind)} {s:.1f}" for k, s in sorted(scores.items(), key=lambda kv: -kv[1]))
    window = v.get("window")
    if isinstance(window, (list, tuple)) and len(window) == 2 and all(isinstance(x, (int, float)) for x in window):
        text += f". Audio scored: {window[0]:.1f}–{window[1]:.1f} s"
    if v.get("decision_before"):
        text += f". Before this check the edit was {v['decision_before']}"
    rest = {k: x for k, x in v.items() if k not in ("scores", "margin", "best", "window", "decision_before")}
    if rest:
        text += ". " + plain(rest)
    return text[:1].upper() + text[1:]


def _glossary(v: Any) -> str:
    if not isinstance(v, dict):
        return plain(v)
    out = []
    if isinstance(v.get("confusion"), (list, tuple)) and len(v["confusion"]) >= 2:
        out.append(f"{_q(v['confusion'][0])} is a known mishearing of {_q(v['confusion'][1])}")
    if isinstance(v.get("confusion_fuzzy"), (list, tuple)) and len(v["confusion_fuzzy"]) >= 2:
        out.append(f"close to the known mishearing {_q(v['confusion_fuzzy'][0])} of {_q(v['confusion_fuzzy'][1])}")
    if v.get("term"):
        out.append(f"the audio says the glossary term {_q(v['term'])}")
    if v.get("vendor_term"):
        out.append(f"the vendor's {_q(v['vendor_term'])} is a glossary spelling, which the edit would change")
    rest = {k: x for k, x in v.items() if k not in ("confusion", "confusion_fuzzy", "term", "vendor_term", "replacement")}
    if rest:
        out.append(plain(rest))
    return "; ".join(out) or "listed in the glossary"


def _number(v: Any) -> str:
    if not isinstance(v, dict):
        return plain(v)
    said = f"the text says {' '.join(map(str, v.get('vendor', [])))}, the audio {' '.join(map(str, v.get('audio', [])))}"
    sim = v.get("digit_similarity")
    if isinstance(sim, (int, float)):
        said += f" (digits {alike(sim)})"
    return said


def _loop(v: Any) -> str:
    if isinstance(v, dict):
        text = f"{_q(v.get('phrase', '?'))} repeated {v.get('count', '?')} times in the text"
        if "in_audio" in v:
            text += f", {v['in_audio']} in the audio"
        return text
    return f"a phrase repeated {plain(v)} times in the text"


def evidence_rows(e: Edit) -> list[list[str]]:
    ev = dict(e.evidence or {})
    rows: list[list[str]] = []

    def take(key: str):
        return ev.pop(key, None)

    if "acoustic" in ev:
        rows.append(["Audio check", acoustic(take("acoustic"), e.kind)])
    if "asr_text" in ev:
        heard = take("asr_text")
        if e.kind == "resource" and heard == e.replacement:
            rows.append(["Heard in the audio", "the Mandarin transcript proposed"])
        else:
            rows.append(["Heard in the audio", _q(heard) if str(heard or "").strip() else "nothing recognised"])
    if "redecoded" in ev:
        again = take("redecoded")
        rows.append(["Second decoding", _q(again) if str(again or "").strip() else "nothing recognised"])
    p, pmin = take("asr_probability"), take("asr_probability_min")
    if isinstance(p, (int, float)):
        text = f"{certainty(p)} of these words"
        if isinstance(pmin, (int, float)) and certainty(pmin) != certainty(p):
            text += f" (the least sure word: {certainty(pmin)})"
        rows.append(["Speech recogniser", text])
    zh, mandarin = take("asr_language_zh"), take("mandarin")
    if isinstance(zh, (int, float)):
        lang = "English" if zh < 0.1 else "Mandarin" if zh >= 0.9 else f"mixed, {round(100 * zh)}% Mandarin"
        if mandarin:
            lang += ", under English text (a machine translation)"
        rows.append(["Speech language", lang])
    elif mandarin:
        rows.append(["Speech language", "Mandarin, under English text (a machine translation)"])
    if "matched_share" in ev:
        share = take("matched_share")
        rows.append(["Vendor words heard", "none" if not share else f"{round(100 * share)}% of them" if isinstance(share, (int, float)) else plain(share)])
    if "glossary" in ev:
        rows.append(["Glossary", _glossary(take("glossary"))])
    if "number" in ev:
        rows.append(["Number", _number(take("number"))])
    if "repetition_loop" in ev:
        rows.append(["Repetition", _loop(take("repetition_loop"))])
    if "asr_gap_seconds" in ev:
        gap = take("asr_gap_seconds")
        rows.append(["Room in the audio", "unknown (no words around it)" if gap is None
                     else f"{gap:.1f} s between the neighbouring words" if isinstance(gap, (int, float)) else plain(gap)])
    ph, ts = take("phonetic_similarity"), take("text_similarity")
    if isinstance(ph, (int, float)) or isinstance(ts, (int, float)):
        bits = []
        if isinstance(ph, (int, float)):
            bits.append(f"sound {alike(ph)}")
        if isinstance(ts, (int, float)):
            bits.append(f"spelling {alike(ts)}")
        rows.append(["Vendor and audio wording", ", ".join(bits)])
    if take("cross_paragraph"):
        rows.append(["Span", "runs across a paragraph break"])
    review = take("review")
    for k, v in ev.items():
        rows.append([label(k), plain(v)])
    if isinstance(review, dict):
        rows.append(["Editor", plain(review)])
    return rows
