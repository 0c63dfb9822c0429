"""Fast tests of diarization logic: RTTM, speaker → word assignment, speaker naming."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from callfix.diarize import assign_speakers, exclusive_turns, name_speakers
from callfix.io.rttm import format_rttm, parse_rttm, read_rttm, write_rttm
from callfix.errors import InputError
from callfix.model import Paragraph, Segment, Token, Transcript, Turn, Word

# ---------------------------------------------------------------- RTTM


def test_rttm_round_trip(tmp_path):
    turns = [Turn("SPEAKER_01", 3.5, 4.25), Turn("SPEAKER_00", 0.0, 2.0), Turn("SPEAKER_00", 3.9, 5.0)]
    p = write_rttm(tmp_path / "a.rttm", turns, uri="my call")
    back = read_rttm(p)
    assert list(back) == ["my_call"]
    assert [(t.speaker, t.start, t.end) for t in back["my_call"]] == [
        ("SPEAKER_00", 0.0, 2.0), ("SPEAKER_01", 3.5, 4.25), ("SPEAKER_00", 3.9, 5.0)]


def test_rttm_skips_comments_and_other_types():
    text = ";; comment\nSPKR-INFO x 1 <NA> <NA> <NA> unknown A <NA> <NA>\nSPEAKER x 1 1.0 2.0 <NA> <NA> A <NA> <NA>\n"
    assert [(t.start, t.end) for t in parse_rttm(text)["x"]] == [(1.0, 3.0)]


@pytest.mark.parametrize("line", ["SPEAKER x 1 a 2.0 <NA> <NA> A", "SPEAKER x 1 1.0", "SPEAKER x 1 1.0 -2 <NA> <NA> A"])
def test_rttm_bad_lines_name_the_line(line):
    with pytest.raises(InputError, match="line 1"):
        parse_rttm(line, "f.rttm")


def test_rttm_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_rttm(tmp_path / "nope.rttm")


def test_rttm_drops_empty_turns():
    assert format_rttm([Turn("A", 1.0, 1.0)]) == ""


# ---------------------------------------------------------------- exclusive turns + assignment

turn_st = st.builds(
    lambda spk, start, dur: Turn(spk, round(start, 2), round(start + dur, 2)),
    st.sampled_from(["A", "B", "C"]), st.floats(0, 60), st.floats(0.01, 15),
)


def _union(turns):
    spans = sorted((t.start, t.end) for t in turns if t.end > t.start)
    out = []
    for a, b in spans:
        if out and a <= out[-1][1] + 1e-9:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [tuple(x) for x in out]


@settings(max_examples=150, deadline=None)
@given(st.lists(turn_st, max_size=12))
def test_exclusive_turns_do_not_overlap_and_cover_the_same_speech(turns):
    ex = exclusive_turns(turns)
    for a, b in zip(ex, ex[1:]):
        assert a.end <= b.start + 1e-9
        assert not (a.speaker == b.speaker and abs(a.end - b.start) < 1e-9)  # merged
    flat = lambda spans: [x for span in spans for x in span]  # noqa: E731
    assert flat(_union(ex)) == pytest.approx(flat(_union(turns)))
    # every exclusive piece belongs to a speaker who really speaks there
    for e in ex:
        mid = (e.start + e.end) / 2
        assert any(t.speaker == e.speaker and t.start <= mid <= t.end for t in turns)


def test_overlap_goes_to_the_longer_turn():
    ex = exclusive_turns([Turn("A", 0, 10), Turn("B", 4, 5), Turn("B", 9, 12)])
    assert [(t.speaker, t.start, t.end) for t in ex] == [("A", 0, 10), ("B", 10, 12)]


words_st = st.lists(st.tuples(st.floats(0, 80), st.floats(0, 2)), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.lists(turn_st, min_size=1, max_size=10), words_st)
@example([Turn("A", 0.25, 2.25), Turn("B", 0.0, 1.0), Turn("B", 1.0, 4.0)], [(0.0, 1.5)])  # time held tied
@example([Turn("B", 0.0, 1.0), Turn("A", 1.0, 2.2), Turn("B", 2.2, 3.0)], [(0.0, 3.0)])  # held split over turns
def test_every_word_gets_exactly_one_known_speaker(turns, spans):
    words = [Word(f"w{i}", round(s, 2), round(s + d, 2)) for i, (s, d) in enumerate(sorted(spans))]
    t = Transcript(segments=[Segment("x", words[0].start, words[-1].end, words=words)], turns=turns)
    assign_speakers(t)
    known = {x.speaker for x in turns}
    assert all(w.speaker in known for w in t.words)
    assert t.segments[0].speaker in {w.speaker for w in words}


@settings(max_examples=100, deadline=None)
@given(st.lists(turn_st, min_size=1, max_size=8), words_st)
def test_word_inside_a_single_speaker_span_gets_that_speaker(turns, spans):
    ex = exclusive_turns(turns)
    words = []
    for s, d in spans:
        for e in ex:
            if e.start <= s and s + d * 0.01 <= e.end:
                words.append((Word("w", s, min(e.end, s + d * 0.01)), e.speaker))
                break
    if not words:
        return
    t = Transcript(segments=[Segment("x", 0, 1, words=[w for w, _ in words])], turns=turns)
    assign_speakers(t)
    for w, spk in words:
        if w.end > w.start:
            assert w.speaker == spk


def test_word_in_a_gap_takes_the_nearest_turn():
    t = Transcript(
        segments=[Segment("a b c", 0, 20, words=[Word("a", 2.2, 2.4), Word("b", 7.6, 7.8), Word("c", 30, 31)])],
        turns=[Turn("A", 0, 2), Turn("B", 8, 10)],
    )
    assign_speakers(t)
    assert [w.speaker for w in t.words] == ["A", "B", "B"]


def test_segment_speaker_is_majority_of_its_words():
    words = [Word("a", 0, 1), Word("b", 1, 2), Word("c", 2, 3)]
    t = Transcript(segments=[Segment("a b c", 0, 3, words=words)], turns=[Turn("A", 0, 0.9), Turn("B", 1.1, 3)])
    assign_speakers(t)
    assert [w.speaker for w in words] == ["A", "B", "B"] and t.segments[0].speaker == "B"


def test_no_turns_leaves_words_unlabelled():
    t = Transcript(segments=[Segment("a", 0, 1, words=[Word("a", 0, 1)])])
    assign_speakers(t)
    assert t.words[0].speaker is None


# ---------------------------------------------------------------- naming


def _call(lines: list[tuple[str, str]]) -> Transcript:
    segs, turns, t0 = [], [], 0.0
    for spk, text in lines:
        ws = []
        for tok in text.split():
            ws.append(Word(tok, t0, t0 + 0.3))
            t0 += 0.35
        segs.append(Segment(text, ws[0].start, ws[-1].end, words=ws))
        turns.append(Turn(spk, ws[0].start, ws[-1].end))
        t0 += 0.6
    t = Transcript(segments=segs, turns=turns)
    assign_speakers(t)
    return t


EARNINGS = [
    ("S0", "Good day and thank you for standing by. Welcome to the fourth quarter 2024 earnings conference call."),
    ("S1", "Thank you, operator. Hello everyone. I will now pass the call to our CEO, Mr. Zou Tao."),
    ("S2", "Thank you. Hello everyone, I'm Zou Tao, CEO of Kingsoft Cloud. Revenue grew thirty percent."),
    ("S2", "Next, I will pass the call to our CFO, Henry."),
    ("S3", "Thank you. This is Henry. Total revenues were two point two billion."),
    ("S0", "We will now begin the question-and-answer session. Our next question comes from the line of "
           "Brian Gong from Citi. Please go ahead. Your line is open."),
    ("S4", "Thank you for taking my question. Could you talk about capital expenditure?"),
    ("S3", "Sure."),
    ("S0", "Thank you. Our next question comes from Timothy Zhao with Goldman Sachs."),
    ("S5", "Hi, thanks management. Congratulations on the quarter."),
]


def _by_id(speakers):
    return {s.id: s for s in speakers}


def test_names_roles_and_operator_from_speech_cues():
    t = _call(EARNINGS)
    sp = _by_id(name_speakers(t))
    assert (sp["S0"].name, sp["S0"].role) == ("Operator", "Operator")
    assert sp["S1"].name is None  # the IR host never says who they are
    assert (sp["S2"].name, sp["S2"].role, sp["S2"].organization) == ("Zou Tao", "CEO", "Kingsoft Cloud")
    assert (sp["S3"].name, sp["S3"].role) == ("Henry", "CFO")
    assert (sp["S4"].name, sp["S4"].organization) == ("Brian Gong", "Citi")
    assert (sp["S5"].name, sp["S5"].organization) == ("Timothy Zhao", "Goldman Sachs")
    assert any("Brian Gong" in e for e in sp["S4"].evidence)
    assert t.speakers == list(sp.values())


def test_participant_list_resolves_short_and_misheard_names():
    t = _call(EARNINGS[:5] + [("S0", "Our next question comes from the line of Brian Gung from Citi.")] + EARNINGS[6:7])
    people = [
        {"name": "Henry He", "role": "CFO", "organization": "Kingsoft Cloud"},
        {"name": "Zou Tao", "role": "Vice Chairman and CEO", "organization": "Kingsoft Cloud", "aliases": ["Mr. Zou"]},
        {"name": "Brian Gong", "role": "Analyst", "organization": "Citigroup"},
    ]
    sp = _by_id(name_speakers(t, people))
    assert (sp["S3"].name, sp["S3"].organization) == ("Henry He", "Kingsoft Cloud")
    assert sp["S2"].role == "Vice Chairman and CEO"
    assert (sp["S4"].name, sp["S4"].organization) == ("Brian Gong", "Citigroup")
    assert any("matches participant" in e for e in sp["S3"].evidence)


def test_without_cues_clusters_stay_anonymous():
    t = _call([("A", "So revenue went up this quarter."), ("B", "That is great news, thank you."),
               ("A", "This is a strong result for the Company.")])
    assert [(s.id, s.name) for s in name_speakers(t)] == [("A", None), ("B", None)]


def test_sentence_boundaries_do_not_extend_names():
    t = _call([("A", "Hello. This is Henry. Total revenue grew."), ("B", "Thanks. I'm Anna. From our side, fine.")])
    sp = _by_id(name_speakers(t))
    assert sp["A"].name == "Henry" and sp["B"].name == "Anna" and sp["B"].organization is None


def test_a_handover_verb_is_a_whole_word():
    # "return to the Red Sea" holds "turn ... to" inside a word: no hand-over, no speaker named "Red Sea"
    t = _call([("A", "Once carriers return to the Red Sea, capacity rises."), ("B", "Thanks. Rates fell.")])
    sp = _by_id(name_speakers(t))
    assert sp["A"].name is None and sp["B"].name is None


def test_a_name_goes_to_one_cluster_only():
    t = _call([("A", "Hi, I'm Henry."), ("B", "Hello, this is Henry.")] + [("A", "I'm Henry, CFO of the firm.")])
    sp = _by_id(name_speakers(t))
    assert sp["A"].name == "Henry" and sp["B"].name is None


def test_names_come_from_vendor_paragraphs_too():
    t = Transcript(turns=[Turn("SPEAKER_00", 0, 5), Turn("SPEAKER_01", 5, 10)])
    text = "Our next question comes from the line of Alicia Yap from Citigroup."
    toks = [Token(w, 0, speaker="SPEAKER_00") for w in text.split()]
    t.paragraphs = [
        Paragraph(0, text, tokens=toks, speakers=["SPEAKER_00"]),
        Paragraph(1, "Thank you for taking my question.", speakers=["SPEAKER_01"]),
    ]
    sp = _by_id(name_speakers(t))
    assert (sp["SPEAKER_01"].name, sp["SPEAKER_01"].organization) == ("Alicia Yap", "Citigroup")
    assert sp["SPEAKER_00"].role == "Operator"


name_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8).map(str.capitalize)
filler = st.sampled_from(["so", "the", "revenue", "grew", "and", "I'm", "this is", "from", "our next question comes from",
                          "pass the call to", "thank you.", "CEO", ","])


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C"]),
                          st.lists(st.one_of(filler, name_word), min_size=1, max_size=12)), min_size=1, max_size=6))
def test_every_name_given_appears_in_the_text(lines):
    t = _call([(spk, " ".join(ws)) for spk, ws in lines])
    text = " ".join(" ".join(ws) for _, ws in lines)
    for s in name_speakers(t):
        if s.name and s.name != "Operator":
            assert all(part in text for part in s.name.split())
            assert s.evidence


def test_interpreter_first_person_names_the_mandarin_speaker():
    t = _call([("Z", "大 家 好 我 是 邹 涛"), ("I", "Hello everyone. I am Zou Tao, CEO of Kingsoft Cloud.")])
    for w in t.segments[0].words:
        w.language = "zh"
    sp = _by_id(name_speakers(t))
    assert (sp["Z"].name, sp["Z"].role) == ("Zou Tao", "CEO")
    assert (sp["I"].name, sp["I"].role) == (None, "Interpreter")


DEMO = Path(__file__).resolve().parent.parent / "examples" / "kingsoft-q4-demo"


@pytest.mark.skipif(not (DEMO / "reference.json").is_file(), reason="demo call not built")
def test_demo_call_speakers_are_all_named_from_its_script():
    """Reference turns + the call's words: every one of the seven voices gets its right name."""
    import yaml

    ref = Transcript.load(DEMO / "reference.json")
    t = Transcript(duration=ref.duration)
    for s in ref.segments:
        toks = list(s.text) if s.language == "zh" else s.text.split()
        d = (s.end - s.start) / len(toks)
        s.words = [Word(w, s.start + i * d, s.start + (i + 1) * d, language=s.language) for i, w in enumerate(toks)]
        t.turns.append(Turn(s.speaker, s.start, s.end))
        s.speaker = None
    t.segments = ref.segments
    assign_speakers(t)
    people = yaml.safe_load((DEMO / "participants.yaml").read_text())["participants"]
    sp = _by_id(name_speakers(t, people))
    assert {k: v.name for k, v in sp.items()} == {
        "operator": "Operator", "nicole": "Nicole Shan", "zou": "Zou Tao", "interpreter": None,
        "henry": "Henry He", "brian": "Brian Gong", "wenting": "Wenting Yu"}
    assert sp["interpreter"].role == "Interpreter" and sp["zou"].role == "Vice Chairman and CEO"


