"""The call's structure applied to diarization turns: language splits, operator hand-overs, and
segment speakers by the time they hold."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.diarize.assign import assign_speakers
from callfix.turns import exclusive_turns, time_held
from callfix.diarize.structure import StructureOptions, refine_turns, sentences
from callfix.model import Segment, Transcript, Turn, Word


def _words(text: str, start: float, end: float, lang: str = "en") -> list[Word]:
    toks = text.split()
    step = (end - start) / len(toks)
    return [Word(w, round(start + i * step, 3), round(start + (i + 1) * step - 0.02, 3), language=lang)
            for i, w in enumerate(toks)]


ZH = "我们 的 营收 同比 增长 百分之 三十 毛利率 继续 改善 现金 流 转正 谢谢"


def _interpreted_call():
    """A: English host; B: Mandarin CEO (merged into A's cluster); C: English interpreter."""
    words = (_words("Good morning and welcome to our fourth quarter call thank you all for joining us today.", 0, 12)
             + _words(ZH, 13, 30, "zh")
             + _words("Our revenue grew thirty percent year over year and the gross margin improved again.", 31, 45)
             + _words(ZH, 46, 60, "zh")
             + _words("Thank you. Now let me hand over to our chief financial officer for the numbers.", 61, 72))
    turns = [Turn("SPEAKER_00", 0, 12), Turn("SPEAKER_00", 13, 30), Turn("SPEAKER_01", 31, 45),
             Turn("SPEAKER_00", 46, 60), Turn("SPEAKER_00", 61, 72)]
    return turns, words


def test_a_cluster_with_long_turns_in_two_languages_becomes_two_speakers():
    turns, words = _interpreted_call()
    out, report = refine_turns(turns, words, StructureOptions(split_handovers=False))
    by_time = {(t.start, t.end): t.speaker for t in out}
    zh, en = by_time[(13, 30)], by_time[(0, 12)]
    assert by_time[(46, 60)] == zh and by_time[(61, 72)] == en
    assert len({zh, en, "SPEAKER_01"}) == 3 and by_time[(31, 45)] == "SPEAKER_01"
    # the cluster's larger language (31 s of Mandarin against 23 s of English) keeps its label
    assert zh == "SPEAKER_00"
    assert report.language_splits == [{"speaker": "SPEAKER_00", "kept_language": "zh", "language": "en",
                                       "new_speaker": en, "seconds": 23.0}]


def test_short_turns_in_another_language_do_not_split_a_cluster():
    turns = [Turn("A", 0, 20), Turn("A", 21, 24), Turn("A", 25, 45)]
    words = _words("word " * 40, 0, 20) + _words(ZH, 21, 24, "zh") + _words("word " * 40, 25, 45)
    out, report = refine_turns(turns, words, StructureOptions(split_handovers=False))
    assert {t.speaker for t in out} == {"A"} and not report.language_splits


def test_language_split_can_be_switched_off():
    turns, words = _interpreted_call()
    out, _ = refine_turns(turns, words, StructureOptions(split_languages=False, split_handovers=False))
    assert [t.speaker for t in out] == [t.speaker for t in turns]


def test_operator_turn_running_past_a_handover_is_cut_at_the_next_sentence():
    words = (_words("Thank you for standing by. Our first question comes from the line of Brian Gong from Citi."
                    " Please go ahead.", 0, 10)
             + _words("Thank you for taking my question. Could you talk about the capital expenditure next year?",
                      10.5, 18)
             + _words("Sure. We expect it to increase as we build more capacity for our customers.", 19, 27))
    turns = [Turn("OP", 0, 18), Turn("MGMT", 19, 27)]
    out, report = refine_turns(turns, words, StructureOptions())
    cut = report.handover_cuts[0]["at"]
    assert abs(cut - 10.5) < 1e-6
    assert out[0] == Turn("OP", 0, 10.5)
    assert out[1].start == 10.5 and out[1].end == 18 and out[1].speaker not in ("OP", "MGMT")
    assert out[2] == Turn("MGMT", 19, 27)


def test_handover_merged_into_the_analyst_turn_goes_back_to_the_operator():
    # The operator's cluster is the one that reads the script most often: here twice, against once
    # for the analyst's turn that swallowed the second hand-over.
    words = (_words("Thank you for standing by. Welcome to the call.", 0, 5)
             + _words("Hello everyone and welcome.", 6, 9)
             + _words("Our first question comes from the line of John Wu from Citi.", 10, 14)
             + _words("Thank you for taking my question.", 15, 18)
             + _words("Our next question comes from the line of Mary Li from CLSA. Please go ahead.", 20, 26)
             + _words("Hi, thanks for taking my question about the margin outlook for next year.", 26.4, 34))
    turns = [Turn("OP", 0, 5), Turn("IR", 6, 9), Turn("OP", 10, 14), Turn("JW", 15, 18), Turn("AN", 20, 34)]
    out, _ = refine_turns(turns, words, StructureOptions())
    assert Turn("OP", 20, 26.4) in out and Turn("AN", 26.4, 34) in out


def test_go_ahead_alone_is_a_handover_and_plain_speech_is_not():
    words = _words("We grew revenue. Please go ahead and ask.", 0, 6) + _words("Thanks a lot.", 6.2, 9)
    turns = [Turn("A", 0, 9)]
    out, report = refine_turns(turns, words, StructureOptions(split_languages=False))
    # "please go ahead" alone makes A the operator; the cut is at the next sentence
    assert len(report.handover_cuts) == 1 and out[0] == Turn("A", 0, 6.2)
    out, report = refine_turns(turns, _words("We grew revenue strongly. Margins rose.", 0, 9), StructureOptions())
    assert out == turns and not report.handover_cuts


def test_sentences_split_at_final_punctuation():
    ws = _words("One two. Three? Four", 0, 4)
    assert [[w.text for w in s] for s in sentences(ws)] == [["One", "two."], ["Three?"], ["Four"]]


def test_segment_speaker_is_who_holds_most_of_its_time():
    # Four short words at the segment's edge fall in B's turn, one long word in A's turn:
    # by word count B wins, by speech time A.
    seg = Segment("x", 0.0, 4.0, words=[Word("a", 0.0, 0.2), Word("b", 0.25, 0.45), Word("c", 0.5, 0.7),
                                         Word("d", 0.75, 0.95), Word("long", 1.0, 4.0)])
    t = Transcript(segments=[seg], turns=[Turn("B", 0.0, 0.98), Turn("A", 0.98, 4.0)])
    assign_speakers(t)
    assert [w.speaker for w in seg.words] == ["B", "B", "B", "B", "A"]
    assert seg.speaker == "A"


def test_transcript_meta_records_the_structure_changes():
    turns, words = _interpreted_call()
    t = Transcript(segments=[Segment("s", words[0].start, words[-1].end, words=words)], turns=turns)
    assign_speakers(t, {"split_handovers": False})
    assert t.meta["diarize"]["structure"]["language_splits"]
    zh = {w.speaker for w in words if w.language == "zh"}
    en = {w.speaker for w in words if w.language == "en"}
    assert len(zh) == 1 and not zh & en


spans = st.lists(st.tuples(st.floats(0, 50), st.floats(0.01, 5)).map(lambda x: (x[0], x[0] + x[1])),
                 min_size=1, max_size=12)
turn_lists = st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 50), st.floats(0.05, 10))
                      .map(lambda x: Turn(x[0], x[1], x[1] + x[2])), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(turn_lists, spans)
