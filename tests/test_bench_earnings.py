"""Earnings-21/22 scoring (fstalign's rules): a hand-scored .nlp, the lattice alignment against brute
force, a real Earnings-21 call, the CLI and its reports."""
from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callfix.bench import earnings, lattice
from callfix.io.nlp import read_nlp_ref, read_nlp_rows, text_rows
from callfix.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "earnings21-4387332"

TINY = ("token|speaker|ts|endTs|punctuation|case|tags|wer_tags\n"
        "In|0||||UC|[]|[]\n"
        "2020|0|||,|CA|['0:YEAR']|['0']\n"
        "we'll|0||||LC|['1:CONTRACTION']|[]\n"
        "grow|0||||LC|[]|[]\n"
        "Acme|1||||UC|[]|['2']\n"
        "Corp|1|||.|UC|[]|['2']\n")
NORM = {"0": {"class": "YEAR", "candidates": [{"verbalization": ["twenty", "twenty"]},
                                              {"verbalization": ["two", "thousand", "twenty"]}]},
        "1": {"class": "CONTRACTION", "candidates": [{"verbalization": ["we", "will"]}, {"verbalization": ["we'll"]}]}}
TAGS = {"0": {"entity_type": "YEAR"}, "2": {"entity_type": "ORG"}}


@pytest.fixture
def tiny(tmp_path):
    (tmp_path / "c.nlp").write_text(TINY, encoding="utf-8")
    (tmp_path / "c.norm.json").write_text(json.dumps(NORM))
    (tmp_path / "c.wer_tag.json").write_text(json.dumps(TAGS))
    return read_nlp_ref(tmp_path / "c.nlp")


def _score(ref, text):
    return earnings.score(ref, text_rows(text))


# Each expectation worked out by hand: the spoken form the alignment should choose, and its errors.
@pytest.mark.parametrize("text,errors,words,year,org", [
    ("in two thousand twenty we will grow acne corp", 1, 9, (0, 3), (1, 2)),  # YEAR read as 3 words, 1 sub
    ("In 2020, we'll grow Acme Corp.", 0, 6, (0, 1), (0, 2)),  # written forms; case and punctuation ignored
    ("in we will grow acme corp", 1, 7, (1, 1), (0, 2)),  # a deleted span costs its shortest form
    ("in twenty uh twenty we'll grow acme corp", 1, 7, (1, 2), (0, 2)),  # insertion inside the YEAR span
    ("in twenty twenty we'll grow", 2, 7, (0, 2), (2, 2)),  # the ORG deleted
])
def test_hand_scored_tiny_nlp(tiny, text, errors, words, year, org):
    r = _score(tiny, text)
    assert (r["wer"]["errors"], r["wer"]["ref_tokens"]) == (errors, words)
    ent = r["entities"]
    assert (ent["YEAR"]["errors"], ent["YEAR"]["ref_tokens"]) == year
    assert (ent["ORG"]["errors"], ent["ORG"]["ref_tokens"]) == org
    assert set(ent) == {"YEAR", "ORG"}  # CONTRACTION has a norm label but no wer_tag


def test_sidecars_found_in_the_published_layout_and_bad_ones_named(tmp_path):
    root = tmp_path / "transcripts"
    for d in ("nlp_references", "normalizations", "wer_tags"):
        (root / d).mkdir(parents=True)
    (root / "nlp_references/9.nlp").write_text(TINY)
    (root / "normalizations/9.norm.json").write_text(json.dumps(NORM))
    (root / "wer_tags/9.wer_tag.json").write_text("[1, 2]")
    with pytest.raises(InputError, match=r"9.wer_tag.json: wer_tag JSON must be an object"):
        read_nlp_ref(root / "nlp_references/9.nlp")
    ref = read_nlp_ref(root / "nlp_references/9.nlp", tags=_write(tmp_path / "t.json", TAGS))
    assert ref.norm["0"][1] == ("two", "thousand", "twenty") and ref.entity_class["2"] == "ORG"
    (tmp_path / "bad.nlp").write_text("token|speaker\n2020|0\n")
    assert read_nlp_rows(tmp_path / "bad.nlp")[0].label == ""
    (tmp_path / "bad.nlp").write_text("tok,speaker\n")
    with pytest.raises(InputError, match=r"bad.nlp: not a Rev .nlp file"):
        read_nlp_rows(tmp_path / "bad.nlp")


