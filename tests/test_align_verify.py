"""Acoustic verification: windows and wordings (pure logic), and the audio judging real edits."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.align import align_call
from callfix.options import AlignOptions, Options
from callfix.align.glossary import Glossary
from callfix.io.vendor import parse_vendor_text
from callfix.align.verdict import ASR, VENDOR, Stretch, Window, decide
from callfix.align.verify import AcousticVerifier, VerifyOptions, plan_windows, window_text
from callfix.config import load_config
from callfix.model import Edit, Transcript, Word

from conftest import DATA


def _words(texts, start=0.0, step=0.5, language="en"):
    return [Word(t, start + i * step, start + i * step + 0.4, 0.9, language) for i, t in enumerate(texts)]


def _stretch(w1, w2, vendor, asr, kind="replace", **ev):
    e = Edit(id="e", paragraph=0, kind=kind, vendor=vendor, replacement=asr, decision="suggested", evidence=dict(ev))
    return Stretch(e, w1, w2, {VENDOR: vendor, ASR: asr})


def test_window_text_puts_each_wording_in_place_and_scores_up_to_the_next_stretch():
    words = _words("we saw strong recurring revenue and software sales this year".split())
    a, b = _stretch(3, 4, "reoccurring", "recurring"), _stretch(6, 7, "soft wear", "software")
    win = Window(0.0, 6.0, 0, len(words), [a, b])
    text, spans = window_text(words, win, VENDOR)
    assert text == "we saw strong reoccurring revenue and soft wear sales this year"
    assert [text[s:e] for s, e in spans] == [" reoccurring revenue and", " soft wear sales this year"]
    text, spans = window_text(words, win, ASR)
    assert text == "we saw strong recurring revenue and software sales this year"
    # A deletion's vendor words sit where the ASR heard nothing; the ASR row leaves them out.
    d = _stretch(4, 4, "this one, this one,", "", kind="delete")
    text, spans = window_text(words, Window(0.0, 6.0, 0, len(words), [d]), VENDOR)
    assert text.startswith("we saw strong recurring this one, this one, revenue")
    text, _ = window_text(words, Window(0.0, 6.0, 0, len(words), [d]), ASR)
    assert text == " ".join(w.text for w in words)


@settings(max_examples=200, deadline=None)
@given(gaps=st.lists(st.floats(0.05, 3.0), min_size=2, max_size=120),
       zh=st.sets(st.integers(0, 119), max_size=10), picks=st.lists(st.integers(0, 119), max_size=15))
def test_windows_hold_their_stretches_in_english_speech_within_whisper_window(gaps, zh, picks):
    words, t = [], 0.0
    for i, g in enumerate(gaps):
        words.append(Word("字" if i in zh else f"w{i}", t, t + 0.3, 0.9, "zh" if i in zh else "en"))
        t += 0.3 + g
    stretches = [_stretch(p, p + 1, "x", words[p].text) for p in sorted(set(picks)) if p < len(words)]
    wins = plan_windows(words, stretches, VerifyOptions())
    seen = [id(s) for w in wins for s in w.stretches]
    assert len(seen) == len(set(seen))
    for w in wins:
        assert w.end - w.start <= 29.5
        assert all(words[i].language == "en" for i in range(w.a, w.b))
        assert all(w.a <= s.w1 <= s.w2 <= w.b for s in w.stretches)
        assert w.start <= words[w.a].start and w.end >= words[w.b - 1].end
        assert w.start >= (words[w.a - 1].end if w.a else 0.0) - 1e-9
    for s in stretches:
        if words[s.w1].language == "en" and id(s) not in seen:
            # left out only when no English context window can be built around it
            assert False, f"stretch at word {s.w1} not verified"


def _decided(scores, kind="replace", vendor="in France", asr="inference", decision="suggested", **ev):
    s = _stretch(0, 1, vendor, asr, kind=kind, asr_probability_min=0.95, **ev)
    s.edit.decision = decision
    s.scores = scores
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    return s.edit


def test_margins_decide_and_ties_go_to_the_vendor():
    assert _decided({VENDOR: -20.0, ASR: -8.0}).decision == "applied"
    assert _decided({VENDOR: -20.0, ASR: -17.0}).decision == "suggested"
    assert _decided({VENDOR: -10.0, ASR: -10.2}).decision == "suggested"  # a tie: the editor decides
    assert _decided({VENDOR: -8.0, ASR: -12.0}).decision == "kept"
    # a supported edit the audio contradicts is not applied
    assert _decided({VENDOR: -8.0, ASR: -12.0}, decision="applied").decision == "kept"
    # a glossary witness needs only a small margin
    e = _decided({VENDOR: -10.0, ASR: -8.0}, vendor="growth margin", asr="gross margin",
                 glossary={"confusion": ["growth margin", "gross margin"]})
    assert e.decision == "applied" and e.evidence["acoustic"]["margin"] == 2.0


def test_the_audio_alone_never_trades_a_glossary_name_an_acronym_or_a_number_for_unlike_words():
    gl_name = _stretch(0, 1, "Zou", "Nou", asr_probability_min=0.95)
    gl_name.vendor_name = "Zou"
    gl_name.scores = {VENDOR: -20.0, ASR: -5.0}
    decide(gl_name, Window(0, 5, 0, 1, [gl_name]), VerifyOptions(), AlignOptions())
    assert gl_name.edit.decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -5.0}, vendor="DNA policy", asr="the under policy").decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -5.0}, vendor="205", asr="420-25").decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -5.0}, vendor="205", asr="2025").decision == "applied"


JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def jfk(models_ready, tmp_path_factory):
    from callfix.asr import transcribe
    from callfix.audio import decode

    cfg = load_config()
    audio = decode(DATA / "jfk" / "jfk.flac", tmp_path_factory.mktemp("jfk"), 1)
    return cfg, audio, transcribe(audio, cfg)


def _verify(cfg, audio, evidence: Transcript, vendor_text: str):
    from callfix.asr.backends import load_backend

    verifier = AcousticVerifier(audio, load_backend(cfg), VerifyOptions(), asr=Options.of(cfg).asr)
    return align_call(evidence, parse_vendor_text(vendor_text), cfg, glossary=Glossary(), verifier=verifier)


@pytest.mark.slow
def test_the_audio_fixes_an_error_no_glossary_knows(jfk):
    cfg, audio, evidence = jfk
    assert "county" not in " ".join(w.text for w in evidence.words)
    vendor = JFK.replace("your country can", "your county can")
    plain = align_call(evidence, parse_vendor_text(vendor), cfg, glossary=Glossary())
    assert not [e for e in plain.edits if e.decision == "applied"]  # no glossary, no number: not applied before
    out = _verify(cfg, audio, evidence, vendor)
    e, = [e for e in out.edits if "county" in e.vendor]
    assert e.decision == "applied" and e.evidence["acoustic"]["margin"] >= 5.0
    assert "your country can do" in out.paragraphs[0].corrected


@pytest.mark.slow
def test_a_wording_the_speaker_said_stays_when_the_asr_misheard_it(jfk):
    cfg, audio, evidence = jfk
    heard = Transcript.from_dict(evidence.to_dict())
    s, i = next((s, i) for s in heard.segments for i, w in enumerate(s.words) if w.text.startswith("country"))
    s.words[i] = replace(s.words[i], text="county", probability=0.99)  # the ASR "mishears" it, confidently
    out = _verify(cfg, audio, heard, JFK)
    e, = [e for e in out.edits if e.vendor.startswith("country")]
    assert e.decision == "kept" and e.evidence["acoustic"]["margin"] < 0
    assert out.paragraphs[0].corrected == JFK


def test_inflections_and_unsure_words_are_left_to_the_editor():
    from callfix.align.verdict import inflection_only

    assert inflection_only("investments.", "investment.") and inflection_only("the grows", "the grow")
    assert not inflection_only("grows", "gross") and not inflection_only("soft wear", "software")

    def ending(p):
        s = _stretch(0, 1, "investments", "investment", asr_probability_min=p)
        s.scores = {VENDOR: -20.0, ASR: -5.0}
        decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
        return s.edit.decision

    # on phone audio Whisper drops endings at p 0.6-0.9; one it heard surely is applied on the margin
    assert ending(0.85) == "suggested" and ending(0.95) == "applied"

    def near(vendor, asr):
        s = _stretch(0, 1, vendor, asr, asr_probability_min=0.95)
        s.scores = {VENDOR: -11.0, ASR: -5.0}
        decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
        return s.edit.decision

    # 6 nats: an ending the ASR adds is applied; one it drops (as it often does on its own) is not
    assert near("expenditure", "expenditures") == "applied" and near("investments", "investment") == "suggested"
    # an unsure ASR word needs a large margin and a near-identical sound
    unsure = dict(vendor="in France", asr="inference")
    s = _stretch(0, 1, **unsure, asr_probability_min=0.4)
    s.scores = {VENDOR: -20.0, ASR: -8.0}
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    assert s.edit.decision == "applied"
    s = _stretch(0, 1, vendor="Churn", asr="Turn", asr_probability_min=0.29)
    s.scores = {VENDOR: -20.0, ASR: -12.8}
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    assert s.edit.decision == "suggested"


def test_a_name_read_the_same_at_every_mention_is_recorded_but_names_need_a_trusted_spelling():
    from callfix.align.verify import consistent_readings, heard_text

    words = _words("Zhiyun grew and Zhiyun shipped while Zhiyun hired".split())
    mentions = [_stretch(3, 4, "Shiyun", "Zhiyun"), _stretch(6, 7, "Shiyun", "Zhiyun")]
    for m in mentions:
        m.scores = {VENDOR: -14.0, ASR: -6.0}
        m.name = True
    found = consistent_readings(mentions, heard_text(words), VerifyOptions())
    assert set(found) == {id(m) for m in mentions}
    for m in mentions:
        m.edit.evidence["asr_probability_min"] = 0.9
        decide(m, Window(0, 5, 0, 9, [m]), VerifyOptions(), AlignOptions(), found[id(m)])
        assert m.edit.decision == "suggested" and "at all 2 mentions" in m.edit.evidence["consistent_reading"]
    # a trusted spelling (glossary, participants) the audio favours is applied
    m = _stretch(3, 4, "Shiyun", "Zhiyun", asr_probability_min=0.9)
    m.name, m.wordings["glossary:Zhiyun"] = True, "Zhiyun"
    m.scores = {VENDOR: -14.0, ASR: -6.0, "glossary:Zhiyun": -6.0}
    decide(m, Window(0, 5, 0, 9, [m]), VerifyOptions(), AlignOptions())
    assert m.edit.decision == "applied"
    # the vendor's spelling heard elsewhere in the call: no witness
    assert not consistent_readings(mentions, heard_text(words[:6] + _words(["Shiyun"])), VerifyOptions())
    assert not consistent_readings(mentions[:1], heard_text(words), VerifyOptions())  # one mention is not a pattern


def _judged(vendor, asr, scores, p=0.95, wordings=None, **attrs):
    """One stretch decided alone: ``attrs`` set what the verifier found about it."""
    s = _stretch(0, 1, vendor, asr, asr_probability_min=p)
    s.wordings.update(wordings or {})
    for k, v in attrs.items():
        setattr(s, k, v)
    s.scores = scores
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    return s.edit


def test_a_name_the_asr_hears_elsewhere_is_not_overruled_by_one_mention():
    e = _judged("Qiao", "Kyle", {VENDOR: -20.0, ASR: -10.0}, p=0.99, attested=True)
    assert e.decision == "suggested" and "elsewhere in the call" in e.reason


def test_known_confusions_are_read_with_the_words_around_an_edit():
    from callfix.align.glossary import load_glossaries
    from callfix.align.verify import confusion_wordings

    gl = load_glossaries(["earnings", "kingsoft-cloud"])
    assert confusion_wordings(gl, "On the call today from", "Google", "Cloud, we have") == [("Google Cloud", "Kingsoft")]
    assert confusion_wordings(gl, "Welcome to", "kings of the cloud's", "fourth quarter") == \
        [("kings of the cloud", "Kingsoft Cloud's")]
    assert confusion_wordings(gl, "Our", "growth", "margin was 20%") == [("growth margin", "gross")]
    assert confusion_wordings(gl, "Google Cloud and", "AWS", "grew") == []  # the confusion is in the context only


def test_a_known_confusion_the_audio_favours_is_applied_whatever_the_asr_read():
    known = {"confusion:Google Cloud": "Kingsoft"}
    e = _judged("Google", "King's Office", {VENDOR: -19.7, ASR: -9.2, "confusion:Google Cloud": -11.1}, p=0.27,
                wordings=known)
    assert e.decision == "applied" and e.replacement == "Kingsoft"
    # the speaker really said "Google": the vendor's wording wins and stays
    e = _judged("Google", "Goo", {VENDOR: -6.0, ASR: -7.5, "confusion:Google Cloud": -15.0}, p=0.5, wordings=known)
    assert e.decision == "kept"


def test_small_words_riding_along_and_names_stay_with_the_editor():
    from callfix.align.verdict import name_like, small_word_edges

    assert small_word_edges("cash slow was", "cashflow is") and not small_word_edges("soft wear", "software")
    assert not small_word_edges("in France", "inference")
    assert name_like("Stan Lee", skip_first=True) and name_like("Tomasz,", skip_first=True)
    assert not name_like("Attention", skip_first=True) and name_like("Attention")
    e = _judged("Tomasz,", "Thomas,", {VENDOR: -20.0, ASR: -8.0}, p=0.9, name=True)
    assert e.decision == "suggested" and "trusted spelling" in e.reason


def test_a_number_needs_a_clear_margin_and_endings_do_not_ride_along():
    from callfix.align.verdict import small_word_edges

    assert small_word_edges("those reached", "dose reach") and small_word_edges("question comes", "questions")
    n = _decided({VENDOR: -10.0, ASR: -6.1}, vendor="600", asr="500", decision="applied",
                 number={"vendor": ["600"], "audio": ["500"], "digit_similarity": 0.67})
    assert n.decision == "suggested"
    n = _decided({VENDOR: -20.0, ASR: -6.0}, vendor="205", asr="2025", decision="applied",
                 number={"vendor": ["205"], "audio": ["2025"], "digit_similarity": 0.86})
    assert n.decision == "applied"


def test_unlike_digits_are_never_applied_on_the_number_alone():
    n = _decided({VENDOR: -20.0, ASR: -13.0}, vendor="$12", asr="$111.2", decision="applied",
                 number={"vendor": ["$12"], "audio": ["$111.2"], "digit_similarity": 0.57})
    assert n.decision == "suggested"
    # a reading with another count of numbers or other signs is a garbled one
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="734", asr="$730 $4").decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="06", asr="0.6x").decision == "suggested"
    # a sign said as a word is the same sign
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="17 percent", asr="71%").decision == "applied"


def test_a_number_form_nearest_the_asrs_digits_is_no_rival_where_the_audio_rejects_it():
    from callfix.align.candidates import Candidate
    from callfix.align.verdict import unlike_asr_digits

    def stretch(scores):
        s = _stretch(0, 1, "205", "125", asr_probability_min=0.73)
        for text in ("250", "2015", "2025"):
            s.candidates[f"number:{text}"] = Candidate(text, "number", "a digit more", own=text == "2025")
            s.wordings[f"number:{text}"] = text
        s.scores = scores
        return s

    rejected = stretch({VENDOR: -10.3, ASR: -1.0, "number:250": -16.0, "number:2015": -9.6, "number:2025": -2.3})
    assert not unlike_asr_digits(rejected, rejected.candidates["number:2025"])
    decide(rejected, Window(0, 5, 0, 1, [rejected]), VerifyOptions(), AlignOptions())
    assert rejected.edit.decision == "applied" and rejected.edit.replacement == "2025"
    rival = stretch({VENDOR: -10.3, ASR: -1.0, "number:250": -2.8, "number:2015": -9.6, "number:2025": -2.3})
    assert unlike_asr_digits(rival, rival.candidates["number:2025"])  # "250" fits as well and is nearer "125"


@pytest.mark.slow
def test_both_backends_score_wordings_alike(jfk):
    """faster-whisper (CTranslate2 align) and openai-whisper (decoder logits) on the same weights:
    the spoken wording wins on both, and by a similar margin."""
    from callfix.asr.backends import load_backend
    from callfix.config import merge

    cfg, audio, _ = jfk
    x = audio.window(0, audio.duration)
    texts = [JFK, JFK.replace("your country can", "your county can")]
    fast = load_backend(cfg).score_texts(x, texts, "en")
    slow = load_backend(merge(cfg, {"asr": {"backend": "openai-whisper"}})).score_texts(x, texts, "en")
    for sc in (fast, slow):
        assert sc[0].logprob - sc[1].logprob > 5.0
        assert sc[0].token_ends[-1] == len(JFK) and sc[0].span(0, len(JFK)) == pytest.approx(sc[0].logprob)
    assert abs(fast[0].logprob - slow[0].logprob) < 2.0


@pytest.mark.slow
def test_a_row_cut_after_its_last_further_wording_scores_it_as_the_whole_row(jfk):
    from callfix.asr.backends import load_backend

    cfg, audio, _ = jfk
    full = JFK.replace("your country can", "your county can")
    cut = full[:full.index(" do for you")]
    a, b = full.index("county") - 1, len(cut)
    backend, x = load_backend(cfg), audio.window(0.0, audio.duration)
    # apart: scored together, the cut row is read off the full one (callfix.asr.score.hosts)
    (s_full,), (s_cut,) = backend.score_texts(x, [full], "en"), backend.score_texts(x, [cut], "en")
    assert s_cut.tokens < s_full.tokens
    assert abs(s_full.span(a, b) - s_cut.span(a, b)) < 0.05


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), max_size=5), max_size=8))
def test_a_row_that_begins_another_is_read_off_it(rows):
    """A row whose tokens begin a longer (or equal) row's is served by that row's decoding; every
    other row is decoded itself, once."""
    from callfix.asr.score import hosts

    batch = [i for i, r in enumerate(rows) if r]
    host = hosts(rows, batch)
    assert set(host) == set(batch)
    for i, h in host.items():
        assert host[h] == h and rows[h][:len(rows[i])] == rows[i]
        if h == i:  # decoded itself: no other decoded row begins with it
            assert not any(rows[j][:len(rows[i])] == rows[i] for j in set(host.values()) - {i})


def test_rows_are_batched_with_rows_of_near_their_length():
    from callfix.asr.score import length_groups

    ids = [[1] * 40, [2] * 10, [3] * 38, [], [4] * 12, [5] * 31]
    groups = length_groups(ids, [0, 1, 2, 4, 5])
    assert groups == [[0, 2, 5], [4, 1]]
    assert sorted(i for g in groups for i in g) == [0, 1, 2, 4, 5]


def test_a_join_nearly_as_likely_as_the_asr_reading_is_written_instead_of_it():
    from callfix.align.candidates import Candidate

    def run(merge_score):
        st = _stretch(0, 2, "a head wind", "ahead when")
        st.candidates = {"merge:a headwind": Candidate("a headwind", "merge", "'head wind' is the word 'headwind'")}
        st.wordings["merge:a headwind"] = "a headwind"
        st.scores = {VENDOR: -6.6, ASR: -1.2, "merge:a headwind": merge_score}
        decide(st, Window(0.0, 2.0, 0, 2, [st]), VerifyOptions(), AlignOptions())
        return st.edit

    near = run(-2.6)  # 1.4 nats under the ASR's reading: the audio cannot tell them apart
    assert near.decision == "applied" and near.replacement == "a headwind"
    far = run(-5.0)  # 3.8 nats under: the ASR's reading is what the audio says
    assert far.replacement == "ahead when"


def test_a_name_the_audio_may_not_respell_takes_the_glossary_spelling_it_favours():
    trusted = {"glossary:Qiao Wenbo": "Qiao Wenbo"}
    # Whisper writes the rare name as a common one ("Kyle"); the participants' spelling beats the vendor's by 17 nats
    e = _judged("Chow When Bo,", "Kyle Wenbo", {VENDOR: -25.6, ASR: -3.9, "glossary:Qiao Wenbo": -8.6}, p=0.33,
                wordings=trusted, name=True, introduced="Chow")
    assert e.decision == "applied" and e.replacement == "Qiao Wenbo," and "glossary" in e.reason
    # under the apply margin: left to the editor
    e = _judged("Chow When Bo,", "Kyle Wenbo", {VENDOR: -12.0, ASR: -3.9, "glossary:Qiao Wenbo": -8.6}, p=0.33,
                wordings=trusted, name=True, introduced="Chow")
    assert e.decision != "applied"
    # a glossary name that does not sound like the vendor's is no mishearing of it
    e = _judged("Grace Liu,", "Kyle Wenbo", {VENDOR: -25.6, ASR: -3.9, "glossary:Qiao Wenbo": -8.6}, p=0.33,
                wordings=trusted, name=True)
    assert e.decision != "applied"
    # the vendor's own letters in the glossary's style are no mishearing either
    e = _judged("Non GAAP", "non gap", {VENDOR: -11.4, ASR: -2.3, "glossary:non-GAAP": -4.5}, p=0.3,
                wordings={"glossary:non-GAAP": "non-GAAP"})
    assert e.decision != "applied"


def test_a_glossary_term_the_asr_read_unsurely_needs_a_clear_margin():
    def judged(margin, p):
        s = _stretch(0, 1, "truest measure of our", "Truist Securities", asr_probability_min=p,
                     glossary={"term": "Truist Securities"})
        s.scores = {VENDOR: -16.3, ASR: -16.3 + margin}
        decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
        return s.edit.decision

    # the decoder, prompted with the term, read it over noise at p 0.01 and the forced scores lean the same way
    assert judged(6.6, 0.01) != "applied" and judged(12.0, 0.01) == "applied"
    assert judged(6.6, 0.5) == "applied"  # a reading the ASR was surer of needs only the usual support


def test_a_glossary_spelling_keeps_the_vendors_edge_words_and_sounds_like_the_words_it_replaces():
    # a firm the decoder hears in noise, over words that only begin like it: a control really said
    e = _judged("truest measure of our", "truest measure for", {VENDOR: -25.0, ASR: -24.0,
                "glossary:Truist Securities": -15.2}, wordings={"glossary:Truist Securities": "Truist Securities"})
    assert e.decision != "applied"
    # the bare term would drop the vendor's "are": the same spelling among the vendor's words is written
    from callfix.align.candidates import Candidate
    gl = {"glossary:Declan Moriarty": "Declan Moriarty", "spelling:are Declan Moriarty,": "are Declan Moriarty,"}
    s = _stretch(0, 1, "are Declan Moriarity,", "Declan Moriarty", asr_probability_min=0.95)
    s.wordings.update(gl)
    s.candidates["spelling:are Declan Moriarty,"] = Candidate("are Declan Moriarty,", "spelling", "a trusted spelling")
    s.name = True
    s.scores = {VENDOR: -25.0, ASR: -14.0, "glossary:Declan Moriarty": -13.0, "spelling:are Declan Moriarty,": -13.3}
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    assert s.edit.decision == "applied" and s.edit.replacement == "are Declan Moriarty,"
    # a spelling among the vendor's words that keeps a wrong one ("Chow Qiao Wenbo,") far below the term: the term
    s = _stretch(0, 1, "Chow When Bo,", "Kyle Wenbo", asr_probability_min=0.33)
    s.wordings.update({"glossary:Qiao Wenbo": "Qiao Wenbo", "spelling:Chow Qiao Wenbo,": "Chow Qiao Wenbo,"})
    s.candidates["spelling:Chow Qiao Wenbo,"] = Candidate("Chow Qiao Wenbo,", "spelling", "a trusted spelling")
    s.name = True
    s.scores = {VENDOR: -26.8, ASR: -4.9, "glossary:Qiao Wenbo": -8.0, "spelling:Chow Qiao Wenbo,": -25.7}
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    assert s.edit.decision == "applied" and s.edit.replacement == "Qiao Wenbo,"


def test_a_reading_that_names_another_amount_is_not_applied_on_the_audio_alone():
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="$2 million,", asr="$2 billion,").decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="for quarters", asr="four quarters").decision == "suggested"


def test_a_homophone_the_asr_heard_with_a_word_boundary_elsewhere_is_heard():
    # "onto contract" is the ASR's "on to contract" but for the boundary: a second witness for it
    words = _words(["rates", "moved", "on", "to", "contract", "rates"])
    e = Edit(id="e", paragraph=0, kind="replace", vendor="onto contractor", replacement="on to contract",
             decision="suggested", evidence={"asr_probability_min": 0.7})
    e._piece = (2, 5, "onto contractor", "on to contract")
    st = AcousticVerifier(None, None, VerifyOptions())._stretch(words, e, Glossary())
    heard = [c for c in st.candidates.values() if c.text == "onto contract"]
    assert heard and heard[0].kind == "homophone" and heard[0].heard


def test_a_number_form_the_vendor_text_writes_elsewhere_needs_only_the_clear_margin():
    from callfix.align.verdict import one_change_margin
    from callfix.align.verify import written_numbers

    assert written_numbers(["Quayline Payments Q2 2026 earnings call.", "7/30/2026", "up 46% to $1.25"]) \
        == {"2026", "1.25"}  # numbers of three digits or more only
    words = _words(["second", "quarter", "two", "of", "six", "earnings"])
    e = Edit(id="e", paragraph=0, kind="replace", vendor="quarter 206 earnings", replacement="quarter two of six earnings",
             decision="suggested", evidence={"asr_probability_min": 0.7})
    e._piece = (1, 6, "quarter 206 earnings", "quarter two of six earnings")
    v = AcousticVerifier(None, None, VerifyOptions())
    plain = [c for c in v._stretch(words, e, Glossary()).candidates.values() if c.text == "quarter 2026 earnings"]
    v.numbers = written_numbers(["Q2 2026 earnings call"])
    own = [c for c in v._stretch(words, e, Glossary()).candidates.values() if c.text == "quarter 2026 earnings"]
    assert plain and own and own[0].own and "elsewhere" in own[0].why
    opts = VerifyOptions()
    assert one_change_margin(plain[0], opts) == 2 * opts.apply_margin
    assert one_change_margin(own[0], opts) == opts.apply_margin


def test_two_swapped_digits_need_only_the_clear_margin():
    from callfix.align.candidates import number_candidates
    from callfix.align.verdict import one_change_margin

    opts = VerifyOptions()
    forms = {c.text: c for c in number_candidates("up 64% on the year", "up sixty percent on the year")}
    assert forms["up 46% on the year"].swap and not forms["up 46% on the year"].heard
    assert one_change_margin(forms["up 46% on the year"], opts) == opts.apply_margin
    dropped = {c.text: c for c in number_candidates("in 205 we", "in the year we")}["in 2025 we"]
    assert not dropped.swap and one_change_margin(dropped, opts) == 2 * opts.apply_margin


def test_the_asrs_own_reading_needs_its_words_heard_surely():
    # the reading wins the teacher-forced score by construction; a reading with a word at 0.7 is left to the editor
    e = _judged("tonnage", "damage", {VENDOR: -20.0, ASR: -12.0}, p=0.72)
    assert e.decision == "suggested" and "unsure" in e.reason
    assert _judged("tonnage", "damage", {VENDOR: -20.0, ASR: -12.0}, p=0.8).decision == "applied"


def test_a_word_the_vendor_text_writes_elsewhere_needs_a_smaller_margin():
    from callfix.align.verify import written_words

    vocab = written_words(["Our customs brokerage business had a record quarter.", "Customs clearance doubled."])
    assert {"customs", "brokerage"} <= vocab
    heard = dict(p=0.99, call_words=vocab)
    assert _judged("customers", "customs", {VENDOR: -12.0, ASR: -8.0}, **heard).decision == "applied"
    assert _judged("customers", "customs", {VENDOR: -12.0, ASR: -10.0}, **heard).decision == "suggested"
    # a word the call never writes, or a reading the ASR is unsure of, needs the whole margin
    assert _judged("customers", "costumes", {VENDOR: -12.0, ASR: -8.0}, **heard).decision == "suggested"
    assert _judged("customers", "customs", {VENDOR: -12.0, ASR: -8.0}, p=0.6, call_words=vocab).decision == "suggested"
    # small words are in every call's vocabulary: they are no witness
    assert _judged("has", "had", {VENDOR: -12.0, ASR: -8.0}, **heard).decision == "suggested"


def test_an_unsure_reading_that_loses_a_digit_is_not_applied_on_the_audio_alone():
    num = {"vendor": ["205"], "audio": ["25"], "digit_similarity": 0.8}
    e = _judged("205", "25", {VENDOR: -18.8, ASR: -8.4}, p=0.34)
    e.evidence["number"] = num
    assert e.decision == "suggested" and "unsure" in e.reason
    # the same slip the other way (the reading adds the digit the vendor dropped) may be
    assert _judged("205", "2025", {VENDOR: -18.8, ASR: -8.4}, p=0.34).decision == "applied"


def test_a_change_of_vendor_words_put_over_other_speech_is_no_evidence():
    from callfix.align.candidates import Candidate
    from callfix.align.verdict import one_change_allowed

    vendor = "Thank you, Declan. Gross revenue was 3.4 billion dollars,"
    form = vendor.replace("3.4", "34")
    s = _stretch(0, 1, vendor, "are also open to cross-coulders who were out to our territory to serve the big strength,",
                 asr_probability_min=0.11, cross_paragraph=True, text_similarity=0.355)
    s.candidates[f"number:{form}"] = Candidate(form, "number", "a decimal point")
    s.wordings[f"number:{form}"] = form
    args = (s.edit, s, f"number:{form}", 12.5, VerifyOptions(), AlignOptions())
    assert not one_change_allowed(*args)
    s.edit.evidence["text_similarity"] = 0.8  # the ASR's words there are the vendor's, cut at the paragraph's edge
    assert one_change_allowed(*args)
    # a short stretch cut at the edge is scored on its own few words ("was 84,000 ounces." → "48,000", right)
    short = _stretch(0, 1, "was 84,000 ounces.", "would block E-8000 down to", asr_probability_min=0.41,
                     cross_paragraph=True, text_similarity=0.429)
    short.candidates["number:was 48,000 ounces."] = Candidate("was 48,000 ounces.", "number", "two digits swapped", swap=True)
    short.wordings["number:was 48,000 ounces."] = "was 48,000 ounces."
    assert one_change_allowed(short.edit, short, "number:was 48,000 ounces.", 8.2, VerifyOptions(), AlignOptions())


def test_two_everyday_words_need_twice_the_margin():
    """Between words this common ("year"/"your", "Could"/"Good") the decoder's own taste moves the
    margin by several nats; a rarer word the audio favours as clearly is applied."""
    from callfix.align.verdict import everyday_swap

    assert everyday_swap("year", "your", 5.3) and everyday_swap("Could,", "Good,", 5.3)
    assert not everyday_swap("valley", "value", 5.3) and not everyday_swap("71", "17", 5.3)
    assert not everyday_swap("settle in", "settling", 5.3)
    assert _decided({VENDOR: -20.0, ASR: -11.0}, vendor="year", asr="your").decision == "suggested"
    assert _decided({VENDOR: -20.0, ASR: -8.0}, vendor="year", asr="your").decision == "applied"
    assert _decided({VENDOR: -20.0, ASR: -11.0}, vendor="valley", asr="value").decision == "applied"


def test_the_unit_after_a_number_changes_only_on_a_clear_margin():
    e = _judged("tonnes.", "times.", {VENDOR: -14.8, ASR: -9.7}, p=0.88, after_number=True)
    assert e.decision != "applied" and "unit" in e.reason
    e = _judged("tonnes.", "times.", {VENDOR: -24.8, ASR: -9.7}, p=0.88, after_number=True)
    assert e.decision == "applied"  # 15 nats: clear
    assert _judged("tonnes.", "times.", {VENDOR: -14.8, ASR: -9.7}, p=0.88).decision == "applied"


def test_the_verifier_knows_which_wordings_follow_a_number():
    from callfix.model import Paragraph

    text = "We keep our guidance of 235,000 to 250,000 tonnes. The strip ratio held."
    words = _words(["250,000", "times.", "The"])
    at = text.index("tonnes.")
    e = Edit(id="e", paragraph=0, kind="replace", vendor="tonnes.", replacement="times.", decision="suggested",
             char_start=at, char_end=at + len("tonnes."), evidence={"asr_probability_min": 0.9})
    e._piece = (1, 2, "tonnes.", "times.")
    par = Paragraph(index=0, text=text)
    st = AcousticVerifier(None, None, VerifyOptions())._stretch(words, e, Glossary(), [par])
    assert st.after_number
    e.char_start, e.char_end = text.index("strip"), text.index("strip") + 5
    assert not AcousticVerifier(None, None, VerifyOptions())._stretch(words, e, Glossary(), [par]).after_number


def test_words_are_deleted_as_not_said_only_where_the_gap_holds_no_speech():
    from callfix.align.verdict import deletable

    def st(speech):
        s = _stretch(3, 3, "20% above last year's.", "", kind="delete", asr_gap_seconds=2.02)
        s.gap_speech = speech
        return s

    opts = VerifyOptions()
    assert deletable(st(0.05).edit, st(0.05), opts)
    # phone audio: VAD finds a fraction of speech really there; a tenth of the gap is speech enough
    assert not deletable(st(0.29).edit, st(0.29), opts)
    assert not deletable(st(None).edit, st(None), opts)  # not measured: no testimony


def test_a_rare_vendor_word_is_not_traded_for_a_common_sound_alike_the_asr_did_not_read():
    from callfix.align.candidates import Candidate

    def run(vendor, alike, heard=False, p=0.6, vendor_score=-16.0):
        st = _stretch(0, 2, vendor, "small-drained", asr_probability_min=p)
        st.candidates = {f"homophone:{alike}": Candidate(alike, "homophone", "sounds alike", heard=heard)}
        st.wordings[f"homophone:{alike}"] = alike
        st.scores = {VENDOR: vendor_score, ASR: -5.5, f"homophone:{alike}": -4.0}
        decide(st, Window(0.0, 2.0, 0, 2, [st]), VerifyOptions(), AlignOptions())
        return st.edit

    assert run("small drayage", "small drainage").decision != "applied"
    assert run("small drayage", "small drainage", heard=True).decision == "applied"
    # heard unsurely: twice the apply margin
    assert run("small drayage", "small drainage", heard=True, p=0.52, vendor_score=-12.0).decision != "applied"
    assert run("small drayage", "small drainage", heard=True, p=0.52).decision == "applied"
    assert run("small valley", "small value").decision == "applied"  # a common vendor word: the margin decides
    assert run("new terrifs", "new tariffs").decision == "applied"  # no word at all: a misspelling
