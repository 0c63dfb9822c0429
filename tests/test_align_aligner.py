"""Anchored alignment: complete, ordered, exact on equal blocks, and fast on a 1 h call."""
from __future__ import annotations

import random
import time

from hypothesis import given, settings, strategies as st

from callfix.align.aligner import align_tokens, anchors


def _check_cover(a, b, ops):
    ia = ib = 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (ia, ib), "opcodes must be contiguous and in order"
        assert i2 >= i1 and j2 >= j1
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        elif tag == "delete":
            assert j1 == j2 and i2 > i1
        elif tag == "insert":
            assert i1 == i2 and j2 > j1
        ia, ib = i2, j2
    assert (ia, ib) == (len(a), len(b)), "every token of both sides exactly once"


words = st.lists(st.sampled_from(["the", "cloud", "gross", "growth", "margin", "2025", "205", "this", "one", "ai"]),
                 max_size=60)


@settings(max_examples=200, deadline=None)
@given(words, words, st.integers(min_value=1, max_value=5))
def test_opcodes_cover_both_sides_in_order(a, b, n):
    _check_cover(a, b, align_tokens(a, b, n))


@settings(max_examples=100, deadline=None)
@given(words, st.data())
def test_identical_sequences_align_fully_equal(a, data):
    ops = align_tokens(a, list(a), data.draw(st.integers(1, 5)))
    assert all(op[0] == "equal" for op in ops)


def test_anchors_are_in_order_and_disjoint():
    a = "a b c d e f g h i j k".split()
    b = "x a b c d y e f g h z i j k".split()
    blocks = anchors([hash(x) for x in a], [hash(x) for x in b], 3)
    for (i, j, n), (i2, j2, _) in zip(blocks, blocks[1:]):
        assert i + n <= i2 and j + n <= j2


def _noisy(n: int, seed: int = 0):
    rnd = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    a = [rnd.choice(vocab) for _ in range(n)]
    b = list(a)
    for _ in range(n // 7):
        k = rnd.randrange(len(b))
        r = rnd.random()
        if r < 0.5:
            b[k] = rnd.choice(vocab)
        elif r < 0.75:
            del b[k]
        else:
            b.insert(k, rnd.choice(vocab))
    return a, b


def test_ten_thousand_words_align_in_under_two_seconds():
    a, b = _noisy(10_000)
    t0 = time.perf_counter()
    ops = align_tokens(a, b)
    took = time.perf_counter() - t0
    _check_cover(a, b, ops)
    matched = sum(op[2] - op[1] for op in ops if op[0] == "equal")
    assert matched > 0.8 * len(a)
    assert took < 2.0, f"alignment took {took:.2f} s"
    unrelated = [f"u{i % 500}" for i in range(10_000)]
    t0 = time.perf_counter()
    _check_cover(a, unrelated, align_tokens(a, unrelated))
    assert time.perf_counter() - t0 < 2.0


def test_a_paragraph_the_asr_heard_only_part_of_stays_aligned():
    """Phone audio drops whole phrases: a paragraph whose heard phrase matches word after word is no
    chance match, although most of its words went unheard; one with only scattered matches is."""
    from callfix.align.timing import build_alignment, flat_words
    from callfix.io.vendor import parse_vendor_text
    from callfix.model import Segment, Transcript, Word

    heard = "gigawatt hours of storage systems in the quarter"
    said = (f"welcome everyone {heard} thank you").split()
    part = ("Thanks Paul Oh Stara delivered 21 " + heard + " and our back log grew to 14 gigawatt hours utilities "
            "are adding storage faster than ever because the inter connection cue keeps getting longer and our "
            "lithium iron phosphorus cells now come from our own plant which lowers our exposure to terrifs")
    scattered = " ".join(f"{w} zzz{i} yyy{i} xxx{i} www{i}" for i, w in enumerate(heard.split()))
    for text, weak in ((part, False), (scattered, True)):
        vendor = parse_vendor_text(f"welcome everyone\n{text}\nthank you\n")
        ev = Transcript(segments=[Segment("", 0, 9, "en", [Word(w, j, j + 0.5) for j, w in enumerate(said)])])
        al = build_alignment(vendor.paragraphs, flat_words(ev))
        assert (1 in {wk.paragraph for wk in al.weak}) is weak


def test_number_pieces_whisper_splits_off_rejoin_their_number():
    from callfix.align.timing import flat_words
    from callfix.model import Segment, Transcript, Word

    said = ["was", "48", ",000", "ounces,", "$1", ".3", "billion,", "then", ",000"]
    ev = Transcript(segments=[Segment("", 0, 9, "en", [Word(w, j, j + 0.5) for j, w in enumerate(said)])])
    # a comma piece joins only a word that ends in a digit
    assert [w.text for w in flat_words(ev)] == ["was", "48,000", "ounces,", "$1.3", "billion,", "then", ",000"]