def _write(p: Path, data) -> Path:
    p.write_text(json.dumps(data))
    return p


def test_text_hypotheses_tokenised_as_rev_files():
    assert [r.token for r in text_rows('Revenue rose 5% to $40.5 million -- "record" (Q4).')] == \
        ["Revenue", "rose", "5%", "to", "$40.5", "million", "record", "Q4"]


# ---------- the lattice alignment is exact: brute force over every choice of forms

def _cost(ref: list[str], hyp: list[str]) -> int:
    d = list(range(0, (len(hyp) + 1) * lattice.INS, lattice.INS))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i * lattice.DEL
        for j, h in enumerate(hyp, 1):
            cur = min(d[j] + lattice.DEL, d[j - 1] + lattice.INS, prev + (0 if r == h else lattice.SUB))
            prev, d[j] = d[j], cur
    return d[-1]


def _ops_cost(ops) -> int:
    return sum({"equal": 0, "substitute": lattice.SUB, "delete": lattice.DEL, "insert": lattice.INS}[o.kind] for o in ops)


_tok = st.sampled_from(["a", "b", "c", "d"])
_form = st.lists(_tok, min_size=0, max_size=3).map(tuple)
_slot = st.one_of(_tok.map(lambda t: lattice.Slot([(t,)])),
                  st.lists(_form, min_size=1, max_size=3).map(lambda fs: lattice.Slot(fs + [("a", "b")], label="x")))


@settings(max_examples=150, deadline=None)
@given(slots=st.lists(_slot, min_size=0, max_size=7), hyp=st.lists(_tok, max_size=9))
def test_lattice_alignment_is_optimal_and_consistent(slots, hyp):
    best = min(_cost([t for f in combo for t in f], hyp) for combo in itertools.product(*(s.forms for s in slots)))
    ids, vocab = _ids(hyp)
    ops, forms, _ = lattice._align_gap(slots, 0, len(slots), hyp, ids, 0, len(hyp), vocab)
    assert _ops_cost(ops) == best
    assert [o.ref for o in ops if o.kind != "insert"] == [t for s, f in zip(slots, forms) for t in s.forms[f]]
    assert [o.hyp for o in ops if o.kind != "delete"] == hyp


def _ids(hyp):
    import numpy as np

    vocab: dict[str, int] = {}
    return np.array([vocab.setdefault(h, len(vocab)) for h in hyp], dtype=np.int64), vocab


# ---------- a real Earnings-21 call (Eval-10 file 4387332, Zagg Inc Q3), Google and Microsoft output

@pytest.mark.parametrize("system,errors,words", [("google", 628, 3998), ("microsoft", 578, 4067)])
def test_real_call_anchored_alignment_equals_exact_and_beats_written_forms(monkeypatch, system, errors, words):
    ref = read_nlp_ref(DATA / "4387332.nlp")
    hyp_rows = read_nlp_rows(DATA / f"{system}.nlp")
    r = earnings.score(ref, hyp_rows)
    # the same call with no anchors: one exact lattice alignment of the whole call
    monkeypatch.setattr(lattice, "ANCHOR_RUN", 10 ** 9)
    exact = earnings.score(ref, hyp_rows)
    assert exact["fallback_gaps"] == 0
    assert (r["wer"]["errors"], r["wer"]["ref_tokens"]) == (exact["wer"]["errors"], exact["wer"]["ref_tokens"])
    # Pinned: this file's share of the Eval-10 reproduction in scripts/earnings_eval.py, whose pooled
    # figures (Google 18.3 %, Microsoft 16.2 %) match the published fstalign table (18.5 / 16.2,
    # earnings21/transcripts/README.md in revdotcom/speech-datasets).
    assert (r["wer"]["errors"], r["wer"]["ref_tokens"]) == (errors, words)
    # written forms only (jiwer, unit costs): "2020" must not be read as "twenty twenty" there
    written = " ".join(row.token.lower() for row in ref.rows)
    plain = jiwer.process_words(written, " ".join(row.token.lower() for row in hyp_rows))
    assert r["wer"]["rate"] < plain.wer
    assert r["forms_chosen"]["read_as_candidate"] > 0