def _blobs(k: int, per: int, spread: float, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, 192))
    x = np.vstack([c + spread * rng.standard_normal((per, 192)) * np.linalg.norm(c) / np.sqrt(192) for c in centres])
    return x, np.repeat(np.arange(k), per)


def _counting_clustering():
    from callfix.diarize.clustering import SilhouetteAgglomerativeClustering

    c = SilhouetteAgglomerativeClustering()
    c.instantiate({"method": "average", "threshold": 0.3, "min_cluster_size": 3, "min_silhouette": 0.1})
    return c


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_silhouette_clustering_finds_the_number_of_voices(k):
    x, truth = _blobs(k, 25, 0.6, seed=k)
    labels = _counting_clustering().cluster(x.copy())
    assert len(set(labels)) == k
    # same partition up to renaming
    assert len(set(zip(labels, truth))) == k


def test_silhouette_clustering_honours_bounds():
    x, _ = _blobs(4, 20, 0.6)
    c = _counting_clustering()
    assert len(set(c.cluster(x.copy(), min_clusters=1, max_clusters=2))) == 2
    assert len(set(c.cluster(x.copy(), num_clusters=3, min_clusters=3, max_clusters=3))) == 3


def test_introduced_speaker_found_from_turns_when_asr_dropped_their_words():
    t = _call([("OP", "Thank you. Our next question comes from the line of Wenting Yu from CLSA."),
               ("CFO", "Thank you, Wenting. This is Henry.")])
    op_end = t.turns[0].end
    # the analyst spoke between the two lines, but ASR produced no words for it
    t.turns.insert(1, Turn("AN", op_end + 0.5, op_end + 6.0))
    for w in t.segments[1].words:
        w.start, w.end = w.start + 7.0, w.end + 7.0
    t.turns[2] = Turn("CFO", t.segments[1].words[0].start, t.segments[1].words[-1].end)
    sp = _by_id(name_speakers(t))
    assert sp["AN"].name == "Wenting Yu" and sp["CFO"].name == "Henry"


