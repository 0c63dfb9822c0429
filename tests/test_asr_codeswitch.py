"""Code-switched calls: language boundaries where the language changes, no speech dropped silently.

The slow test runs Whisper on tests/calls/cs-short (25 s, phone band + noise): real Mandarin
(AISHELL-1) between English turns. Fast tests cover the checks and the routing logic.
"""
import json
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from callfix.asr.routing import LidOptions, Unit, _cut, pieces_of, smooth, split_group
from callfix.asr.vad import outside, split_long, widen
from callfix.asr.transcribe import _gaps, _script_language, _without
from callfix.asr.verify import (CheckOptions, cjk_share, failing_pieces, is_loop, repeated_segments, script_matches,
                                speech_coverage, suspect_reason)
from callfix.config import load_config
from callfix.model import Segment, Transcript, Word
from callfix.options import Options
from callfix.turns import merge_spans
from tests.conftest import DATA, ROOT

CALLS = ROOT / "tests" / "calls"


def words(spec, lang="en"):
    """[(text, start, end, p)] -> Words."""
    return [Word(t, s, e, p, lang) for t, s, e, p in spec]


def test_script_share_and_match():
    assert cjk_share("甚至出现交易") == 1.0 and cjk_share("Thank you") == 0.0 and cjk_share("2025.") is None
    assert script_matches("我们的 DeepSeek 合作", "zh") and not script_matches("Thanks for taking my question.", "zh")
    assert script_matches("Kingsoft Cloud", "en") and not script_matches("谢谢大家", "en")
    assert script_matches("...", "zh")  # nothing to judge


def test_loops_are_whole_segments_of_one_phrase():
    assert is_loop(["I'm", "sorry,", "I'm", "sorry,", "I'm", "sorry,"])
    assert is_loop(["data,", "data,", "data,", "data,"], 4)
    assert not is_loop(["data,", "data,", "data,"], 4)
    assert not is_loop(["thank", "you", "thank", "you", "all"])


def test_a_loop_with_a_stray_word_either_side_is_still_a_loop():
    assert is_loop(list("由鞋子来鞋子来鞋子来鞋子来鞋"), 4, 2)
    assert is_loop(["so", "I'm", "sorry,", "I'm", "sorry,", "I'm", "sorry,", "I'm", "sorry,"], 4)
    assert not is_loop(list("谢谢谢谢"), 3, 2)  # a doubled character is a word
    assert not is_loop(["no,", "no,", "no,", "we", "did", "not", "say", "that."], 3)  # the phrase is not most of it


def test_a_phrase_looped_from_segment_to_segment_is_flagged_every_copy():
    def seg(text, start, lang="zh"):
        toks = list(text) if lang == "zh" else text.split()
        return Segment(text, start, start + 1.5, language=lang,
                       words=words([(w, start + i * 0.1, start + i * 0.1 + 0.1, 0.8) for i, w in enumerate(toks)], lang))
    loop = [seg("我们请您请您的保护者,好吗?", 169.5), seg("我们请您的保护者,好吗?", 171.1),
            seg("我们请您的保护者,好吗?", 173.9), seg("好吗?", 175.7)]
    assert repeated_segments(loop) == [1, 2]
    thanks = [seg("Thank you.", 1, "en"), seg("Thank you.", 3, "en"), seg("Our next question comes from Ana.", 5, "en")]
    assert repeated_segments(thanks) == []  # a short phrase is said twice for real
    said = [seg("Revenue grew ten percent this year.", 1, "en"), seg("Revenue grew ten percent, this year!", 3, "en")]
    assert repeated_segments(said) == [0, 1]


def test_a_burst_of_words_over_a_pause_is_suspect():
    opt = CheckOptions.from_options(Options.from_dict(load_config()).asr)
    sorry = Segment("I'm sorry, I'm sorry, I'm sorry, I'm sorry", 51.888, 52.228,
                    words=words([(w, 51.888 + i * 0.08, 51.96 + i * 0.08, 0.4) for i, w in
                                 enumerate(["I'm", "sorry,"] * 4)]), avg_logprob=-0.9)
    assert suspect_reason(sorry, 2.0, "en", set(), opt) in ("loop", "too_fast")
    english_as_zh = Segment("Thanks for taking my question.", 6.4, 8.4,
                            words=words([("Thanks", 6.4, 6.7, 0.9), ("for", 6.7, 6.9, 0.9), ("taking", 6.9, 7.3, 0.9),
                                         ("my", 7.3, 7.5, 0.9), ("question.", 7.5, 8.2, 0.9)], "zh"), avg_logprob=-0.4)
    assert suspect_reason(english_as_zh, 1.2, "zh", set(), opt) == "script"
    real = Segment("We grew revenue by ten percent.", 0, 2.5,
                   words=words([(w, i * 0.4, i * 0.4 + 0.35, 0.9) for i, w in
                                enumerate(["We", "grew", "revenue", "by", "ten", "percent."])]), avg_logprob=-0.3)
    assert suspect_reason(real, 1.1, "en", set(), opt) is None