# ---------- the published table: Eval-10 in tests/data, the whole set with CALLFIX_EARNINGS21

EVAL10 = Path(__file__).resolve().parent / "data" / "earnings21-eval10"
FULL = os.environ.get("CALLFIX_EARNINGS21")  # the earnings21/ folder of revdotcom/speech-datasets


@pytest.fixture(scope="module")
def eval10_root(tmp_path_factory) -> Path:
    """The bundled Eval-10 files unpacked into the layout speech-datasets publishes, checked byte for
    byte against the source (SHA256SUMS); call 4387332 comes from its own uncompressed folder."""
    import hashlib
    import lzma
    import shutil

    root = tmp_path_factory.mktemp("earnings21")
    for line in (EVAL10 / "SHA256SUMS").read_text().splitlines():
        digest, rel = line.split()
        rel = Path(rel)
        packed = EVAL10 / (rel.relative_to("output") if rel.parts[0] == "output" else rel.name)
        data = lzma.decompress(packed.with_name(packed.name + ".xz").read_bytes())
        assert hashlib.sha256(data).hexdigest() == digest, rel
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    for src, dst in (("4387332.nlp", "transcripts/nlp_references/4387332.nlp"),
                     ("4387332.norm.json", "transcripts/normalizations/4387332.norm.json"),
                     ("4387332.wer_tag.json", "transcripts/wer_tags/4387332.wer_tag.json"),
                     ("google.nlp", "output/google/4387332.nlp"), ("microsoft.nlp", "output/microsoft/4387332.nlp")):
        shutil.copyfile(DATA / src, root / dst)
    shutil.copyfile(EVAL10 / "eval10-file-metadata.csv", root / "eval10-file-metadata.csv")
    return root


def _pooled(root: Path, ids: list[str], systems=("google", "microsoft")) -> dict:
    """Pooled WER % per system in both modes; each reference is read once for both systems."""
    from callfix.bench import metrics
    from callfix.io.references import read_doc

    tot = {(s, m): [0, 0] for s in systems for m in ("earnings", "whisper")}
    for i in ids:
        ref_path = root / "transcripts" / "nlp_references" / f"{i}.nlp"
        ref, ref_words = read_nlp_ref(ref_path), metrics.english_stream(read_doc(ref_path))
        for s in systems:
            hyp_path = root / "output" / s / f"{i}.nlp"
            e = earnings.score(ref, read_nlp_rows(hyp_path))["wer"]
            w, _ = metrics.error_rate(ref_words, metrics.english_stream(read_doc(hyp_path)))
            for mode, (err, n) in (("earnings", (e["errors"], e["ref_tokens"])), ("whisper", (w.errors, w.ref_tokens))):
                tot[s, mode][0] += err
                tot[s, mode][1] += n
    return {k: 100 * err / n for k, (err, n) in tot.items()}


def _file_ids(root: Path, subset: str) -> list[str]:
    import csv

    if subset == "eval10":
        with (root / "eval10-file-metadata.csv").open(newline="") as f:
            return [r["file_id"] for r in csv.DictReader(f)]
    return sorted(p.stem for p in (root / "transcripts" / "nlp_references").glob("*.nlp"))


def test_eval10_pooled_wer_matches_published_table(eval10_root):
    """Published fstalign figures, earnings21/transcripts/README.md of revdotcom/speech-datasets
    (Del Rio et al., Interspeech 2021): Eval-10 WER Google 18.5 %, Microsoft 16.2 %. Measured here:
    earnings mode 18.3 / 16.1; whisper mode 14.8 / 13.4, the gap the earnings mode exists to close."""
    ids = _file_ids(eval10_root, "eval10")
    assert len(ids) == 11
    got = _pooled(eval10_root, ids)
    for system, published in (("google", 18.5), ("microsoft", 16.2)):
        assert abs(got[system, "earnings"] - published) <= 1.0, (system, got)
        # Whisper's normaliser forgives more than fstalign's rules: its figure is not the table's
        assert got[system, "whisper"] < published - 2.0, (system, got)


