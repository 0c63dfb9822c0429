"""Runs that share one stage cache: each call must read its own audio and get its own ASR result."""
from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from callfix.audio import decode
from callfix.pipeline import _cache_get, _cache_put, stage_key


def tone(path: Path, freq: float, seconds: float = 1.5, rate: int = 16000) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * freq * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def test_two_calls_decoded_into_one_cache_keep_their_own_audio_and_keys(tmp_path):
    cache = tmp_path / "cache" / "audio"
    a = decode(tone(tmp_path / "a.wav", 440), cache)
    first = a.read(0, 8000).copy()
    b = decode(tone(tmp_path / "b.wav", 880), cache)  # another run, same --cache, decodes its call
    assert np.array_equal(a.read(0, 8000), first)  # the first call still reads its own samples
    assert not np.array_equal(b.read(0, 8000), first)
    # The ASR/diarization cache key is the decoded content each call reads, so they differ.
    assert stage_key("asr", a, {"m": 1}) != stage_key("asr", b, {"m": 1})
    again = decode(tmp_path / "a.wav", cache)  # same bytes: the same decoded file, reused
    assert again.wav == a.wav and stage_key("asr", again, {"m": 1}) == stage_key("asr", a, {"m": 1})


def test_a_call_reads_through_its_handle_even_if_the_file_is_replaced(tmp_path):
    a = decode(tone(tmp_path / "a.wav", 440), tmp_path / "c")
    key, first = stage_key("asr", a, {}), a.read(0, 4000).copy()
    other = decode(tone(tmp_path / "b.wav", 1200), tmp_path / "d")
    os.replace(other.wav, a.wav)  # whatever happens to the path, this call's audio stays its own
    a._sha256 = None
    assert np.array_equal(a.read(0, 4000), first) and stage_key("asr", a, {}) == key


def _decode_and_check(args) -> str:
    src, cache, rounds = args
    from callfix.audio import decode as dec

    for _ in range(rounds):
        mine = dec(src, cache)
        ref = dec(src, Path(cache).parent / f"private-{os.getpid()}")
        if not np.array_equal(mine.read(0, mine.n_samples), ref.read(0, ref.n_samples)):
            return f"{src}: got other audio"
    return "ok"


def test_concurrent_decodes_into_one_cache_never_mix(tmp_path):
    srcs = [tone(tmp_path / f"s{i}.wav", 300 + 150 * i, seconds=1.0 + 0.3 * i) for i in range(3)]
    cache = tmp_path / "shared" / "audio"
    jobs = [(str(s), str(cache), 4) for s in srcs] * 2  # every source twice: the same and different audio at once
    with mp.get_context("spawn").Pool(3) as pool:
        assert pool.map(_decode_and_check, jobs) == ["ok"] * len(jobs)
    assert len(list(cache.glob("*.wav"))) == len(srcs)
    assert not list(cache.glob("*.part"))


def test_one_cache_entry_is_computed_by_one_run_at_a_time(tmp_path):
    from callfix.pipeline import _cached

    order: list[str] = []

    def run(name: str, hold: float) -> None:
        with _cached(tmp_path, "asr", "k"):
            if _cache_get(tmp_path, "asr", "k") is None:
                order.append(f"{name} computes")
                time.sleep(hold)
                _cache_put(tmp_path, "asr", "k", {"by": name})
            else:
                order.append(f"{name} reuses")

    t1 = threading.Thread(target=run, args=("first", 0.4))
    t1.start()
    time.sleep(0.1)
    t2 = threading.Thread(target=run, args=("second", 0.0))
    t2.start()
    t1.join()
    t2.join()
    assert order == ["first computes", "second reuses"]


@pytest.mark.parametrize("damage", [b"", b'{"segments": [', b"\xff\xfe"])
def test_a_damaged_cache_entry_is_a_miss(tmp_path, damage):
    (tmp_path / "asr").mkdir()
    (tmp_path / "asr" / "k.json").write_bytes(damage)
    assert _cache_get(tmp_path, "asr", "k") is None