def test_coverage_counts_only_believable_words():
    ws = words([("a", 0.0, 0.5, 0.9), ("b", 0.6, 1.9, 0.9)])
    good = Segment("a b", 0, 2, words=ws)
    made_up = Segment("c", 3, 4, words=words([("c", 3.0, 4.0, 0.1)]), suspect=True, suspect_reason="low_confidence")
    cov = speech_coverage([(0.0, 2.0), (3.0, 4.0)], [good, made_up])
    assert cov.speech_seconds == pytest.approx(3.0) and cov.covered_seconds == pytest.approx(2.0)
    assert speech_coverage([], [good]).share == 1.0


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 5)), max_size=20),
       st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 3)), max_size=30))
def test_coverage_properties(speech, ws):
    spans = [(s, s + d) for s, d in speech]
    segs = [Segment("x", s, s + d, words=[Word("x", s, s + d)]) for s, d in ws]
    cov = speech_coverage(spans, segs)
    assert 0 <= cov.covered_seconds <= cov.speech_seconds + 1e-9
    assert cov.speech_seconds == pytest.approx(sum(e - s for s, e in merge_spans(spans)))
    every = [Segment("x", s, e, words=[Word("x", s, e)]) for s, e in spans]
    assert speech_coverage(spans, every).share == pytest.approx(1.0)


def test_failing_pieces_are_uncovered_or_in_the_wrong_script():
    opt = CheckOptions.from_options(Options.from_dict(load_config()).asr)
    pieces = [(0.0, 3.0), (3.5, 6.0), (6.5, 9.0)]
    segs = [Segment("Good day", 0, 3, words=words([("Good", 0.1, 1.4, 0.9), ("day", 1.5, 2.9, 0.9)])),
            Segment("谢谢", 6.5, 9, words=words([("谢", 6.6, 7.6, 0.9), ("谢", 7.7, 8.9, 0.9)], "en"))]
    assert failing_pieces(pieces, segs, "en", opt) == {1: "uncovered", 2: "script"}  # Chinese under an English label


def test_short_pieces_follow_their_neighbours_unless_they_sound_like_one():
    opt = LidOptions(["en", "zh"])
    labels = [("en", 0.99), ("zh", 0.6), ("en", 0.98), ("zh", 0.99), ("zh", 0.95)]
    durs = [3.0, 0.5, 2.0, 3.0, 0.6]
    out = smooth(labels, durs, ("en", 0.9), opt)
    assert [lang for lang, _ in out] == ["en", "en", "en", "zh", "zh"]
    # a short piece at the change of language joins the side it sounds like
    out = smooth([("en", 0.99), ("zh", 0.96), ("zh", 0.99)], [3.0, 0.6, 3.0], ("en", 0.9), opt)
    assert [lang for lang, _ in out] == ["en", "zh", "zh"]
    assert smooth([("zh", 0.5)], [0.4], ("en", 0.7), opt) == [("en", 0.7)]


class _Heard:
    """Whisper's language probabilities as measured on a synthetic call's English window: the shared
    pass gave the short piece "head of investor relations, please go ahead" zh at 0.97, its own pass
    zh 0.001. Audio windows are arrays whose length says which piece they are."""

    def __init__(self):
        self.own = []

    def language_spans(self, audio, spans):
        return {"en": 0.95, "zh": 0.05}, [{"en": 0.99, "zh": 0.01}, {"zh": 0.97, "en": 0.03}, {"en": 0.99, "zh": 0.01}]

    def stretch_language(self, audio):
        self.own.append(len(audio))
        return {"en": 0.999, "zh": 0.001}


def test_a_short_piece_sure_against_its_windows_language_is_heard_on_its_own():
    class Clip:  # tenth-second samples: a window's length names its piece
        def window(self, start, end):
            return [0.0] * int(round((end - start) * 10))

    pieces = [(0.0, 11.6), (11.8, 14.1), (14.6, 25.0)]
    backend = _Heard()
    units = list(split_group(Clip(), Unit(0.0, 25.0), pieces, backend, LidOptions(["en", "zh"])))
    assert [(u.language, u.pieces) for u in units] == [("en", pieces)]  # one English unit, decoded whole
    assert backend.own == [23]  # only the short piece had its own pass
    long = LidOptions(["en", "zh"], island_seconds=2.0)  # a longer piece keeps what the shared pass says
    assert [u.language for u in split_group(Clip(), Unit(0.0, 25.0), pieces, _Heard(), long)] == ["en", "zh", "en"]