def test_time_held_never_exceeds_the_speech_time(turns, sp):
    excl = exclusive_turns(turns)
    held = time_held(excl, [x.start for x in excl], sp)
    union = 0.0
    cur = None
    for a, b in sorted(sp):
        if cur and a <= cur[1]:
            cur[1] = max(cur[1], b)
        else:
            if cur:
                union += cur[1] - cur[0]
            cur = [a, b]
    union += cur[1] - cur[0]
    assert sum(held.values()) <= union + 1e-6
    assert all(v > 0 for v in held.values())


@settings(max_examples=100, deadline=None)
@given(turn_lists, st.lists(st.tuples(st.floats(0, 60), st.sampled_from(["en", "zh"])), max_size=30))
def test_refined_turns_cover_the_same_speech(turns, ws):
    words = [Word("w.", s, s + 0.3, language=lang) for s, lang in sorted(ws)]
    out, _ = refine_turns(turns, words, StructureOptions(language_min_seconds=0.5, language_turn_seconds=0.5))

    def cover(ts):
        return sum(t.end - t.start for t in exclusive_turns(ts))

    assert abs(cover(out) - cover(turns)) < 1e-6


def _timed_tokens(text: str, start: float, step: float, speakers: list[str]):
    from callfix.text import tokenize

    toks = tokenize(text)
    for i, (k, s) in enumerate(zip(toks, speakers)):
        k.start, k.end, k.speaker = round(start + i * step, 3), round(start + (i + 1) * step, 3), s
    return toks


def test_sentence_speaker_is_who_holds_most_of_its_time():
    from callfix.io.writers import sentence_speakers

    # Five quick tokens of B's tail, then three slow ones of A: B has more tokens, A more time.
    toks = _timed_tokens("so yes and then we grew revenue strongly.", 0.0, 0.2, ["B"] * 5 + ["A"] * 3)
    for i, k in enumerate(toks[5:]):
        k.start, k.end = 1.0 + i * 1.0, 2.0 + i * 1.0
    t = Transcript(turns=[Turn("B", 0.0, 1.0), Turn("A", 1.0, 5.0)])
    assert sentence_speakers(toks, t) == ["A"] * 8
    assert sentence_speakers(toks) == ["B"] * 8  # without turns: the tokens' majority


def test_a_sentence_running_two_speakers_together_is_cut_at_the_change():
    from callfix.io.writers import sentence_speakers

    text = "thank you operator and good morning everyone please go ahead hi thanks for taking my question today"
    who = ["OP"] * 10 + ["AN"] * 7
    toks = _timed_tokens(text, 0.0, 0.4, who)
    t = Transcript(turns=[Turn("OP", 0.0, 4.0), Turn("AN", 4.0, 6.8)])
    assert sentence_speakers(toks, t) == who
    # a change of fewer than MIN_RUN_TOKENS tokens is timing noise: no cut
    who2 = ["OP"] * 14 + ["AN"] * 3
    toks2 = _timed_tokens(text, 0.0, 0.4, who2)
    assert sentence_speakers(toks2, Transcript(turns=[Turn("OP", 0.0, 5.6), Turn("AN", 5.6, 6.8)])) == ["OP"] * 17


