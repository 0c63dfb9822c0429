"""Which decoding a failing piece keeps: the retry logic of callfix.asr.transcribe over a scripted backend
(the Whisper interface, answering by window length and prompt), so each choice is seen alone."""
from __future__ import annotations

import wave

import numpy as np

from callfix.asr.backends import RawSegment, RawWord
from callfix.asr.routing import Unit
from callfix.asr.transcribe import _Decoder
from callfix.audio import open_wav
from callfix.options import AsrOptions


def _silence(tmp_path, seconds: float):
    path = tmp_path / "call.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(int(16000 * seconds), dtype=np.int16).tobytes())
    return open_wav(path)


def _said(text: str, start: float, end: float) -> RawSegment:
    words = text.split()
    step = (end - start) / len(words)
    return RawSegment(text, start, end, [RawWord(" " + x, start + i * step, start + (i + 1) * step, 0.9)
                                         for i, x in enumerate(words)], -0.2, 0.01, 1.2)


class Scripted:
    """Answers a decoding of the whole unit (8 s) or of its second piece alone (about 4 s), with or
    without the prompt; everything else is silence."""

    def __init__(self, answers: dict[tuple[str, bool], list[RawSegment]]):
        self.answers, self.asked = answers, []

    def transcribe(self, audio, language, opts, prompt):
        what = "unit" if len(audio) > 16000 * 6 else "piece"
        self.asked.append((what, prompt is not None))
        return self.answers.get((what, prompt is not None), [])

    def stretch_language(self, audio):
        return {"en": 0.99}


PIECE_WORDS = "and the drayage business held up well through the quarter"


def test_a_piece_decoded_again_tries_the_prompt_where_the_unit_failed_without_it(tmp_path):
    audio = _silence(tmp_path, 8.0)
    unit = Unit(0.0, 8.0, [(0.0, 8.0)], "en", 0.99, [(0.0, 3.0), (3.0, 8.0)], [True, True])
    backend = Scripted({
        ("unit", True): [],  # the prompt made the decoder skip the whole unit
        ("unit", False): [_said("Thank you, operator.", 0.2, 2.8)],  # without it: the first piece only
        ("piece", False): [],
        ("piece", True): [_said(PIECE_WORDS, 0.1, 4.9)],  # the second piece alone needs the prompt
    })
    dec = _Decoder(audio, backend, AsrOptions(), ["Drayage"], 8.0)
    text = " ".join(s.text for s in dec.unit(unit))
    assert dec.unprompted == 1 and text == "Thank you, operator. " + PIECE_WORDS
    assert backend.asked == [("unit", True), ("unit", False), ("piece", False), ("piece", True)]


def test_the_other_prompt_choice_is_kept_only_where_it_covers_better(tmp_path):
    audio = _silence(tmp_path, 8.0)
    unit = Unit(0.0, 8.0, [(0.0, 8.0)], "en", 0.99, [(0.0, 3.0), (3.0, 8.0)], [True, True])
    backend = Scripted({
        ("unit", False): [_said("Thank you, operator. And the drayage", 0.2, 5.0)],
        ("piece", True): [_said("uh", 0.1, 0.4)],  # no more of the piece with the prompt: the first decoding stays
    })
    dec = _Decoder(audio, backend, AsrOptions(), ["Drayage"], 8.0)
    assert " ".join(s.text for s in dec.unit(unit)) == "Thank you, operator. And the drayage"
    assert backend.asked[-1] == ("piece", True)