@pytest.mark.skipif(not FULL, reason="set CALLFIX_EARNINGS21 to the fetched earnings21/ folder")
def test_full_set_pooled_wer_matches_published_table():
    """earnings21/transcripts/README.md: all 44 calls, Google 17.8 %, Microsoft 15.8 % (fstalign).
    Measured: 17.7 / 15.8 (85 s here)."""
    root = Path(FULL)
    if (root / "earnings21").is_dir():
        root = root / "earnings21"
    ids = _file_ids(root, "all")
    assert len(ids) == 44
    got = _pooled(root, ids)
    for system, pub in (("google", 17.8), ("microsoft", 15.8)):
        assert abs(got[system, "earnings"] - pub) <= 1.0, (system, got)


# ---------- CLI and reports

def test_cli_earnings_reports_name_the_mode_and_entity_classes(tmp_path, capsys):
    from callfix.cli import main

    out = tmp_path / "b"
    rc = main(["bench", "--scoring", "earnings", "--ref", str(DATA / "4387332.nlp"), "--vendor",
               str(DATA / "google.nlp"), "--asr", str(DATA / "microsoft.nlp"), "-o", str(out), "-q"])
    assert rc == 0
    md = (out / "bench.md").read_text()
    assert "Scoring: earnings: fstalign rules" in md and "| WER, earnings rules | 15.7% (S " in md
    assert "| PERSON |" in md and "| MONEY |" in md
    res = json.loads((out / "bench.json").read_text())
    assert res["scoring"] == "earnings" and res["sources"]["asr"]["entities"]["YEAR"]["ref_tokens"] > 0
    assert "Entity WER by class" in (out / "bench.html").read_text()
    rc = main(["bench", "--ref", str(DATA / "4387332.nlp"), "--vendor", str(DATA / "google.nlp"), "-o",
               str(tmp_path / "w"), "-q"])
    assert rc == 0 and json.loads((tmp_path / "w" / "bench.json").read_text())["scoring"] == "whisper"
    assert "Scoring: whisper" in (tmp_path / "w" / "bench.md").read_text()
    capsys.readouterr()


def test_config_knobs_choose_the_mode_and_hyphen_rule(tmp_path):
    from callfix.cli import main
    from callfix.config import load_config

    bench = load_config(None)["bench"]
    assert (bench["scoring"], bench["hyphen_synonyms"]) == ("whisper", False)
    out = tmp_path / "k"
    assert main(["bench", "--set", "bench.scoring=earnings", "--set", "bench.hyphen_synonyms=true", "--ref",
                 str(DATA / "4387332.nlp"), "--vendor", str(DATA / "google.nlp"), "-o", str(out), "-q"]) == 0
    res = json.loads((out / "bench.json").read_text())
    assert res["scoring"] == "earnings" and res["scoring_note"].endswith("hyphen synonyms on")
    # "long-term" against "long term" is no longer two errors: fewer than the 628 of the published rules
    assert res["sources"]["vendor"]["wer"]["errors"] < 628


def test_cli_earnings_manifest_pools_entities(tmp_path, capsys):
    from callfix.cli import main

    m = tmp_path / "m.csv"
    m.write_text(f"id,ref,vendor\na,{DATA / '4387332.nlp'},{DATA / 'google.nlp'}\n"
                 f"b,{DATA / '4387332.nlp'},{DATA / 'microsoft.nlp'}\n")
    assert main(["bench", "--scoring", "earnings", "--manifest", str(m), "-o", str(tmp_path / "o"), "-q"]) == 0
    pooled = json.loads((tmp_path / "o" / "summary.json").read_text())["sources"]["vendor"]
    assert (pooled["wer"]["errors"], pooled["wer"]["ref_tokens"]) == (628 + 578, 3998 + 4067)
    assert pooled["entities"]["PERSON"]["ref_tokens"] == 30 + 31
    assert "| a | vendor | 15.7% |" in capsys.readouterr().out


def test_cli_earnings_refuses_rttm_and_sidecars_without_mode(tmp_path):
    from callfix.cli import main

    assert main(["bench", "--scoring", "earnings", "--ref", str(DATA / "4387332.nlp"), "--vendor",
                 str(DATA / "google.nlp"), "--ref-rttm", "x.rttm", "-q"]) != 0
    assert main(["bench", "--ref", str(DATA / "4387332.nlp"), "--vendor", str(DATA / "google.nlp"),
                 "--ref-norm", str(DATA / "4387332.norm.json"), "-q"]) != 0