def test_paragraph_split_keeps_every_vendor_word():
    from callfix.io.writers import speaker_runs
    from callfix.model import Paragraph

    text = "Thank you operator. Good morning everyone and welcome to the call. Hi, thanks for taking my question."
    p = Paragraph(0, text)
    p.tokens = _timed_tokens(text, 0.0, 0.5, ["OP"] * 3 + ["IR"] * 8 + ["AN"] * 6)
    t = Transcript(paragraphs=[p], turns=[Turn("OP", 0, 1.5), Turn("IR", 1.5, 5.5), Turn("AN", 5.5, 8.5)])
    runs = speaker_runs(t, p)
    assert [r.speaker for r in runs] == ["IR", "AN"]  # the 3-token edge sentence joins its neighbour
    assert " ".join(r.text for r in runs) == text


def test_structure_never_adds_speakers_beyond_the_users_bound():
    turns, words = _interpreted_call()
    two = {**StructureOptions.from_config({"structure": {"split_handovers": False}, "max_speakers": 2}).__dict__}
    out, report = refine_turns(turns, words, StructureOptions(**two))
    assert {t.speaker for t in out} == {"SPEAKER_00", "SPEAKER_01"} and not report.language_splits
    opts = StructureOptions.from_config({"structure": {"split_handovers": False}, "num_speakers": 3})
    assert opts.max_speakers == 3
    out, _ = refine_turns(turns, words, opts)
    assert len({t.speaker for t in out}) == 3
    assert StructureOptions.from_config({"split_languages": False}).max_speakers is None


def test_a_turn_that_runs_from_one_language_into_another_is_split_there():
    """The CEO's Mandarin and the interpreter's English with only a breath between them come out
    of diarization as one turn of one cluster: it is cut at the change, then split as two speakers."""
    turns, words = _interpreted_call()
    joined = [Turn("SPEAKER_00", 0, 12), Turn("SPEAKER_00", 13, 45), Turn("SPEAKER_00", 46, 72)]
    out, _ = refine_turns(joined, words, StructureOptions(split_handovers=False))
    at = lambda t: next(x.speaker for x in out if x.start <= t < x.end)  # noqa: E731
    assert at(20) != at(40)  # Mandarin, then its interpretation
    assert at(20) == at(50) and at(40) == at(65) == at(5)
    # a term in the other language inside a turn does not cut it
    mixed = _words("我们 的 营收", 0, 3, "zh") + _words("EBITDA", 3.1, 3.6) + _words("同比 增长 百分之 三十", 3.7, 8, "zh")
    from callfix.diarize.structure import cut_at_language_changes

    assert cut_at_language_changes([Turn("A", 0, 8)], mixed, StructureOptions()) == [Turn("A", 0, 8)]


def test_pauses_of_one_speaker_are_filled_unless_someone_else_speaks():
    from callfix.diarize.pipeline import fill_pauses

    turns = [Turn("A", 0, 2), Turn("A", 2.4, 5), Turn("B", 5.2, 6), Turn("A", 6.3, 8), Turn("A", 9.5, 10)]
    out = fill_pauses(turns, 0.6)
    assert out == [Turn("A", 0, 5), Turn("B", 5.2, 6), Turn("A", 6.3, 8), Turn("A", 9.5, 10)]
    assert fill_pauses(turns, 0.0) == turns
    # B's reply inside A's pause keeps A's turns apart even though the pause is short
    assert fill_pauses([Turn("A", 0, 2), Turn("B", 2.1, 2.3), Turn("A", 2.5, 4)], 0.6) == [
        Turn("A", 0, 2), Turn("B", 2.1, 2.3), Turn("A", 2.5, 4)]


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 100), st.floats(0.05, 5)), max_size=30),
       st.floats(0, 2))
@settings(max_examples=200, deadline=None)
def test_filling_pauses_never_loses_speech_nor_covers_another_speaker(spans, gap):
    from callfix.diarize.pipeline import fill_pauses

    turns = [Turn(s, round(a, 3), round(a + d, 3)) for s, a, d in spans]
    out = fill_pauses(turns, gap)
    for t in turns:  # every second of speech keeps its speaker
        assert any(o.speaker == t.speaker and o.start <= t.start and o.end >= t.end for o in out)
    for o in out:  # an added stretch is never time another speaker holds
        own = sorted((t.start, t.end) for t in turns if t.speaker == o.speaker and o.start <= t.start and t.end <= o.end)
        for (a1, b1), (a2, b2) in zip(own, own[1:]):
            lo, hi = max(b1, max(b for _, b in own[:own.index((a1, b1)) + 1])), a2
            if hi > lo:
                assert not any(t.speaker != o.speaker and t.start < hi and t.end > lo for t in turns)
