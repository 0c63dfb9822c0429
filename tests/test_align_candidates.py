"""Wordings one change from the vendor's (pure logic), and how the audio's margin decides them."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callfix.align.candidates import core, merges, number_candidates, number_forms, parts, respaced, spellings
from callfix.options import AlignOptions, VerifyOptions
from callfix.align.evidence import number_relation
from callfix.align.glossary import Glossary, load_glossaries, merged
from callfix.align.verdict import ASR, VENDOR, Stretch, Window, decide, name_like, trim_to_change
from callfix.align.verify import trusted_words, vendor_candidates
from callfix.model import Edit


def test_two_vendor_words_are_joined_only_into_a_word():
    assert [c.text for c in merges("we have the run way to reach data")] == ["we have the runway to reach data"]
    assert [c.text for c in merges("a new bio marker,")] == ["a new biomarker,"]
    assert merges("our partner in France") == []  # "inFrance" is no word: a homophone, not a split
    assert merges("the end. Point") == []  # punctuation between them: two words
    # a small word begins a rare compound ("byproduct", "offtake"), never an everyday one or a phrase
    assert [c.text for c in merges("net of by product credits")] == ["net of byproduct credits"]
    assert [c.text for c in merges("the off take agreement")] == ["the offtake agreement"]
    assert merges("over all of it") == merges("so far this year") == merges("a new plan") == []


def test_number_forms_undo_one_typists_slip():
    forms = {f for f, _ in number_forms("64%")}
    assert {"46%", "6.4%"} <= forms
    assert "2025" in {f for f, _ in number_forms("205")}
    assert "21" in {f for f, _ in number_forms("2.1")}
    # the forms the ASR's reading holds come first
    assert number_candidates("up 64% from", "about 46% so")[0].text == "up 46% from"
    assert number_relation("64%", "46%") == "two digits swapped"
    assert number_relation("205", "2025") == "one digit dropped"
    assert number_relation("21", "2.1") == "a decimal point differs"
    assert number_relation("40", "14") is None and number_relation("600", "500") is None
    # thousands: the digits said first swap, the vendor's separators stay
    assert {f for f, _ in number_forms("84,000")} == {"48,000"}
    assert {f for f, _ in number_forms("$235,000,")} == {"$325,000,", "$253,000,"}
    assert number_forms("10,500") == [] and number_forms("1,250,000") == []


def test_one_piece_of_the_asrs_reading_at_a_time():
    texts = [c.text for c in parts("Piper Sander.", ["Pike", "or", "Sandler."])]
    assert "Piper Sandler." in texts and "Pike or Sander." in texts
    # the ASR's letters with the vendor's spacing: "cashflow" under "cash slow" is "cash flow"
    assert "Operating cash flow was" in [c.text for c in parts("Operating cash slow was", ["Aparaching", "cashflow", "is"])]
    assert respaced("cash slow", "cashflow") == "cash flow" and respaced("cash", "cashflow") is None
    assert respaced("high those", "high-dose") == "high dose" and respaced("high those reached", "high-dose") is None
    assert "high dose reached" in [c.text for c in parts("high those reached", ["high-dose", "reach"])]
    assert parts("attention", ["retention"]) == []  # one piece: that is the ASR's reading itself


def test_a_run_of_vendor_words_in_a_trusted_spelling():
    got = spellings("Morgan Stan Lee. Your line is", ["Morgan Stanley", "Evercore"])
    assert [c.text for c in got] == ["Morgan Stanley. Your line is"]
    # a name's run starts and ends with capitalised words: "are" is not swallowed
    assert [c.text for c in spellings("are Thomas Brendan,", ["Tomasz Brennan"])] == ["are Tomasz Brennan,"]
    assert spellings("Morgan Stanley", ["Morgan Stanley"]) == []


@given(st.lists(st.sampled_from(["a", "b", "c", "d."]), min_size=1, max_size=6),
       st.lists(st.sampled_from(["a", "b", "x", "d."]), min_size=1, max_size=6))
def test_core_drops_only_shared_edge_words(a, b):
    ca, cb = core(" ".join(a), " ".join(b))
    assert ca and cb
    assert f" {ca} " in f" {' '.join(a)} " and f" {cb} " in f" {' '.join(b)} "


def _candidate_stretch(vendor, asr, scores, label, gl=None, **ev):
    e = Edit(id="e", paragraph=0, kind="replace", vendor=vendor, replacement=asr, decision="suggested",
             evidence=dict(ev))
    gl = gl or load_glossaries(["earnings"])
    cands = {c.text: c for c in vendor_candidates(vendor, asr, asr.split(), "replace", VerifyOptions(), gl)}
    wordings = {VENDOR: vendor, ASR: asr}
    s = Stretch(e, 0, len(asr.split()), wordings, trusted_words=trusted_words(gl),
                probs=[0.9] * len(asr.split()), name=name_like(vendor))
    for text, c in cands.items():
        key = f"{c.kind}:{text}"
        wordings[key] = text
        s.candidates[key] = c
    s.scores = {VENDOR: scores[0], ASR: scores[1]}
    if label:
        s.scores[next(k for k in wordings if k.startswith(label))] = scores[2]
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    return e


def test_a_join_needs_a_witness_margin_and_a_number_slip_a_clear_one():
    e = _candidate_stretch("the run way", "the run a", (-10.0, -11.0, -8.0), "merge:")
    assert e.decision == "applied" and e.replacement == "the runway"
    e = _candidate_stretch("up 64% from", "about 425% so", (-10.0, -9.0, -7.0), "number:")
    assert e.decision != "applied"  # 3 nats: a wrong number costs most
    e = _candidate_stretch("up 6.4% from", "about 425% so", (-10.0, -9.0, -4.0), "number:")
    assert e.decision != "applied"  # 6 nats for digits the ASR did not read: the right one may be untried
    e = _candidate_stretch("up 64% from", "about 425% so", (-10.0, -9.0, -4.0), "number:")
    assert e.decision == "applied" and e.replacement == "up 46% from"  # a swap, the commonest slip: 5 nats
    e = _candidate_stretch("up 64% from", "about 425% so", (-15.0, -9.0, -4.0), "number:")
    assert e.decision == "applied" and e.replacement == "up 46% from"
    e = _candidate_stretch("up 64% from", "about 46% so", (-10.0, -9.0, -4.0), "number:")
    assert e.decision == "applied" and e.replacement == "up 46% from"  # the ASR read these digits
    e = _candidate_stretch("the run way", "the run a", (-10.0, -11.0, -10.5), "merge:")
    assert e.decision != "applied"  # the vendor's wording fits as well: ties go to the vendor


def test_a_part_is_judged_by_what_it_changes():
    # "Sander" -> "Sandler" is a name change, vouched for by the trusted firm name Piper Sandler
    e = _candidate_stretch("Piper Sander.", "Pike or Sandler.", (-20.0, -18.0, -12.0), "part:Piper Sandler")
    assert e.decision == "applied" and e.replacement == "Piper Sandler."
    # the same margin for an untrusted name respelling stays with the editor
    e = _candidate_stretch("Piper Brendan.", "Pike or Brennan.", (-20.0, -18.0, -12.0), "part:Piper Brennan")
    assert e.decision != "applied"


def test_where_the_best_reading_is_not_allowed_the_one_change_it_supports_is_applied():
    # the ASR respells a name (only a trusted spelling may do that) but agrees on the number
    e = _candidate_stretch("Oh Stara delivered 21", "I started to deliver 2.1", (-35.8, -2.4, -26.5),
                           "number:Oh Stara delivered 2.1")
    assert e.decision == "applied" and e.replacement == "Oh Stara delivered 2.1"
    assert e.evidence["acoustic"]["applied_wording"].startswith("number:")
    # ... and only when that one change has its own margin
    e = _candidate_stretch("Oh Stara delivered 21", "I started to deliver 2.1", (-35.8, -2.4, -33.0),
                           "number:Oh Stara delivered 2.1")
    assert e.decision != "applied"


def test_a_hotword_the_decoder_hears_in_noise_is_no_witness_for_unlike_words():
    # phone audio: the ASR, prompted with the participants' firm, "hears" it over other words
    e = _candidate_stretch("fourth quarter 2025", "Corvane Therapeutics", (-25.7, -13.9, 0.0), None,
                           glossary={"term": "Corvane Therapeutics"})
    assert e.decision != "applied"
    # the same witness for a mishearing of the term is enough
    e = _candidate_stretch("Corvain Therapeutics", "Corvane Therapeutics", (-15.7, -13.9, 0.0), None,
                           glossary={"term": "Corvane Therapeutics"})
    assert e.decision == "applied"


def test_a_number_form_the_asr_did_not_read_must_be_the_one_nearest_its_digits():
    # phone audio: the ASR reads "2022's"; of the forms of "206" tried, "2026" is nearest
    e = _candidate_stretch("206", "2022's", (-27.5, -5.3, -15.2), "number:2016")
    assert e.decision != "applied"
    e = _candidate_stretch("206", "2022's", (-27.5, -5.3, -15.2), "number:2026")
    assert e.decision == "applied" and e.replacement == "2026"


def test_a_join_the_asr_writes_too_needs_only_that_the_audio_not_favour_the_split():
    [c] = merges("stable coin volumes", asr="stablecoin volumes")
    assert c.text == "stablecoin volumes" and c.heard
    assert [c.heard for c in merges("Re insurance rates", asr="reinsurance rates")] == [True]  # short first piece
    assert not any(c.heard for c in merges("a side from", asr="aside from"))  # an article: the writer's grammar
    assert not any(c.heard for c in merges("set up costs", asr="setup costs"))  # a phrasal verb's particle
    assert not any(c.heard for c in merges("may be higher", asr="maybe higher"))  # an everyday word
    assert not any(c.heard for c in merges("stable coin volumes", asr="stable coin volumes"))
    e = _candidate_stretch("stable coin volumes", "stablecoin volumes", (-10.0, -10.5, -10.5), "merge:")
    assert e.decision == "applied" and e.replacement == "stablecoin volumes"
    e = _candidate_stretch("stable coin volumes", "stablecoin volumes", (-10.0, -12.0, -12.0), "merge:")
    assert e.decision != "applied"  # the audio favours the vendor's split


def test_a_name_the_vendor_spells_otherwise_elsewhere_needs_the_audio_alone_margin():
    gl = merged(load_glossaries(["earnings"]), Glossary(candidates=["Cerro Alto"]))
    [c] = spellings("the Sierra deposit", ["Cerro"], own=True)
    assert c.own and c.text == "the Cerro deposit" and "vendor text repeats" in c.why
    e = _candidate_stretch("the Sierra deposit", "the Sierra deposit,", (-10.0, -9.5, -7.0), "spelling:", gl=gl)
    assert e.decision != "applied"  # 3 nats: not the trusted spelling's 1
    e = _candidate_stretch("the Sierra deposit", "the Sierra deposit,", (-10.0, -9.5, -4.0), "spelling:", gl=gl)
    assert e.decision == "applied" and e.replacement == "the Cerro deposit"


def test_a_phrase_the_vendor_repeats_is_not_respelled_into_one_word_it_only_sounds_like():
    assert spellings("through the Red Sea, and", ["Tessa"], names=frozenset({"Red Sea"})) == []
    assert spellings("through the Red Sea, and", ["Tessa"])  # said once: a candidate
    # a repeated phrase spelled nearly like the name is the vendor's split of it
    assert [c.text for c in spellings("in Hot Hot, we", ["Hohhot"], names=frozenset({"Hot Hot"}))] == ["in Hohhot, we"]
    # a whole trusted name (not one word of a longer one) respells the vendor's repeated split of it
    assert spellings("at Mack Quarry today", ["Macquarie"], names=frozenset({"Mack Quarry"})) == []
    assert [c.text for c in spellings("at Mack Quarry today", ["Macquarie"], names=frozenset({"Mack Quarry"}),
                                      whole=frozenset({"Macquarie"}))] == ["at Macquarie today"]
    assert spellings("through the Red Sea, and", ["Tessa"], names=frozenset({"Red Sea"}),
                     whole=frozenset({"Tessa Marlowe"})) == []
    # one word of the repeated name is never respelled alone ("Mack Kearney")
    found = spellings("Rahimi with Mack Quarry.", ["Kearney", "Macquarie"], names=frozenset({"Mack Quarry"}),
                      whole=frozenset({"Macquarie", "Declan Kearney"}))
    assert [c.text for c in found] == ["Rahimi with Macquarie."]


def test_a_glossary_term_running_on_past_the_stretch_is_kept_where_its_words_inside_are():
    gl = merged(load_glossaries(["earnings"]), Glossary(names=["Rowan Leitch"], terms=["BMO Capital Markets"]))
    e = _candidate_stretch("Rowan Leech with BMO", "Rowan Leach with B.M.O.", (-10.0, -9.0, -8.0), "spelling:",
                           gl=gl, glossary={"vendor_term": "BMO Capital Markets"})
    assert e.decision == "applied" and e.replacement == "Rowan Leitch with BMO"


def test_a_glossary_witness_vouches_for_its_own_term_only():
    e = _candidate_stretch("Stan Lee. Your line is", "Stanley You're lined up", (-20.0, -12.0, 0.0), None,
                           glossary={"term": "Morgan Stanley"})
    assert e.decision != "applied"
    # a run of words that already holds the term is not respelled into it
    assert spellings("Gross margin was 32%", ["gross margin"]) == []


def test_an_edit_covers_only_the_words_it_changes():
    text = "Our next question is from Jason Yu with Ever Core. Please go ahead."
    start = text.index("Jason")
    e = Edit(id="e", paragraph=0, kind="replace", vendor="Jason Yu with Ever Core.", replacement="Jason Yu with Evercore.",
             decision="applied", char_start=start, char_end=start + len("Jason Yu with Ever Core."))
    trim_to_change(e)
    assert (e.vendor, e.replacement) == ("Ever Core.", "Evercore.")
    assert text[e.char_start:e.char_end] == e.vendor
    e = Edit(id="e", paragraph=0, kind="replace", vendor="run way", replacement="runway", decision="applied",
             char_start=0, char_end=7)
    trim_to_change(e)
    assert (e.vendor, e.replacement, e.char_start, e.char_end) == ("run way", "runway", 0, 7)


def test_a_curated_confusion_vouches_for_unlike_words():
    # "Google Cloud" -> "Kingsoft Cloud" is listed: the audio's agreement is enough although they sound unlike
    e = _candidate_stretch("Google", "Kingsoft", (-22.0, -5.2, 0.0), None,
                           glossary={"confusion": ["Google Cloud", "Kingsoft Cloud"], "term": "Kingsoft Cloud"})
    assert e.decision == "applied"


def test_a_word_of_a_trusted_name_respells_a_run_of_vendor_words():
    from callfix.align.verify import spelling_terms

    gl = load_glossaries(["earnings"])
    gl.names, gl.terms = ["Marcus Oyelaran", "Tomasz Brennan"], [*gl.terms, "Ostara Energy"]
    terms = spelling_terms(gl)
    assert {"Oyelaran", "Ostara", "Brennan"} <= set(terms)
    assert "Fargo" not in terms and "Sachs" not in terms  # a firm counts only whole (Wells Fargo)
    assert [c.text for c in spellings("Oyo Lauren,", terms)] == ["Oyelaran,"]
    assert spellings("Oh Stara delivered 21", terms)[0].text == "Ostara delivered 21"
    # the whole name before one of its words
    assert spellings("Thomas Brendan,", terms)[0].text == "Tomasz Brennan,"


def test_a_surname_split_after_its_first_name_is_respelled_whole():
    terms = ["Samuel Achebe", "Piper Sandler"]
    # the first name sits before the stretch: the split surname may begin in lower case
    assert [c.text for c in spellings("a Chevy, our chief", terms, left="Samuel")] == ["Achebe, our chief"]
    assert spellings("a Chevy, our chief", terms) == []  # no first name beside it: no name run
    assert spellings("a Chevy, our chief", terms, left="Samuel,") == []  # a sentence break between them
    assert spellings("a Chevy, our chief", terms, left="Daniel") == []
    assert spellings("a cheap car", terms, left="Samuel") == []  # no capitalised word ends a run


def test_a_name_the_asr_reads_is_tried_in_place_of_the_vendor_run_it_nearly_sounds_like():
    terms = ["Zhang Rui", "Lanting"]
    got = spellings("Jang Ray, and", terms, asr="Zhang Rui in")
    assert [c.text for c in got] == ["Zhang Rui, and"] and got[0].near
    assert spellings("Jang Ray, and", terms) == []  # unheard, it sounds too unlike to try


def test_a_nearly_sounding_spelling_needs_the_apply_margin():
    from callfix.align.candidates import Candidate
    from callfix.align.verdict import one_change_margin

    opts = VerifyOptions()
    assert one_change_margin(Candidate("Zhang Rui, and", "spelling", "", near=True), opts) == opts.apply_margin
    assert one_change_margin(Candidate("Zhang Rui, and", "spelling", ""), opts) == opts.supported_margin
    # the ASR reads the trusted spelling too: a second witness
    (heard,) = spellings("with Ever Core.", ["Evercore"], asr="with Evercore.")
    assert heard.heard and one_change_margin(heard, opts) == opts.heard_join_margin
    (near,) = spellings("with Steeple.", ["Stifel"], asr="with Stifel.")
    assert near.heard and near.near and one_change_margin(near, opts) == opts.apply_margin
    assert not spellings("with Ever Core.", ["Evercore"], asr="with ever more.")[0].heard


def test_each_piece_of_a_reading_is_proven_or_the_reading_is_not_applied():
    # "models" -> "modules" adds 0.3 nats: unproven; what is left ("frog" -> "flawed") does not sound alike
    e = _candidate_stretch("frog models.", "flawed modules.", (-11.9, -1.86, -2.16), "part:flawed models.")
    assert e.decision != "applied" and e.evidence["acoustic"]["best"] == "part:flawed models."
    # each piece adds many nats: the reading stands
    e = _candidate_stretch("frog models.", "flawed modules.", (-11.9, -1.86, -6.0), "part:flawed models.")
    assert e.evidence["acoustic"]["best"] == "asr"


def test_a_number_the_asr_spelled_out_is_a_number_it_heard():
    from callfix.align.candidates import heard_numbers

    assert "2025" in heard_numbers("the fifth quarter, twenty-twenty-five running")
    c = number_candidates("fiscal 205 earnings", "the fifth quarter, twenty-twenty-five running", limit=3)[0]
    assert c.text == "fiscal 2025 earnings" and c.heard


def test_common_words_that_sound_like_the_vendors():
    from callfix.align.candidates import sound_alikes

    assert sound_alikes("in France service", ["emphorant", "service"])[0].text == "inference service"
    assert sound_alikes("Annual reoccurring", ["Engels", "occurring"])[0].text == "Annual recurring"
    assert "free cash flow" in [c.text for c in sound_alikes("free cash low", ["free", "cash", "flow"])]
    assert sound_alikes("Google Cloud", ["Google", "Cloud"]) == []  # names change only to trusted spellings
    texts = [c.text for c in sound_alikes("delivered the growth", ["delivered", "the", "growth"], limit=9)]
    assert not {"delivery the growth", "delivered the grow"} & set(texts)  # another form of the same word


def test_two_words_heard_run_together_as_one():
    from callfix.align.candidates import sound_alikes

    # a word boundary makes no sound: "pivot all" is heard as "pivotal", though the second word's
    # vowel puts the per-word sound keys one sound apart
    pivotal, = [c for c in sound_alikes("pivot all trial.", ["to", "the", "total", "aisle."], limit=9)
                if c.text == "pivotal trial."]
    assert not pivotal.common  # the vendor's own letters run together, one apart: not another phrase
    inference, = sound_alikes("in France service", ["emphorant", "service"], limit=1)
    assert inference.common  # a phrase read as a word, spelled otherwise, needs the common-word margin


def _sound_stretch(vendor, asr, scores, heard, p=0.9):
    from callfix.align.candidates import Candidate

    e = Edit(id="e", paragraph=0, kind="replace", vendor=vendor, replacement=asr, decision="suggested",
             evidence={"asr_probability_min": p})
    c = Candidate("inference service", "homophone", "'in France' sounds like the word 'inference'", heard=heard)
    label = ASR if heard else "homophone:inference service"
    s = Stretch(e, 0, len(asr.split()), {VENDOR: vendor, ASR: asr, label: c.text}, candidates={label: c},
                probs=[p] * len(asr.split()))
    s.scores = {VENDOR: scores[0], ASR: scores[1], label: scores[-1]}
    decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
    return e


def test_a_sound_alike_needs_a_clear_margin_half_that_where_the_asr_heard_it_clearly():
    assert _sound_stretch("in France service", "emphorant service", (-30.0, -22.0, -27.0), False).decision != "applied"
    e = _sound_stretch("in France service", "emphorant service", (-30.0, -22.0, -24.0), False)
    assert e.decision == "applied" and e.replacement == "inference service"
    e = _sound_stretch("in France service", "inference service", (-30.0, -27.0), True)
    assert e.decision == "applied" and e.replacement == "inference service"
    # an ASR unsure of its words is no second witness: the clear margin again
    assert _sound_stretch("in France service", "inference service", (-30.0, -27.0), True, p=0.3).decision != "applied"
    assert _sound_stretch("in France service", "inference service", (-30.0, -24.0), True, p=0.3).decision == "applied"


def test_two_changes_at_once_only_where_each_is_allowed_and_together_they_fit_best():
    gl = load_glossaries(["earnings"])
    gl.terms = [*gl.terms, "Ostara Energy"]
    vendor, asr = "Oh Stara delivered 21", "I started to deliver 2.1"
    cands = {f"{c.kind}:{c.text}": c for c in vendor_candidates(vendor, asr, asr.split(), "replace", VerifyOptions(), gl)}
    pair, spelled, number = "pair:Ostara delivered 2.1", "spelling:Ostara delivered 21", "number:Oh Stara delivered 2.1"
    assert {pair, spelled, number} <= set(cands)

    def run(scores):
        e = Edit(id="e", paragraph=0, kind="replace", vendor=vendor, replacement=asr, decision="suggested",
                 evidence={"asr_probability_min": 0.9})
        s = Stretch(e, 0, 5, {VENDOR: vendor, ASR: asr, **{k: c.text for k, c in cands.items()}}, candidates=dict(cands),
                    probs=[0.9] * 5, name=True, trusted_words=frozenset({"ostara"}))
        s.scores = {VENDOR: -35.0, ASR: -2.0, **{k: -60.0 for k in cands}, **scores}
        decide(s, Window(0, 5, 0, 1, [s]), VerifyOptions(), AlignOptions())
        return e

    e = run({pair: -20.0, spelled: -30.0, number: -25.0})
    assert e.decision == "applied" and e.replacement == "Ostara delivered 2.1"
    e = run({pair: -20.0, spelled: -34.5, number: -25.0})  # the name alone has no margin: the number only
    assert e.decision == "applied" and e.replacement == "Oh Stara delivered 2.1"


def test_a_bare_number_the_asr_heard_is_written_in_the_vendors_form():
    e = _candidate_stretch("32%,", "23", (-12.8, -0.1, -4.7), "number:23%")
    assert e.decision == "applied" and e.replacement == "23%,"


def test_a_code_or_an_acronym_is_no_misheard_name():
    assert spellings("lead program, CRV-201, met its", ["Corvane", "Corvane Therapeutics"]) == []


def test_a_common_word_for_another_needs_more_than_a_misspelling_does():
    from callfix.align.candidates import sound_alikes

    (gross, *_), (tariffs, *_) = sound_alikes("cross border", ["gross", "partner"]), sound_alikes("terrifs.", ["tariffs"])
    assert gross.text == "gross border" and gross.common and tariffs.text == "tariffs." and not tariffs.common
    from callfix.align.verdict import one_change_margin

    opts = VerifyOptions()
    assert one_change_margin(gross, opts) > one_change_margin(tariffs, opts) == opts.apply_margin


def test_spellings_join_a_trusted_name_split_in_two():
    # the run's letters are the name's, cut elsewhere: that is the vendor's error, not the name
    assert [c.text for c in spellings("Pell Amy grew net", ["Pellamy Mutual", "Pellamy"])] == ["Pellamy grew net"]
    assert [c.text for c in spellings("Ver Brook shipped", ["Verbrook"])] == ["Verbrook shipped"]
    assert spellings("Verbrook shipped", ["Verbrook"]) == []  # already spelled so
    assert spellings("Morgan Stanley, thanks", ["Morgan Stanley"]) == []


def test_sound_alikes_never_change_an_amount():
    from callfix.align.candidates import sound_alikes

    assert not any("billion" in c.text for c in sound_alikes("166 million,", ["166", "billion"], limit=9))
    assert not any("fifty" in c.text for c in sound_alikes("fifteen stores", ["fifty", "stores"], limit=9))


def test_sound_alikes_never_drop_or_add_a_prefix():
    from callfix.align.candidates import sound_alikes

    # on phone audio the first syllable goes missing: "purchased" is another word, not a typist's homophone
    assert not any(c.text.startswith("purchased") for c in sound_alikes("repurchased shares", ["purchased"], limit=9))
    assert any(c.text == "retention rate" for c in sound_alikes("attention rate", ["retention"], limit=9))


def test_sound_alikes_respell_each_vendor_word_before_a_second_reading_of_one():
    from callfix.align.candidates import changed_run, sound_alikes

    got = sound_alikes("operating cash slow was", ["operating", "tastor", "was"], limit=2)
    assert len({changed_run("operating cash slow was", c.text)[0] for c in got}) == 2


def test_a_word_boundary_moved_is_a_difference_not_style():
    from callfix.align.wording import same_when_normalised

    # "run way ... into" heard "runway ... in to": as many words, the boundaries elsewhere
    assert not same_when_normalised("run way extends into", "runway extends in to")
    assert not same_when_normalised("run way", "runway")
    assert same_when_normalised("Non GAAP", "non-GAAP")  # a hyphen is style
    assert same_when_normalised("Cash flow", "cash flow")


def test_two_trusted_spellings_in_one_stretch_make_a_pair_two_of_another_kind_do_not():
    from callfix.align.candidates import Candidate, pairs

    vendor = "Joining me are Omar Castle Lanos, our chief executive officer, and Jane Whitacre,"
    found = spellings(vendor, ["Omar Castellanos", "Jane Whitaker"])
    assert [c.kind for c in found] == ["spelling", "spelling"]
    (both,) = pairs(vendor, found)
    assert both.text == "Joining me are Omar Castellanos, our chief executive officer, and Jane Whitaker,"
    sounds = [Candidate("a head wind", "homophone", ""), Candidate("ahead wind", "homophone", "")]
    assert pairs("a head when", sounds) == []


def test_zeros_ending_both_numbers_say_nothing_of_their_likeness():
    from callfix.align.evidence import number_evidence

    assert number_evidence(["84000"], ["8000"])["digit_similarity"] < 0.75  # 84 and 8: unlike
    assert number_evidence(["48000"], ["48000"])["digit_similarity"] == 1.0
    assert number_evidence(["205"], ["2025"])["digit_similarity"] >= 0.75