def test_a_company_role_phrase_is_not_a_person_name():
    from callfix.diarize.naming import _clean_name

    assert _clean_name("Jinshan Cloud's CEO") is None  # the seed's "I'm Jinshan Cloud's CEO, Zhou Tao"
    assert _clean_name("CEO") is None
    assert _clean_name("Zou Tao") == "Zou Tao"


@given(n=st.integers(0, 200_000), window=st.integers(1, 20_000), step=st.integers(1, 20_000),
       per_block=st.integers(1, 40))
@settings(max_examples=300, deadline=None)
def test_blocks_reproduce_the_whole_file_chunk_grid(n, window, step, per_block):
    from callfix.diarize.windowed import blocks, chunk_grid

    step = min(step, window)  # pyannote's step is a fraction of its window
    spans = list(blocks(n, window, step, per_block))
    assert spans[-1][1] == n
    starts, count = [], 0
    for a, b in spans:
        assert a % step == 0
        starts.append(a)
        count += chunk_grid(b - a, window, step) if (a, b) == spans[-1] else (b - a - window) // step + 1
        # every block but the last has exactly per_block complete chunks and no padded one
        if (a, b) != spans[-1]:
            assert (b - a - window) % step == 0 and (b - a - window) // step + 1 == per_block
    assert count == chunk_grid(n, window, step)
    assert starts == sorted(set(starts))


