"""Evidence transcripts built word by word for the align and writer tests (test data, not a model)."""
from __future__ import annotations

from callfix.io.vendor import parse_vendor_text
from callfix.model import Segment, Transcript, Word


def seg(text: str, t0: float = 0.0, lang: str = "en", spk: str | None = "SPEAKER_00", prob: float = 0.95,
        probs: dict[str, float] | None = None, step: float = 0.4) -> Segment:
    """One ASR segment: whitespace words (English) or characters (Mandarin), evenly timed."""
    toks = text.split() if lang == "en" else [c for c in text if not c.isspace()]
    words, t = [], t0
    for x in toks:
        words.append(Word(x, round(t, 3), round(t + step * 0.75, 3), (probs or {}).get(x, prob), lang, spk))
        t += step
    return Segment(text, t0, round(t, 3), lang, words, spk)


VENDOR = """This conference call transcript was computer generated and almost certianly contains errors.
3/19/2025
Good day and welcome to Google Cloud's fourth quarter call. Our growth margin was 20% in 205 and we expect more.
Please standby while your speakers reconnect. Please standby while your speakers reconnect. Please standby while your speakers reconnect. Please standby while your speakers reconnect.
Thank you. Our non-gap net income grew, and DeepSeq helped this one, this one, this one, this one, this one, this one, this one, this one a lot.
After adjustment, business profits are twisted for the first time this year.
Thank you, Zouzong. Next question, please.
"""


def demo_vendor():
    return parse_vendor_text(VENDOR, name="vendor.txt")


def demo_evidence() -> Transcript:
    return Transcript(segments=[
        seg("Good day and welcome to Google Cloud's fourth quarter call. Our gross margin was 20% in 2025 and we expect more."),
        seg("Thank you. Our non-GAAP net income grew, and DeepSeek helped this one a lot.", t0=42, spk="SPEAKER_01"),
        seg("经调整后经营利润首次转正", t0=60, lang="zh", spk="SPEAKER_01"),
        seg("Thank you, Mr. Zou. Next question, please.", t0=70),
    ], duration=75.0, languages=["en", "zh"])
