"""YAML/JSON side files (participants, configs, --set values): bounded, one clear line on anything bad, and a bad
file named by one call of a batch fails that call only."""
from __future__ import annotations

import json

import pytest

from callfix.batch.job import process_call
from callfix.batch.manifest import load_manifest
from callfix.cli import main
from callfix.config import load_config, load_yaml, read_yaml
from callfix.errors import InputError
from callfix.io.participants import load_participants


def alias_bomb(levels: int = 9) -> str:
    """About 600 bytes that expand to 9**9 (387 million) strings."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    lines.append(f"participants: [{{name: Zou Tao, aliases: *a{levels - 1}}}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_in_one_line(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text(alias_bomb())
    assert len(f.read_bytes()) < 700
    with pytest.raises(InputError, match=r"people\.yaml: refused, its aliases expand to over 200,000 values"):
        load_participants(f)


def test_alias_bomb_fails_its_call_only(tmp_path):
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    (tmp_path / "v.txt").write_text("Good morning.\n")
    m = tmp_path / "m.csv"
    m.write_text("id,audio,transcript,participants\nbomb,a.wav,v.txt,bomb.yaml\nfine,b.wav,v.txt,\"Zou Tao, CEO\"\n")
    bomb, fine = load_manifest(m)  # was MemoryError for the whole batch
    assert fine.problem is None and fine.participants == [{"name": "Zou Tao", "role": "CEO", "organization": None}]
    r = process_call(bomb, tmp_path / "out", load_config(), None)
    assert r.status == "failed" and "bomb.yaml: refused, its aliases expand" in r.error


def test_self_referring_alias_and_deep_nesting_are_one_line():
    with pytest.raises(InputError, match="refers to the value holding it"):
        load_yaml("a: &a [1, *a]\n", "x.yaml")
    with pytest.raises(InputError, match="x.yaml: invalid YAML"):
        load_yaml("[" * 100_000 + "]" * 100_000, "x.yaml")


def test_ordinary_anchors_still_load():
    assert load_yaml("base: &b {role: CFO}\np: [{name: A, <<: *b}, {name: B, <<: *b}]\n", "x") == {
        "base": {"role": "CFO"}, "p": [{"name": "A", "role": "CFO"}, {"name": "B", "role": "CFO"}]}


def test_latin1_yaml_is_one_line(tmp_path):
    f = tmp_path / "g.yaml"
    f.write_bytes("terms: [Société Générale]\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"g\.yaml: not UTF-8 text .*save it as UTF-8"):
        read_yaml(f)  # was UnicodeDecodeError: an internal error (rc 70)


def test_participants_as_a_bare_yaml_list(tmp_path):
    f = tmp_path / "people.yaml"
    f.write_text("- name: Zou Tao\n  role: CEO\n- name: Henry He\n  role: CFO\n")  # the form --help shows
    assert [p["name"] for p in load_participants(f)] == ["Zou Tao", "Henry He"]


def test_deep_json_participants_is_one_line(tmp_path):
    f = tmp_path / "people.json"
    f.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(InputError, match=r"people\.json: cannot read participants"):
        load_participants(f)  # was RecursionError: rc 70


@pytest.mark.parametrize("value", ["asr.beam_size=[1", "asr.beam_size.width=2", "asr..beam_size=1"])
def test_bad_set_value_is_one_line(tmp_path, capsys, value):
    (tmp_path / "v.txt").write_text("Good morning.\n")
    rc = main(["run", str(tmp_path / "a.wav"), "--transcript", str(tmp_path / "v.txt"), "-o", str(tmp_path / "o"),
               "-q", "--set", value])
    err = capsys.readouterr().err
    assert rc == 2 and err.startswith("callfix: error: --set ") and err.count("\n") == 1, err


def test_set_values_parse_as_before():
    from callfix.config import set_dotted

    cfg: dict = {"asr": {"beam_size": 5}}
    for item in ("asr.beam_size=1", "asr.languages=[en, zh]", "align.verify.enabled=false", "x.y="):
        k, v = item.split("=", 1)
        set_dotted(cfg, k, v)
    assert cfg == {"asr": {"beam_size": 1, "languages": ["en", "zh"]}, "align": {"verify": {"enabled": False}},
                   "x": {"y": None}}
    assert json.loads(json.dumps(cfg)) == cfg