def test_pieces_fall_into_their_chunks():
    chunks = [(0.0, 5.0), (6.0, 9.0), (12.0, 13.0)]
    fine = [(0.1, 2.0), (2.3, 5.1), (6.1, 8.9)]
    assert pieces_of(chunks, fine) == [[(0.1, 2.0), (2.3, 5.0)], [(6.1, 8.9)], [(12.0, 13.0)]]


def test_lenient_speech_widens_spans_without_joining_them():
    strict = [(2.0, 4.0), (4.6, 7.0), (20.0, 21.0)]
    lenient = [(0.5, 7.5), (10.0, 10.5), (12.0, 14.0), (19.5, 21.2)]
    # the pause at 4.0-4.6 the strict pass cut at stays; a lenient 0.5 s blip is too short to add, and
    # reaches of under a second (Silero's decay after 7.0 and 21.0) are left out
    assert widen(strict, lenient, 1.0) == [(0.5, 4.0), (4.6, 7.0), (12.0, 14.0), (20.0, 21.0)]
    assert widen(strict, lenient, 1.0, 0.25) == [(0.5, 4.0), (4.6, 7.0), (12.0, 14.0), (19.5, 21.0)]  # onsets
    assert widen(strict, lenient, 0.0) == [(0.5, 4.0), (4.6, 7.5), (10.0, 10.5), (12.0, 14.0), (19.5, 21.2)]
    assert widen(strict, [], 1.0) == strict


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.1, 5)), max_size=8),
       st.lists(st.tuples(st.floats(0, 100), st.floats(0.1, 5)), max_size=8))
def test_widen_keeps_every_span_and_never_overlaps(a, b):
    strict = merge_spans((s, s + d) for s, d in a)
    lenient = merge_spans((s, s + d) for s, d in b)
    out = widen(strict, lenient, 1.0)
    assert all(any(o[0] <= s and e <= o[1] for o in out) for s, e in strict)
    assert all(x[1] <= y[0] + 1e-9 for x, y in zip(out, out[1:]))
    alone = [x for x in lenient if outside(x, strict) == [x] and x[1] - x[0] >= 1.0]
    assert all(x in out for x in alone)


def test_long_chunks_are_cut_at_pauses_between_pieces():
    fine = [(0.0, 12.0), (12.4, 26.0), (26.3, 40.0), (41.0, 45.0)]
    assert split_long([(0.0, 45.0)], fine, 30.0) == [(0.0, 26.15), (26.15, 45.0)]
    assert split_long([(0.0, 70.0)], [(0.0, 70.0)], 30.0) == [(0.0, 30.0), (30.0, 60.0), (60.0, 70.0)]  # no pause
    assert split_long([(0.0, 20.0)], fine, 30.0) == [(0.0, 20.0)]


def test_a_language_change_gives_the_pause_to_the_turn_after():
    assert _cut((0.0, 5.0), (5.4, 9.0)) == 5.0
    assert _cut((0.0, 5.0), (7.0, 9.0)) == 5.75  # a long pause: the turn before keeps a little of it
    assert _cut((0.0, 5.0), (5.0, 9.0)) == 5.0


def test_bare_stretches_of_a_piece_are_its_gaps_between_words():
    segs = [Segment("a b", 0, 10, words=words([("a", 1.0, 2.0, 0.9), ("b", 8.0, 9.0, 0.9)]))]
    assert _gaps((0.5, 12.0), segs, 0.6) == [(2.3, 7.7), (9.3, 12.0)]


def test_a_piece_written_in_the_other_script_is_decoded_again_in_that_language():
    unit = Unit(0.0, 6.0, language="zh", pieces=[(0.0, 1.5), (2.0, 6.0)])
    latin = Segment("please go ahead", 0.1, 1.4, language="zh", suspect=True, suspect_reason="script",
                    words=words([("please", 0.1, 0.5, 0.9), ("go", 0.6, 0.9, 0.9), ("ahead", 1.0, 1.4, 0.9)], "zh"))
    han = Segment("大家好", 2.1, 3.0, language="zh", words=words([("大", 2.1, 2.4, 0.9), ("家", 2.4, 2.7, 0.9),
                                                               ("好", 2.7, 3.0, 0.9)], "zh"))
    assert _script_language(unit, 0, [latin, han], ["en", "zh"]) == "en"
    assert _script_language(unit, 1, [latin, han], ["en", "zh"]) is None  # its own script: no other language
    assert _script_language(unit, 0, [latin, han], ["zh"]) is None  # only the unit's language is allowed
    english = Unit(0.0, 6.0, language="en", pieces=[(2.0, 6.0)])
    assert _script_language(english, 0, [han], ["en", "zh"]) == "zh"
    assert _script_language(english, 0, [], ["en", "zh"]) is None


