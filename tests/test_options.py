"""Typed options (callfix/options.py): the YAML and the dataclasses agree, unknown keys and wrong kinds are one
line naming the key, and the sections the stages read give the cache keys the dicts gave."""
import json
import subprocess
import sys
from dataclasses import fields, is_dataclass

import pytest

from callfix.config import CONFIG_DIR, load_config, read_yaml
from callfix.errors import InputError
from callfix.options import DERIVED, AsrOptions, DiarizeOptions, Options, section, to_dict


def _leaves(d: dict, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict) and k != "language_aliases":  # a mapping of its own, not a section
            yield from _leaves(v, (*prefix, k))
        else:
            yield (*prefix, k), v


def _typed_leaves(obj, prefix=()):
    for f in fields(obj):
        if f.name in DERIVED.get(type(obj), ()):
            continue
        v = getattr(obj, f.name)
        if is_dataclass(v):
            yield from _typed_leaves(v, (*prefix, f.name))
        else:
            yield (*prefix, f.name), v


def test_every_default_is_the_same_in_the_yaml_and_the_dataclasses():
    yaml_defaults = dict(_leaves(read_yaml(CONFIG_DIR / "default.yaml")))
    typed = dict(_typed_leaves(Options()))
    assert set(yaml_defaults) == set(typed), set(yaml_defaults) ^ set(typed)
    for key, value in yaml_defaults.items():
        assert typed[key] == value and type(typed[key]) is type(value), (".".join(key), typed[key], value)


@pytest.mark.parametrize("profile", [None, "cpu", "gpu", "fast"])
def test_every_shipped_profile_builds(profile):
    opts = Options.from_dict(load_config(profile))
    assert isinstance(opts.asr, AsrOptions) and isinstance(opts.diarize, DiarizeOptions)


def test_the_sections_give_the_same_cache_payload_as_the_merged_dicts():
    cfg = load_config("fast")
    opts = Options.from_dict(cfg)
    for name in ("asr", "diarize"):  # the stage cache keys hash these sections
        assert json.dumps(to_dict(getattr(opts, name)), sort_keys=True) == json.dumps(cfg[name], sort_keys=True)


@pytest.mark.parametrize("cfg, message", [
    ({"asr": {"beam_sise": 1}}, "asr.beam_sise: not a config key; did you mean asr.beam_size?"),
    ({"asr": {"vad": {"treshold": 0.4}}}, "asr.vad.treshold: not a config key; did you mean asr.vad.threshold?"),
    ({"aling": {}}, "aling: not a config key; did you mean align?"),
    ({"align": {"verify": {"apply_margn": 3}}}, "did you mean align.verify.apply_margin?"),
    ({"diarize": {"zzz": 1}}, "diarize.zzz: not a config key (every key"),
    ({"asr": {"beam_size": "five"}}, "asr.beam_size='five': expected a whole number"),
    ({"asr": {"word_timestamps": "yes"}}, "asr.word_timestamps='yes': expected true or false"),
    ({"diarize": {"embedding_runtime": "cuda"}}, "diarize.embedding_runtime='cuda': expected one of onnx, torch"),
    ({"asr": {"temperatures": 0.2}}, "asr.temperatures=0.2: expected a list"),
    ({"diarize": {"structure": "on"}}, "diarize.structure: expected a section of keys"),
])
def test_a_bad_key_or_value_is_one_line_naming_it(cfg, message):
    with pytest.raises(InputError) as e:
        Options.from_dict(cfg)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_values_keep_their_kind_and_quoted_numbers_are_numbers():
    opts = Options.from_dict({"audio": {"max_duration_hours": 2}, "batch": {"call_timeout_seconds": "90"},
                              "diarize": {"num_speakers": 3.0}})
    assert opts.audio.max_duration_hours == 2 and type(opts.audio.max_duration_hours) is int
    assert opts.batch.call_timeout_seconds == 90.0 and opts.diarize.num_speakers == 3


def test_a_stage_takes_its_section_from_options_or_a_whole_config():
    opts = Options.from_dict({"asr": {"beam_size": 2}})
    assert section(opts, AsrOptions) is opts.asr
    assert section(opts.asr, AsrOptions) is opts.asr
    assert section({"asr": {"beam_size": 2}}, AsrOptions).beam_size == 2
    assert opts.diarize.structure_options().max_speakers is None
    bounded = Options.from_dict({"diarize": {"max_speakers": 4}}).diarize.structure_options()
    assert bounded.max_speakers == 4 and bounded.split_languages


def test_a_typo_in_set_stops_the_run_with_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "callfix", "run", str(tmp_path / "call.wav"), "--transcript",
                        str(tmp_path / "vendor.txt"), "-o", str(tmp_path / "out"), "--set", "asr.beam_sise=1"],
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert r.stderr.strip() == ("callfix: error: asr.beam_sise: not a config key; did you mean asr.beam_size? "
                                "(every key is in callfix/configs/default.yaml)")
    assert not (tmp_path / "out").exists()


def test_a_typo_in_a_profile_file_is_refused_too(tmp_path):
    prof = tmp_path / "mine.yaml"
    prof.write_text("diarize:\n  segmentaton_step: 0.3\n")
    r = subprocess.run([sys.executable, "-m", "callfix", "bench", "--config", str(prof), "--ref", "x"],
                       capture_output=True, text=True)
    assert r.returncode != 0 and r.stderr.count("\n") == 1
    assert "diarize.segmentaton_step: not a config key; did you mean diarize.segmentation_step?" in r.stderr