def test_long_calls_cluster_a_subset_and_label_every_embedding(monkeypatch):
    import numpy as np

    from callfix.diarize import clustering

    rng = np.random.default_rng(1)
    centres = rng.normal(size=(3, 64))
    truth = rng.integers(0, 3, size=900)
    emb = centres[truth] + 0.35 * rng.normal(size=(900, 64))
    algo = clustering.SilhouetteAgglomerativeClustering()
    algo.instantiate({"method": "average", "threshold": 0.3, "min_cluster_size": 8, "min_silhouette": 0.1})
    full = algo.cluster(emb)
    monkeypatch.setattr(clustering, "MAX_LINKED", 200)
    part = algo.cluster(emb)
    assert part.shape == (900,) and len(np.unique(part)) == 3
    # the same partition as linking everything (labels may be permuted)
    pairs = {(int(a), int(b)) for a, b in zip(full, part)}
    assert len(pairs) == 3
    assert {(int(a), int(b)) for a, b in zip(truth, part)} == {(k, dict(zip(truth, part))[k]) for k in range(3)}


def _spectral():
    from callfix.diarize.clustering import SpectralClustering

    c = SpectralClustering()
    c.instantiate({"method": "average", "threshold": 0.7, "min_cluster_size": 5, "pval": 0.1,
                   "min_neighbours": 10, "merge_similarity": 0.7})
    return c


