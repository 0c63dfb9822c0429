"""Names the vendor and the ASR spell alike, against a trusted spelling that sounds the same."""
from callfix.align.glossary import Glossary
from callfix.align.respell import name_words, respelling
from callfix.align.verdict import VENDOR, ASR, Stretch, Window, decide
from callfix.model import Edit
from callfix.options import AlignOptions, VerifyOptions

GL = Glossary(names=["Nina Albrecht", "Jane Whitaker"], terms=["Quayline Payments", "KeyBanc"])


def test_a_name_spelled_otherwise_with_the_same_sounds_takes_the_trusted_spelling():
    assert respelling("Keyline", name_words(GL)) == "Quayline"
    assert respelling("Keyline's,", name_words(GL)) == "Quayline's,"
    assert respelling("Whitacre.", name_words(GL)) == "Whitaker."


def test_words_that_are_not_respelled():
    assert respelling("Quayline", name_words(GL)) is None  # already the trusted spelling
    assert respelling("keyline", name_words(GL)) is None  # not a name
    assert respelling("Albreckt", name_words(GL)) is None  # sounds otherwise
    assert respelling("Water", name_words(Glossary(names=["Walter Smith"]))) is None  # a common word, not a name
    assert respelling("Guanggu", name_words(Glossary(names=["Gong"]))) is None  # one key, unlike names


def _respelled(scores: tuple[float, float]) -> Edit:
    e = Edit(id="e", paragraph=0, kind="replace", vendor="Keyline", replacement="Quayline", decision="suggested",
             evidence={"glossary": {"term": "Quayline", "respelled": True}})
    st = Stretch(e, 0, 1, {VENDOR: "Keyline", ASR: "Keyline", "spelling:Quayline": "Quayline"})
    st.scores = {VENDOR: scores[0], ASR: scores[0], "spelling:Quayline": scores[1]}
    decide(st, Window(0, 5, 0, 1, [st]), VerifyOptions(), AlignOptions())
    return e


def test_the_audio_keeps_the_vendor_spelling_only_on_a_clear_margin():
    assert _respelled((-4.3, -5.5)).decision == "applied"  # the decoder's own spelling by 1.2 nats: no evidence
    assert _respelled((-4.3, -12.0)).decision == "kept"


def test_a_matched_name_becomes_an_edit_the_audio_weighs():
    from align_fixtures import seg

    from callfix.align import align_call
    from callfix.align.callglossary import call_glossary
    from callfix.config import load_config
    from callfix.io.vendor import parse_vendor_text
    from callfix.model import Transcript

    text = "Welcome to the Keyline Payments second quarter call. Keyline grew volume again this quarter."
    vendor = parse_vendor_text(text + "\n")
    ev = Transcript(segments=[seg(text)], duration=20.0, languages=["en"])
    gl = call_glossary(vendor, ["earnings"], [{"name": "Nina Albrecht", "organization": "Quayline Payments"}])
    out = align_call(ev, vendor, load_config(), glossary=gl)
    got = [e for e in out.edits if (e.evidence.get("glossary") or {}).get("respelled")]
    assert [(e.vendor, e.replacement) for e in got] == [("Keyline", "Quayline")] * 2
    assert all(e.decision == "suggested" for e in got)  # without the audio, the editor decides