def test_replaced_words_leave_and_emptied_segments_go():
    a = Segment("one two", 0, 2, words=words([("one", 0.0, 0.9, 0.9), ("two", 1.0, 1.9, 0.9)]))
    b = Segment("three", 3, 4, words=words([("three", 3.0, 4.0, 0.9)]))
    out = _without([a, b], 0.95, 4.5)
    assert [s.text for s in out] == ["one"] and out[0].end == 0.9


@pytest.mark.slow
def test_short_codeswitched_phone_call_keeps_every_turn(models_ready, tmp_path):
    ref = Transcript.load(CALLS / "cs-short" / "reference.json")
    assert ref.duration <= 40 and {s.language for s in ref.segments} == {"en", "zh"}
    r = subprocess.run([sys.executable, "-m", "callfix.cli", "transcribe", str(CALLS / "cs-short" / "call-phone.flac"),
                        "-o", str(tmp_path), "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    raw = json.loads((tmp_path / "asr.json").read_text())
    assert all("suspect" in s and "suspect_reason" in s for s in raw["segments"])
    t = Transcript.load(tmp_path / "asr.json")
    meta = t.meta["asr"]
    assert meta["coverage"] >= 0.97, meta
    assert "warning" not in r.stderr
    for turn in ref.segments:  # every turn of both languages, under its own language
        got = [w for s in t.segments if not s.suspect for w in s.words
               if turn.start - 0.3 <= (w.start + w.end) / 2 <= turn.end + 0.3]
        assert got, f"turn at {turn.start} s ({turn.language}) missing"
        share = sum(w.language == turn.language for w in got) / len(got)
        assert share >= 0.8, (turn.text, [(w.text, w.language) for w in got])
        own = [w for w in got if w.language == turn.language]
        assert speech_coverage([(turn.start, turn.end)], [Segment("", 0, 0, words=own)]).share >= 0.5, turn.text
    zh = "".join(w.text for s in t.segments if s.language == "zh" for w in s.words)
    assert "地方政府" in zh and "出现" in zh  # real Mandarin recognised, not just labelled


@pytest.mark.slow
def test_english_clip_keeps_its_last_sentence(models_ready, tmp_path):
    """Two real recordings in one unit: the sentence at the unit's end must not be dropped."""
    from callfix.asr import transcribe
    from callfix.audio import decode
    from tests.conftest import concat

    jfk = tmp_path / "jfk.wav"
    subprocess.run(["sox", str(DATA / "jfk" / "jfk.flac"), "-r", "16000", "-c", "1", str(jfk)], check=True)
    clip = concat([DATA / "librispeech-1272-128104-0000" / "1272-128104-0000.flac", jfk], tmp_path / "two.wav", gap=0.6)
    t = transcribe(decode(clip, tmp_path / "work"), load_config())
    text = t.text().lower()
    assert "gospel" in text and "for your country" in text, text
    assert t.meta["asr"]["coverage"] >= 0.97 and not t.meta["asr"]["suspect_segments"], t.meta["asr"]


@pytest.mark.slow
def test_a_piece_heard_alone_gets_its_own_language(models_ready, tmp_path):
    """The extra language pass of a doubtful piece encodes only that piece (and a few seconds of
    silence), not a padded 30 s window; on phone-band pieces of both languages it is still right."""
    from callfix.asr.backends import load_backend
    from callfix.asr.routing import pick_language
    from callfix.asr.vad import speech_chunks
    from callfix.audio import decode
    from callfix.options import AsrOptions, section

    a = section(load_config(), AsrOptions)
    backend = load_backend(a)
    ref = Transcript.load(CALLS / "cs-alternate" / "reference.json").segments
    audio = decode(CALLS / "cs-alternate" / "call-phone.flac", tmp_path)
    memo, checked = [id(w) for w, _ in backend.model._memo], 0
    for s, e in speech_chunks(audio, a.vad, fine=True):
        if e - s < 1.0:
            continue
        truth = max(ref, key=lambda r: min(e, r.end) - max(s, r.start)).language
        lang, p = pick_language(backend.stretch_language(audio.window(s, e)), list(a.languages), a.language_aliases)
        assert lang == truth, (s, e, lang, p)
        checked += 1
    assert checked >= 8
    assert [id(w) for w, _ in backend.model._memo] == memo  # no 30 s window was encoded for the decoder to reuse