@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_spectral_clustering_finds_the_number_of_voices(k):
    x, truth = _blobs(k, 25, 0.6, seed=k)
    labels = _spectral().cluster(x.copy())
    assert len(set(labels)) == k
    assert len(set(zip(labels, truth))) == k


@pytest.mark.parametrize("per,spread", [(6, 0.5), (12, 0.8), (60, 0.6)])
def test_spectral_clustering_holds_on_few_and_many_embeddings(per, spread):
    x, truth = _blobs(3, per, spread, seed=per)
    labels = _spectral().cluster(x.copy())
    assert len(set(labels)) == 3 and len(set(zip(labels, truth))) == 3


def test_spectral_clustering_honours_bounds_exactly():
    x, _ = _blobs(4, 20, 0.6)
    c = _spectral()
    assert len(set(c.cluster(x.copy(), min_clusters=1, max_clusters=2))) <= 2
    assert len(set(c.cluster(x.copy(), min_clusters=5, max_clusters=8))) >= 5
    for k in range(1, 9):
        assert len(set(c.cluster(x.copy(), num_clusters=k, min_clusters=k, max_clusters=k))) == k


def test_spectral_clustering_of_a_long_call_links_a_subset(monkeypatch):
    import numpy as np

    from callfix.diarize import clustering

    x, truth = _blobs(3, 300, 0.6, seed=3)
    monkeypatch.setattr(clustering, "MAX_SPECTRAL", 250)
    labels = _spectral().cluster(x.copy())
    assert labels.shape == (900,) and len(np.unique(labels)) == 3
    assert len(set(zip(labels, truth))) == 3


