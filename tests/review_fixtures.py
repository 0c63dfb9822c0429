"""A small reviewed call built in the tests: paragraphs, speakers and edits with real offsets."""
from __future__ import annotations

import subprocess
from pathlib import Path

from callfix.text import tokenize
from callfix.model import Edit, Paragraph, Speaker, Transcript

HOSTILE = '<script>alert("x")</script> and "><img src=x onerror="window.__xss=1">'

PARAS = [
    ("Thank you, operator. Welcome to Kings of the Cloud fourth quarter call.", 0.0, 4.0, ["SPEAKER_00"], "en", None, []),
    ("Our growth margin improved and non-gap net loss narrowed. this one, this one, this one. Thank you.",
     4.0, 9.0, ["SPEAKER_01"], "en", None, []),
    ("After adjustment, business profits are twisted for the first time.", 9.0, 12.0, ["SPEAKER_01"], "zh",
     "经调整后，业务利润首次扭亏为盈。", ["machine_translation"]),
    ("Our question comes from Brian Gong from Citi. " + HOSTILE, 12.0, 15.0, ["SPEAKER_00"], "en", None, []),
]


def _edit(t: Transcript, eid: str, para: int, vendor: str, repl: str, decision: str, kind="replace", **kw) -> Edit:
    text = t.paragraphs[para].text
    cs = text.index(vendor) if vendor else kw.pop("at")
    p = t.paragraphs[para]
    return Edit(id=eid, paragraph=para, kind=kind, vendor=vendor, replacement=repl, decision=decision,
                char_start=cs, char_end=cs + len(vendor), start=p.start + 0.5, end=p.start + 1.5,
                speaker=p.speakers[0], confidence=kw.pop("confidence", 0.9), reason=kw.pop("reason", "asr + glossary"),
                evidence=kw.pop("evidence", {"asr": repl, "asr_probability": 0.93, "glossary": True}), **kw)


def make_transcript(audio: str | None = None) -> Transcript:
    t = Transcript(audio=audio, duration=15.0, languages=["en", "zh"],
                   speakers=[Speaker("SPEAKER_00", "Operator", "operator"), Speaker("SPEAKER_01", "Zou Tao", "CEO")],
                   header=["This conference call transcript was computer generated."])
    for i, (text, s, e, spk, lang, src, flags) in enumerate(PARAS):
        toks = tokenize(text)
        step = (e - s) / len(toks)  # tokens timed evenly over the paragraph, as if aligned
        for k, tok in enumerate(toks):
            tok.start, tok.end, tok.speaker, tok.matched = round(s + k * step, 3), round(s + (k + 1) * step, 3), spk[0], True
        t.paragraphs.append(Paragraph(index=i, text=text, tokens=toks, start=s, end=e, speakers=spk,
                                      language=lang, source_text=src, flags=flags))
    t.edits = [
        _edit(t, "e1", 0, "Kings of the Cloud", "Kingsoft Cloud's", "applied"),
        _edit(t, "e2", 1, "growth margin", "gross margin", "applied"),
        _edit(t, "e3", 1, "non-gap", "non-GAAP", "suggested", confidence=0.6),
        _edit(t, "e4", 1, "this one, this one, this one.", "", "applied", kind="delete",
              evidence={"repetition_loop": 3, "asr": ""}),
        _edit(t, "e5", 2, "twisted", "turned positive", "kept", confidence=0.3, reason="Mandarin speech <b>bold</b>",
              evidence={"note": HOSTILE}),
        _edit(t, "e6", 3, "Brian Gong", "Brian Gong" + HOSTILE, "suggested"),
    ]
    return t


def tone(path: Path, seconds: float = 15.0) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-ac", "1", "-ar", "16000", str(path)], check=True)
    return path


def with_review_cases(t: Transcript) -> Transcript:
    """The small call plus a suggested deletion and the Mandarin re-sourcing of paragraph 2."""
    p1, p2 = t.paragraphs[1], t.paragraphs[2]
    cs = p1.text.rindex("Thank you.")
    t.edits.append(Edit(id="d1", paragraph=1, kind="delete", vendor="Thank you.", replacement="", decision="suggested",
                        char_start=cs, char_end=cs + len("Thank you."), start=8.5, end=9.0, speaker="SPEAKER_01",
                        confidence=0.6, reason="not in the audio", evidence={"asr_text": "", "asr_gap_seconds": 0.3}))
    t.edits.append(Edit(id="r1", paragraph=2, kind="resource", vendor=p2.text, replacement=p2.source_text,
                        decision="suggested", char_start=0, char_end=len(p2.text), start=9.0, end=12.0,
                        speaker="SPEAKER_01", language="zh", confidence=0.5,
                        reason="English text over Mandarin speech (machine translation)",
                        evidence={"asr_text": p2.source_text, "asr_probability": 0.5, "mandarin": True,
                                  "asr_language_zh": 1.0, "matched_share": 0.0}))
    return t


def long_transcript(paragraphs: int = 40) -> Transcript:
    """A call long enough to scroll: each paragraph a few sentences with one suggested edit."""
    filler = ("We continued to invest in our infrastructure and our customers. Revenue from the enterprise "
              "segment grew steadily over the year, and the team expects that momentum to continue. ")
    t = Transcript(audio="call.flac", duration=paragraphs * 10.0, languages=["en"],
                   speakers=[Speaker("SPEAKER_00", "Operator"), Speaker("SPEAKER_01", "Zou Tao")])
    for i in range(paragraphs):
        text = filler * (1 + i % 3) + "Our growth margin improved this quarter."
        toks = tokenize(text)
        s = i * 10.0
        for k, tok in enumerate(toks):
            tok.start, tok.end, tok.speaker = round(s + k * 9.0 / len(toks), 3), round(s + (k + 1) * 9.0 / len(toks), 3), f"SPEAKER_0{i % 2}"
        t.paragraphs.append(Paragraph(index=i, text=text, tokens=toks, start=s, end=s + 9.0, speakers=[f"SPEAKER_0{i % 2}"]))
        cs = text.index("growth margin")
        t.edits.append(Edit(id=f"e{i:04d}", paragraph=i, kind="replace", vendor="growth margin", replacement="gross margin",
                            decision="suggested", char_start=cs, char_end=cs + len("growth margin"), start=s + 8.0,
                            end=s + 8.6, speaker=f"SPEAKER_0{i % 2}", confidence=0.7, reason="known confusion"))
    return t
