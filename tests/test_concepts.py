"""The alignment's concepts have names: opcodes, loops, weak paragraphs, glossary evidence, edit kinds and
decisions, paragraph flags, and a Turns type for the diarization turns."""
from __future__ import annotations

import dataclasses
from typing import get_args

import pytest

from align_fixtures import demo_evidence, demo_vendor
from callfix.align import align_call
from callfix.align.aligner import Opcode, align_tokens
from callfix.align.evidence import GlossaryEvidence, glossary_evidence
from callfix.align.glossary import Glossary
from callfix.align.timing import Loop, find_loops
from callfix.config import load_config
from callfix.model import DECISIONS, EditKind, ParagraphFlag, Turn
from callfix.turns import Turns, exclusive_turns


def test_opcodes_are_named_and_still_unpack():
    ops = align_tokens(list("abcdef"), list("abXdef"), anchor_ngram=2)
    assert all(isinstance(op, Opcode) for op in ops)
    assert [op.tag for op in ops] == ["equal", "replace", "equal"]
    tag, i1, i2, j1, j2 = ops[1]
    assert (tag, i1, i2, j1, j2) == ("replace", 2, 3, 2, 3) == ops[1]


def test_a_loop_is_a_frozen_record():
    (lp,) = find_loops([("this",), ("one",)] * 4)
    assert lp == Loop(0, 8, 2, 4, "this one")
    with pytest.raises(dataclasses.FrozenInstanceError):
        lp.count = 3


def test_glossary_evidence_keeps_where_the_forms_sit_out_of_the_editor_view():
    gl = Glossary(terms=["Kingsoft Cloud"], confusions={"Google Cloud": "Kingsoft Cloud"})
    gev = glossary_evidence(gl, ["welcome", "to", "the"], ["google", "cloud"], ["kingsoft", "cloud"], ["fourth"])
    assert isinstance(gev, GlossaryEvidence) and gev.confusion == ("Google Cloud", "Kingsoft Cloud")
    assert gev.span == (0, 2, 0, 2)
    assert gev.to_dict() == {"confusion": ["Google Cloud", "Kingsoft Cloud"], "term": "Kingsoft Cloud"}
    assert not glossary_evidence(gl, [], ["growth"], ["gross"], [])


def test_an_aligned_call_uses_only_named_kinds_decisions_and_flags():
    t = align_call(demo_evidence(), demo_vendor(), load_config())
    assert t.edits and t.meta["align"]["edits"] == len(t.edits)
    assert {e.kind for e in t.edits} <= set(get_args(EditKind))
    assert {e.decision for e in t.edits} <= set(DECISIONS) and "applied" in {e.decision for e in t.edits}
    assert {f for p in t.paragraphs for f in p.flags} <= set(get_args(ParagraphFlag))


def test_turns_own_exclusive_turns_speakers_and_pyannote_annotations():
    raw = [Turn("A", 0.0, 10.0), Turn("B", 4.0, 5.0), Turn("B", 9.0, 12.0)]
    turns = Turns(raw)
    assert turns.exclusive == exclusive_turns(raw) == [Turn("A", 0.0, 10.0), Turn("B", 10.0, 12.0)]
    assert turns.exclusive is turns.exclusive  # computed once
    assert turns.speaker_over(4.2, 4.8) == "A" and turns.speaker_over(10.5, 11.5) == "B"
    assert turns.speaker_near(4.5) == "A" and turns.speaker_near(13.0) == "B"
    assert dict(turns.held([(9.0, 11.0)])) == {"A": 1.0, "B": 1.0}
    back = Turns.from_annotation(turns.to_annotation("call"))
    assert [(x.start, x.end) for x in back] == [(x.start, x.end) for x in raw]
    assert [x.speaker for x in back] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_01"]  # renamed by first turn