# ---------------------------------------------------------------- speaker count


def _count(threshold, min_seconds):
    """Per-frame count of one 5 s chunk: A at 0.9 throughout, B at 0.4 for 2 s (1-3 s) and for 0.2 s (4-4.2 s)."""
    from types import SimpleNamespace

    import numpy as np
    from pyannote.audio.utils.signal import binarize
    from pyannote.core import SlidingWindow, SlidingWindowFeature

    from callfix.diarize.windowed import WindowedSpeakerDiarization

    frames = SlidingWindow(start=0.0, duration=0.05, step=0.05)
    raw = np.zeros((1, 100, 2))
    raw[0, :, 0] = 0.9
    raw[0, 20:60, 1] = 0.4
    raw[0, 80:84, 1] = 0.4
    raw = SlidingWindowFeature(raw, SlidingWindow(start=0.0, duration=5.0, step=1.0))
    fake = SimpleNamespace(count_threshold=threshold, count_min_seconds=min_seconds, _raw_segmentations=raw,
                           _segmentation=SimpleNamespace(model=SimpleNamespace(
                               specifications=SimpleNamespace(powerset=False))))
    count = WindowedSpeakerDiarization.speaker_count(fake, binarize(raw, onset=0.5, initial_state=False), frames,
                                                     warm_up=(0.0, 0.0))
    return count.data[:100, 0]  # the 101st frame lies past the chunk


def test_speaker_count_hears_a_long_quiet_second_voice_only():
    import numpy as np

    assert set(_count(None, 0.6)) == {1}  # the segmentation's own 0.5 onset misses B
    both = _count(0.3, 0.6)
    assert np.all(both[22:58] == 2)  # B's 2 s are counted
    assert np.all(both[78:86] == 1)  # its 0.2 s blip (a turn edge) is not
    assert np.all(both[:18] == 1) and np.all(both[62:78] == 1)
    assert np.all(_count(0.3, 0.0)[80:84] == 2)  # without the minimum length the blip counts too


def test_long_runs_keeps_runs_of_the_length():
    import numpy as np

    from callfix.diarize.windowed import _long_runs

    m = np.array([1, 1, 0, 1, 1, 1, 0, 1], dtype=bool)
    assert _long_runs(m, 3).tolist() == [False] * 3 + [True] * 3 + [False] * 2
    assert _long_runs(m, 1).tolist() == m.tolist()
    assert not _long_runs(np.zeros(4, dtype=bool), 2).any()
