"""align_call: corrections decided from audio evidence, flags, timing, bad input."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from callfix.align import align_call, load_glossaries
from callfix.io.vendor import parse_vendor_text
from callfix.config import load_config, merge
from callfix.errors import InputError
from callfix.align.wording import replacement_text
from callfix.model import Token, Transcript, Word

from align_fixtures import demo_evidence, demo_vendor, seg

CFG = merge(load_config(), {"align": {"glossaries": ["earnings", "kingsoft-cloud"]}})  # the fixtures' company


def _by_vendor(t):
    return {e.vendor.strip(" ,."): e for e in t.edits}


@pytest.fixture(scope="module")
def demo():
    return align_call(demo_evidence(), demo_vendor(), CFG)


def test_supported_corrections_are_applied(demo):
    e = _by_vendor(demo)
    # The whole confused form is rewritten in its glossary spelling, context word included.
    assert e["growth margin"].decision == "applied" and e["growth margin"].replacement == "gross margin"
    assert e["growth margin"].evidence["glossary"]["confusion"] == ["growth margin", "gross margin"]
    assert e["205"].decision == "applied" and e["205"].replacement == "2025"
    assert e["non-gap"].replacement == "non-GAAP" and e["non-gap"].decision == "applied"
    assert e["DeepSeq"].replacement == "DeepSeek" and e["DeepSeq"].decision == "applied"
    assert e["Zouzong"].replacement == "Mr. Zou." and e["Zouzong"].decision == "applied"
    p0 = demo.paragraphs[0]
    assert p0.corrected == ("Good day and welcome to Google Cloud's fourth quarter call. "
                            "Our gross margin was 20% in 2025 and we expect more.")


def test_glossary_confusion_left_alone_when_audio_agrees(demo):
    # "Google Cloud" is a known confusion for Kingsoft Cloud, but the audio says Google Cloud.
    assert "Google Cloud's" in demo.paragraphs[0].corrected
    assert not any("Google" in e.vendor for e in demo.edits)


def test_repetition_loop_the_audio_lacks_is_removed(demo):
    loop = [e for e in demo.edits if e.kind == "delete" and "this one" in e.vendor]
    assert loop and all(e.decision == "applied" for e in loop)
    assert loop[0].evidence["repetition_loop"]["count"] >= 3
    assert demo.paragraphs[2].corrected == "Thank you. Our non-GAAP net income grew, and DeepSeek helped this one a lot."


def test_stray_text_not_in_audio_is_flagged(demo):
    p = demo.paragraphs[1]
    assert "not_in_audio" in p.flags
    dels = [e for e in demo.edits if e.paragraph == p.index]
    assert dels and all(e.kind == "delete" and e.decision != "kept" for e in dels)


def test_machine_translation_is_resourced_not_replaced(demo):
    p = demo.paragraphs[3]
    assert "machine_translation" in p.flags and p.language == "zh"
    assert p.source_text == "经调整后经营利润首次转正"
    assert p.corrected == p.text  # the interpreter's English is kept
    (e,) = [e for e in demo.edits if e.paragraph == p.index]
    assert e.kind == "resource" and e.decision == "suggested"


def test_every_token_timed_and_paragraphs_get_speakers(demo):
    starts = [k.start for p in demo.paragraphs for k in p.tokens]
    assert all(s is not None for s in starts)
    assert starts == sorted(starts)
    assert demo.paragraphs[0].speakers == ["SPEAKER_00"] and demo.paragraphs[2].speakers == ["SPEAKER_01"]
    assert demo.paragraphs[0].start == 0.0 and demo.paragraphs[4].start == 70.0
    assert demo.meta["align"]["coverage"] > 0.3 and demo.meta["align"]["warning"] is None


def test_edits_point_at_their_vendor_text(demo):
    for e in demo.edits:
        p = demo.paragraphs[e.paragraph]
        assert p.text[e.char_start:e.char_end] == e.vendor


def test_uncertain_asr_only_suggests():
    ev = demo_evidence()
    for w in ev.segments[0].words:
        if w.text in ("gross", "2025"):
            w.probability = 0.3
    out = align_call(ev, demo_vendor(), CFG)
    e = _by_vendor(out)
    assert e["growth margin"].decision == "suggested" and e["205"].decision != "applied"
    assert "growth margin" in out.paragraphs[0].corrected


def test_unsupported_asr_difference_is_not_applied():
    v = parse_vendor_text("We saw strong results in the quarter and we thank our customers for their trust.\n")
    ev = Transcript(segments=[seg("We saw strong results in the quarter and we thank our costumers for there trust.")])
    out = align_call(ev, v, CFG)
    assert out.edits and all(e.decision != "applied" for e in out.edits)
    assert out.paragraphs[0].corrected == out.paragraphs[0].text


def test_vendor_glossary_spelling_is_protected():
    v = parse_vendor_text("Welcome to the Kingsoft Cloud earnings call for the fourth quarter.\n")
    ev = Transcript(segments=[seg("Welcome to the kings of the cloud earnings call for the fourth quarter.")])
    out = align_call(ev, v, CFG)
    (e,) = out.edits
    assert e.decision == "kept" and "vendor_term" in e.evidence["glossary"]


def test_transcript_of_another_call_warns_and_applies_nothing(capsys):
    ev = Transcript(segments=[seg(" ".join(f"unrelated{i} words here" for i in range(60)))])
    out = align_call(ev, demo_vendor(), CFG)
    assert out.edits == [] and out.meta["align"]["coverage"] < CFG["align"]["min_coverage"]
    assert "different call" in out.meta["align"]["warning"]
    assert "different call" in capsys.readouterr().err
    assert all(p.corrected == p.text and "unverified" in p.flags for p in out.paragraphs)


def test_silent_audio_keeps_vendor_unverified():
    out = align_call(Transcript(duration=30.0), demo_vendor(), CFG)
    assert out.edits == []
    assert all(p.corrected == p.text and p.flags == ["unverified"] for p in out.paragraphs)
    assert "no speech" in out.meta["align"]["warning"]


def test_glossaries_load_by_name_and_path(tmp_path):
    g = load_glossaries(["earnings"])
    assert "Kingsoft Cloud" not in g.hotwords() and g.confusions["non-gap"] == "non-GAAP"  # generic only
    assert "Kingsoft Cloud" in load_glossaries(["kingsoft-cloud"]).hotwords()  # a company glossary by name
    extra = tmp_path / "extra.yaml"
    extra.write_text("terms: [Ksyun]\nnames: [Ann Lee]\nconfusions: {Casey Un: Ksyun}\n")
    g2 = load_glossaries(["earnings", str(extra)])
    assert "Ksyun" in g2.terms and g2.confusions["Casey Un"] == "Ksyun" and "Ann Lee" in g2.names
    with pytest.raises(InputError, match="glossary not found"):
        load_glossaries(["no-such-glossary"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("terms: {a: b}\n")
    with pytest.raises(InputError, match="bad.yaml"):
        load_glossaries([str(bad)])


SENTENCES = [
    "Revenue grew thirty percent in the fourth quarter.",
    "Our gross margin improved again this year.",
    "We expect capital expenditure to rise in 2025.",
    "Thank you operator and good evening everyone.",
    "The AI business kept growing quarter over quarter.",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, len(SENTENCES) - 1), min_size=2, max_size=6),
       st.lists(st.tuples(st.integers(0, 200), st.sampled_from(["drop", "swap", "dup"])), max_size=6))
def test_alignment_properties(order, noise):
    paras = [SENTENCES[i] for i in order]
    words = " ".join(paras).split()
    for pos, kind in noise:  # the ASR hears something a little different
        if not words:
            break
        k = pos % len(words)
        if kind == "drop":
            del words[k]
        elif kind == "swap":
            words[k] = "blah"
        else:
            words.insert(k, words[k])
    vendor = parse_vendor_text("\n".join(paras) + "\n")
    ev = Transcript(segments=[seg(" ".join(words))]) if words else Transcript()
    out = align_call(ev, copy.deepcopy(vendor), CFG)
    applied = {e.paragraph for e in out.edits if e.decision == "applied"}
    for p, orig in zip(out.paragraphs, vendor.paragraphs):
        assert p.text == orig.text and [k.text for k in p.tokens] == [k.text for k in orig.tokens]
        if p.index not in applied:
            assert p.corrected == p.text  # untouched paragraphs rebuild exactly
    for e in out.edits:
        assert out.paragraphs[e.paragraph].text[e.char_start:e.char_end] == e.vendor
        if e.decision == "applied" and e.replacement:
            assert e.replacement in out.paragraphs[e.paragraph].corrected
    from callfix.text import edit_span

    for p in out.paragraphs:  # applied edits of a paragraph never overlap
        spans = sorted(edit_span(p, e)[:2] for e in out.edits if e.paragraph == p.index and e.decision == "applied")
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    if words:
        starts = [k.start for p in out.paragraphs for k in p.tokens]
        assert None not in starts and starts == sorted(starts)


def test_garbled_name_near_a_known_confusion_is_repaired():
    v = parse_vendor_text("Welcome to Jinshan Cloud's fourth quarter call, thank you all for joining today.\n")
    ev = Transcript(segments=[seg("Welcome to Kingsop Cloud's fourth quarter call, thank you all for joining today.")])
    out = align_call(ev, v, CFG)
    (e,) = out.edits
    assert e.evidence["glossary"]["confusion_fuzzy"][:2] == ["Jinshan Cloud", "Kingsoft Cloud"]
    assert e.replacement == "Kingsoft"  # the glossary spelling, not the ASR's garble
    v = parse_vendor_text("Welcome to kings of the cloud's fourth quarter call, thank you all for joining today.\n")
    ev = Transcript(segments=[seg("Welcome to Kingsoft Cloud's fourth quarter call, thank you all for joining today.")])
    (e2,) = align_call(ev, v, CFG).edits
    assert (e2.vendor, e2.replacement, e2.decision) == ("kings of the cloud's", "Kingsoft Cloud's", "applied")
    assert out.paragraphs[0].corrected.startswith("Welcome to Kingsoft Cloud's")


def test_split_words_match_a_glossary_term():
    v = parse_vendor_text("Demand from dipstick models is strong across our customers this quarter.\n")
    ev = Transcript(segments=[seg("Demand from deep seek models is strong across our customers this quarter.")])
    out = align_call(ev, v, CFG)
    (e,) = out.edits
    assert e.decision == "applied" and e.replacement == "DeepSeek"


def test_paragraph_with_no_time_in_the_audio_is_deleted():
    v = parse_vendor_text("Thank you all for joining the call today.\nPlease standby while your speakers reconnect.\n"
                          "Our next question comes from the line of Brian Gong.\n")
    ev = Transcript(segments=[seg("Thank you all for joining the call today."),
                              seg("Our next question comes from the line of Brian Gong.", t0=3.6)])
    out = align_call(ev, v, CFG)
    (e,) = out.edits
    assert e.kind == "delete" and e.decision == "applied" and e.evidence["asr_gap_seconds"] < 1.0
    assert out.paragraphs[1].corrected == "" and "not_in_audio" in out.paragraphs[1].flags
    # With a long silence where it could have been said, the same text is only suggested.
    ev.segments[1] = seg("Our next question comes from the line of Brian Gong.", t0=12.0)
    out = align_call(ev, v, CFG)
    assert [e.decision for e in out.edits] == ["suggested"]


def test_loop_keeps_the_repeats_the_audio_has():
    v = parse_vendor_text("So we think this one, this one, this one, this one, this one is the key driver of growth.\n")
    ev = Transcript(segments=[seg("So we think this one, this one is the key driver of growth.")])
    out = align_call(ev, v, CFG)
    (e,) = out.edits
    assert e.decision == "applied" and e.evidence["repetition_loop"]["in_audio"] == 2
    assert out.paragraphs[0].corrected == "So we think this one, this one is the key driver of growth."


SEED = "/work/shared/seed/kingsoft-q4-2024-vendor-transcript.txt"


@pytest.mark.skipif(not __import__("os").path.isfile(SEED), reason="seed transcript not on this machine")
def test_audio_that_agrees_everywhere_changes_nothing_on_the_seed():
    import time

    from callfix.io.vendor import read_vendor
    from callfix.model import Segment, Word

    v = read_vendor(SEED)
    words, t = [], 0.0
    for p in v.paragraphs:  # the audio says exactly what the vendor wrote, loops and "Google Cloud" included
        for k in p.tokens:
            words.append(Word(k.text, t, t + 0.3, 0.9, "zh" if p.language == "zh" else "en", "SPEAKER_00"))
            t += 0.4
    ev = Transcript(segments=[Segment("", 0.0, t, "en", words)])
    t0 = time.perf_counter()
    out = align_call(ev, v, CFG)
    assert time.perf_counter() - t0 < 5.0
    assert out.meta["align"]["coverage"] == 1.0
    # the one thing left to an editor: the vendor's "DeepSeq", which the audio spells alike, against the
    # glossary's DeepSeek
    assert {(e.vendor.strip(",."), e.replacement.strip(",."), e.decision) for e in out.edits} \
        == {("DeepSeq", "DeepSeek", "suggested")}
    assert all(p.corrected == p.text for p in out.paragraphs)


def test_machine_translated_paragraph_between_english_ones():
    # The vendor's English for the Mandarin turn shares a few words ("Thank you") with its
    # neighbours; it must be re-sourced whole, and the neighbours must still align.
    v = parse_vendor_text(
        "Thank you, operator. It is my pleasure to introduce Mr. Zou. Please go ahead.\n"
        "Thank you. After adjustment, business profits are twisted for the first time, and a series of "
        "financial indicators have set a new record.\n"
        "Thank you. Our non-gap operating profit turned positive for the first time.\n")
    ev = Transcript(segments=[
        seg("Thank you, operator. It is my pleasure to introduce Mr. Zou. Please go ahead."),
        seg("经调整经营利润首次扭亏为盈多项财务指标创历史新高", t0=40, lang="zh", spk="SPEAKER_01", step=0.3),
        seg("Thank you. Our non-GAAP operating profit turned positive for the first time.", t0=50, spk="SPEAKER_02"),
    ])
    out = align_call(ev, v, CFG)
    p = out.paragraphs[1]
    assert "machine_translation" in p.flags and p.language == "zh" and p.corrected == p.text
    assert p.source_text == "经调整经营利润首次扭亏为盈多项财务指标创历史新高"
    assert p.speakers == ["SPEAKER_01"] and 40 <= p.start < p.end <= 48
    (mt,) = [e for e in out.edits if e.kind == "resource"]
    assert mt.decision == "suggested" and (mt.char_start, mt.char_end) == (0, len(p.text))
    assert out.paragraphs[2].corrected == "Thank you. Our non-GAAP operating profit turned positive for the first time."
    assert out.paragraphs[2].speakers == ["SPEAKER_02"]


def test_turn_the_asr_missed_is_not_deleted_but_its_loop_is():
    loop = ", ".join(["this one"] * 12)
    v = parse_vendor_text(
        "Our next question comes from the line of Wenting Yu from CLSA. Please go ahead.\n"
        f"Thank you for taking my question. What is your view on depreciation policy? {loop}. Thank you.\n"
        "Thank you, Wenting. This is Henry. We use four years of D&A policy for servers.\n")
    ev = Transcript(segments=[
        seg("Our next question comes from the line of Wenting Yu from CLSA. Please go ahead."),
        seg("Thank you, Wenting. This is Henry. We use four years of D&A policy for servers.", t0=60)])
    out = align_call(ev, v, CFG)
    p = out.paragraphs[1]
    whole = [e for e in out.edits if e.paragraph == 1 and e.char_start == 0 and e.char_end == len(p.text)]
    assert whole and whole[0].decision == "suggested"  # 25 s of audio the ASR did not transcribe
    (lp,) = [e for e in out.edits if "repetition_loop" in e.evidence and e not in whole]
    assert lp.decision == "applied" and lp.evidence["repetition_loop"]["count"] == 12
    assert out.paragraphs[2].tokens[0].matched and out.paragraphs[2].start == 60.0
    assert not [e for e in out.edits if e.paragraph == 2]


def test_long_paragraph_over_a_few_seconds_of_untranscribed_audio_is_only_suggested():
    long = " ".join(f"word{i}" for i in range(60)) + "."
    v = parse_vendor_text(f"Thank you all for joining the call today.\n{long}\nOur next question comes from Brian Gong.\n")
    ev = Transcript(segments=[seg("Thank you all for joining the call today."),
                              seg("Our next question comes from Brian Gong.", t0=3.2 + 8.0)])
    out = align_call(ev, v, CFG)
    (e,) = out.edits  # 8 s could not hold 60 words at 4 words/s, but it is audio the ASR left blank
    assert e.kind == "delete" and e.decision == "suggested"


def test_number_is_judged_apart_from_neighbouring_differences():
    v = parse_vendor_text("For 205, we expect a positive operating profit for the full year.\n")
    ev = Transcript(segments=[seg("For 2025, the expect a positive operating profit for the full year.")])
    out = align_call(ev, v, CFG)
    by = {e.vendor: e for e in out.edits}
    assert by["205,"].decision == "applied" and by["205,"].replacement == "2025,"
    assert by["we"].decision != "applied"
    assert out.paragraphs[0].corrected == "For 2025, we expect a positive operating profit for the full year."


CONFUSED = [("growth margin", "gross margin"), ("non-gap", "non-GAAP"), ("DeepSeq", "DeepSeek"),
            ("Jinshan Cloud's", "Kingsoft Cloud's"), ("CDM", "CDN"), ("DNA", "D&A")]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(CONFUSED) - 1), st.booleans(), st.floats(0.05, 1.0)),
                min_size=1, max_size=6))
def test_confusions_follow_the_audio(cases):
    # Each sentence holds a known confusion; the audio says either the right form or (really) the wrong one.
    vendor, heard = [], []
    for n, (k, audio_right, p) in enumerate(cases):
        wrong, right = CONFUSED[k]
        vendor.append(f"In part {n} the {wrong} figure was discussed at length today.")
        said = right if audio_right else wrong
        heard.append(seg(f"In part {n} the {said} figure was discussed at length today.", t0=10.0 * n,
                         probs={w: p for w in said.split()}))
    v = parse_vendor_text(" ".join(vendor) + "\n")
    out = align_call(Transcript(segments=heard), v, CFG)
    text = out.paragraphs[0].corrected
    for n, (k, audio_right, p) in enumerate(cases):
        wrong, right = CONFUSED[k]
        sentence = f"In part {n} the "
        got = text[text.index(sentence) + len(sentence):].split(" figure")[0]
        if not audio_right:
            assert got == wrong  # the audio agrees with the vendor: nothing changes
        elif p >= 0.45:
            assert got == right
        elif p < CFG["align"]["floor_asr_probability"]:
            assert got == wrong


def test_a_clip_of_the_call_is_told_apart_from_another_call():
    body = "\n".join(f"Paragraph {i} says that revenue item {i} grew by {i} percent this quarter." for i in range(40))
    v = parse_vendor_text(body + "\n")
    clip = Transcript(segments=[seg("Paragraph 3 says that revenue item 3 grew by 3 percent this quarter.")])
    out = align_call(clip, v, CFG)
    assert out.edits == [] and "clip of the call" in out.meta["align"]["warning"]


def test_each_call_builds_its_own_glossary():
    from callfix.align.callglossary import call_glossary

    vendor = parse_vendor_text(
        "Good day and welcome to Shiyun Technology's third quarter 2025 earnings call. With us today is our chief "
        "executive officer, Mr. Lynn Howran, and our CFO, Ms. Grace Liu.\n\n"
        "Our first question comes from the line of Tom Becker from Jefferies. Shiyun Technology grew.\n\n"
        "Thank you. At Kingsoft Cloud we see the same.")
    gl = call_glossary(vendor, ["earnings"], [{"name": "Grace Liu", "organization": "Zhiyun Technology"}])
    # The company named in the text brings its glossary; the participants file is trusted.
    assert "Kingsoft Cloud" in gl.terms and "Grace Liu" in gl.names and "Zhiyun Technology" in gl.terms
    # Names read from the vendor text are only candidates for the audio to weigh (they may be wrong).
    assert {"Shiyun Technology", "Lynn Howran", "Tom Becker"} <= set(gl.candidates)
    # a sell-side firm the shared glossary spells is trusted, not the vendor's candidate
    assert "Jefferies" in gl.firms and "Jefferies" not in gl.candidates and "Jefferies" not in gl.hotwords()
    assert "Lynn Howran" not in gl.hotwords() and "Grace Liu" in gl.hotwords()
    plain = call_glossary(vendor, ["earnings"], None, companies=False)
    assert "Kingsoft Cloud" not in plain.terms


def test_the_decoder_prompt_holds_only_terms_the_call_mentions():
    from callfix.align.callglossary import call_glossary

    vendor = parse_vendor_text(
        "Welcome to Corvane Therapeutics' fourth quarter call. Non-gap operating expenses fell, and our "
        "gross margin on royalties held.\n\nThe trial enrolled its first patients.")
    hot = call_glossary(vendor, ["earnings"], None).hotwords()
    assert "gross margin" in hot and "non-GAAP" in hot  # spelled, or in a listed confusion ("non-gap")
    assert not {"IaaS", "DeepSeek", "CDN", "GPU"} & set(hot)  # a cloud company's words on a biotech call
    assert {"IaaS", "DeepSeek"} <= set(call_glossary(vendor, ["earnings"], None).terms)  # still candidates to score


def test_suspect_segments_confirm_the_vendor_but_never_change_it():
    closing = seg("That concludes today's call. Thank you for joining, you may now disconnect.", 10.0)
    closing.suspect, closing.suspect_reason = True, "low_confidence"
    wrong = seg("Our gross margin was twenty percent.", 20.0)
    wrong.suspect, wrong.suspect_reason = True, "low_confidence"
    asr = Transcript(segments=[seg("Good day and welcome to the second quarter call of Ostara Energy.", 0.0), closing, wrong])
    vendor = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy.\n\n"
                               "That concludes today's call. Thank you for joining, you may now disconnect.\n\n"
                               "Our growth margin was twenty percent.")
    out = align_call(asr, vendor, CFG)
    # the closing line is heard (weakly): no deletion is proposed for it
    assert not [e for e in out.edits if e.paragraph == 1 and e.decision != "kept"]
    assert all(k.matched for k in out.paragraphs[1].tokens)
    # a made-up-looking segment cannot apply a change, even a glossary one
    assert not [e for e in out.edits if e.decision == "applied"]


def test_doubted_mandarin_does_not_make_english_a_machine_translation():
    zh = seg("每一段时间都变得太多了", 10.0, lang="zh", step=0.3)
    zh.suspect, zh.suspect_reason = True, "low_confidence"
    asr = Transcript(segments=[seg("Good day and welcome to the second quarter call of Ostara Energy.", 0.0), zh])
    vendor = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy.\n\n"
                               "Sure, Tom. Churn in small business was in line with last year and pricing held.")
    out = align_call(asr, vendor, CFG)
    assert "machine_translation" not in out.paragraphs[1].flags
    # nor inside a paragraph the English partly matches
    mixed = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy. Sure, Tom. "
                              "Churn in small business was in line with last year and pricing held.")
    out = align_call(asr, mixed, CFG)
    assert "machine_translation" not in out.paragraphs[0].flags and not [e for e in out.edits if e.kind == "resource"]
    zh.suspect = False  # the same Mandarin, heard with confidence: the English is flagged
    for w in zh.words:
        w.probability = 0.8
    out = align_call(Transcript(segments=[asr.segments[0], zh]), vendor, CFG)
    assert "machine_translation" in out.paragraphs[1].flags


def test_mostly_suspect_mandarin_with_a_sure_tail_is_still_doubted():
    # a looped phrase flagged made-up, then a sure "好吗" the loop ended on: no source for a translation
    loop = seg("我们请您的保护者好吗我们请您的保护者", 10.0, lang="zh", step=0.2)
    loop.suspect, loop.suspect_reason = True, "loop"
    tail = seg("好吗", 14.0, lang="zh", step=0.2)
    for w in tail.words:
        w.probability = 0.95
    asr = Transcript(segments=[seg("Good day and welcome to the second quarter call of Ostara Energy.", 0.0), loop, tail])
    vendor = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy.\n\n"
                               "Our next question comes from Marisol Quintero with Wolfe Research.")
    out = align_call(asr, vendor, CFG)
    assert "machine_translation" not in out.paragraphs[1].flags and not [e for e in out.edits if e.kind == "resource"]


def test_mandarin_after_an_interpreters_last_words_does_not_make_the_paragraph_a_translation():
    # the interpreter's paragraph is heard in English; the CEO's next Mandarin follows its last words
    interp = ("Purchase restrictions which did the most to hold back housing transactions have also become "
              "a thorn in the side of local governments.")
    asr = Transcript(segments=[seg("Good day and welcome to the second quarter call of Ostara Energy.", 0.0),
                               seg(interp.replace("local governments.", "government."), 6.0),
                               seg("自六月底呼和浩特市率先宣布取消限购后", 16.0, lang="zh", step=0.3),
                               seg("Since the end of June when Hohhot became the first city to lift its purchase "
                                   "restrictions others followed.", 23.0)])
    vendor = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy.\n\n" + interp + "\n\n"
                               "Since the end of June when Hohhot became the first city to lift its purchase "
                               "restrictions others followed.")
    out = align_call(asr, vendor, CFG)
    assert "machine_translation" not in out.paragraphs[1].flags and not [e for e in out.edits if e.kind == "resource"]


def test_mandarin_two_neighbouring_paragraphs_claim_is_shared_out_at_a_pause():
    from callfix.align.timing import share_out
    from callfix.model import Word

    words = [Word("字", i * 0.3, i * 0.3 + 0.25, 0.9, "zh") for i in range(10)] + \
            [Word("字", 5 + i * 0.3, 5 + i * 0.3 + 0.25, 0.9, "zh") for i in range(10)]
    both = list(range(20))
    assert share_out({3: both, 4: both}, words, {3: 30, 4: 30}) == {3: list(range(10)), 4: list(range(10, 20))}
    assert share_out({3: [0, 1, 2], 5: [5, 6]}, words, {}) == {3: [0, 1, 2], 5: [5, 6]}  # nothing shared
    shared = share_out({3: both, 4: both, 7: [1]}, words, {3: 10, 4: 30})
    assert all(set(shared[pi]) <= set(c) for pi, c in {3: both, 4: both, 7: [1]}.items())  # only words it claimed
    assert not set(shared[3]) & set(shared[4])


def test_mandarin_without_a_chinese_character_makes_no_machine_translation():
    # Whisper decoded an English turn as "Mandarin" digits: a decoding failure, not Mandarin speech
    from callfix.model import Segment, Word

    junk = [Word(w, 10.0 + 0.6 * i, 10.4 + 0.6 * i, 0.7, "zh") for i, w in enumerate("3- 4- 3- 4- 4- 4- 3- 4-".split())]
    asr = Transcript(segments=[seg("Good day and welcome to the second quarter call of Ostara Energy.", 0.0),
                               Segment("3- 4-", 10.0, 15.0, "zh", junk)])
    vendor = parse_vendor_text("Good day and welcome to the second quarter call of Ostara Energy.\n\n"
                               "Sure, Tom. Churn in small business was in line with last year and pricing held.")
    out = align_call(asr, vendor, CFG)
    assert "machine_translation" not in out.paragraphs[1].flags and not [e for e in out.edits if e.kind == "resource"]
    assert out.paragraphs[1].corrected == out.paragraphs[1].text
    # nor under a few words of a paragraph the English otherwise matches
    words = "Sure, Tom. Churn in small business was in line with last year and pricing held.".split()
    asr = Transcript(segments=[seg(" ".join(words[:-3]), 0.0), Segment("3- 4-", 6.0, 11.0, "zh", junk[:4])])
    out = align_call(asr, parse_vendor_text(" ".join(words)), CFG)
    assert not [e for e in out.edits if e.kind == "resource"] and "machine_translation" not in out.paragraphs[0].flags


def test_a_few_chinese_characters_made_up_over_an_english_line_make_no_machine_translation():
    # Whisper wrote "有些人" in 0.8 s of a noisy phone line, under the end of an English answer
    from callfix.model import Segment, Word

    made_up = [Word(w, 6.0 + 0.26 * i, 6.26 + 0.26 * i, 0.3, "zh") for i, w in enumerate("有 些 人".split())]
    words = "Sure, Tom. Churn in small business was in line with last year and pricing held.".split()
    asr = Transcript(segments=[seg(" ".join(words[:-3]), 0.0), Segment("有些人", 6.0, 6.8, "zh", made_up)])
    out = align_call(asr, parse_vendor_text(" ".join(words)), CFG)
    assert not [e for e in out.edits if e.kind == "resource"] and "machine_translation" not in out.paragraphs[0].flags
    # the same characters spoken over 3 s are Mandarin speech: under a paragraph the ASR does not
    # hear in English, it is that paragraph's source
    intro = "Good day and welcome to the second quarter call of Ostara Energy."
    for i, w in enumerate(made_up):
        w.start, w.end = 8.0 + 1.2 * i, 9.0 + 1.2 * i
    asr = Transcript(segments=[seg(intro, 0.0), seg(" ".join(words[:3]), 6.0), Segment("有些人", 8.0, 11.4, "zh", made_up)])
    out = align_call(asr, parse_vendor_text(intro + "\n\n" + " ".join(words)), CFG)
    assert [e for e in out.edits if e.kind == "resource"]
    # under the last words of a paragraph heard in English it is not (the next turn's Mandarin)
    for i, w in enumerate(made_up):
        w.start, w.end = 6.0 + 1.2 * i, 7.0 + 1.2 * i
    asr = Transcript(segments=[seg(" ".join(words[:-3]), 0.0), Segment("有些人", 6.0, 9.4, "zh", made_up)])
    out = align_call(asr, parse_vendor_text(" ".join(words)), CFG)
    assert not [e for e in out.edits if e.kind == "resource"]


def _stray_line_deleted(first: str, heard: str, t0: float) -> bool:
    """Whether the stray line after vendor paragraph ``first`` is deleted where the ASR reads ``heard``
    for it and the next turn starts at ``t0``."""
    from callfix.model import Transcript

    asr = Transcript(segments=[seg(heard, 0.0),
                               seg("Thank you. Jane, can you explain the drop in fraud losses this quarter?", t0)])
    vendor = parse_vendor_text(f"{first}\n\nPlease continue to hold. Your call is important to us.\n\n"
                               "Thank you. Jane, can you explain the drop in fraud losses this quarter?")
    out = align_call(asr, vendor, CFG)
    return any(e.paragraph == 1 and e.kind == "delete" and e.decision == "applied" and "not in the audio" in e.reason
               for e in out.edits)


def test_a_stray_line_after_a_respelled_word_is_deleted_and_a_garbled_turn_is_not():
    from callfix.model import Transcript

    # the ASR respells the last vendor word before the stray line: that word is its paragraph's own
    first = "Our next question comes from Ruth Adeyemi with Key Bank."
    assert _stray_line_deleted(first, "Our next question comes from Ruth Adeyemi with KeyBanc.", 4.0)
    # a reading word for word, however unlike, is its paragraph's own too; the time its words take
    # is not time the stray line could have been said in (2.7 s between the flanks, 2.1 s of it pauses)
    assert _stray_line_deleted(first, "Our next question comes from Ruth Adeyemi with the team.", 5.8)
    assert not _stray_line_deleted(first, "Our next question comes from Ruth Adeyemi with the team.", 8.0)
    vendor = parse_vendor_text(f"{first}\n\nPlease continue to hold. Your call is important to us.\n\n"
                               "Thank you. Jane, can you explain the drop in fraud losses this quarter?")
    # the same line really said, heard as garbled words beside a neighbour's: no deletion is applied
    asr = Transcript(segments=[seg("Our next question comes from Ruth Adeyemi with KeyBanc.", 0.0),
                               seg("Lease send you two old more calls in porch and two ass.", 3.8),
                               seg("Thank you. Jane, can you explain the drop in fraud losses this quarter?", 8.2)])
    out = align_call(asr, vendor, CFG)
    assert not [e for e in out.edits if e.paragraph == 1 and e.kind == "delete" and e.decision == "applied"]


def test_a_split_word_whose_second_half_matched_is_weighed_whole():
    from callfix.align.verify import vendor_candidates
    from callfix.options import VerifyOptions

    # the ASR heard only "change" of the vendor's "inter change": the join is a wording to weigh
    v = parse_vendor_text("Our net inter change revenue grew this quarter.")
    out = align_call(Transcript(segments=[seg("Our net change revenue grew this quarter.")]), v, CFG)
    (e,) = out.edits
    assert (e.kind, e.vendor) == ("replace", "inter change")
    found = vendor_candidates(e.vendor, "change", ["change"], e.kind, VerifyOptions(), load_glossaries([]))
    assert any(c.kind == "merge" and c.text == "interchange" for c in found)
    # a vendor word that makes no word with its matched neighbour stays alone
    out = align_call(Transcript(segments=[seg("Our net pay revenue grew this quarter.")]),
                     parse_vendor_text("Our net inter revenue grew this quarter."), CFG)
    assert [e.vendor for e in out.edits] == ["inter"]


def test_a_capital_the_asr_gives_mid_sentence_is_kept_a_sentence_start_is_not():
    vendor = parse_vendor_text("Our mines in northern chilly, produced more copper. thank you all for joining.\n",
                               name="vendor.txt")
    ev = Transcript(segments=[seg("Our mines in northern Chile, produced more copper."),
                              seg("Thank you all for joining.", t0=10)], duration=14.0, languages=["en"])
    e = _by_vendor(align_call(ev, vendor, CFG))
    assert e["chilly"].replacement == "Chile,"  # a name, not the vendor's lower case
    said = [Word("Chile", 0, 1)]
    assert replacement_text([Token("chilly,", 0)], said, load_glossaries([]), asr_mid_sentence=False) == "chile,"


def test_a_capital_the_asr_gives_a_word_the_vendor_writes_in_lower_case_is_not_kept():
    vendor = parse_vendor_text("Our customs brokerage grew. We filed more customers entries for clients.\n",
                               name="vendor.txt")
    ev = Transcript(segments=[seg("Our customs brokerage grew. We filed more Customs entries for clients.")],
                    duration=8.0, languages=["en"])
    e = _by_vendor(align_call(ev, vendor, CFG))
    assert e["customers"].replacement == "customs"  # the vendor's own style of the word, not Whisper's capital
