"""`callfix run`: decode → transcribe → diarize → name speakers → align → outputs → review page.

Each model stage's result is cached as JSON keyed by the content hash of the decoded audio and
the stage's own config, so changing the glossary re-runs alignment but not ASR or diarization.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from callfix import __version__
from callfix.align import align_call
from callfix.align.callglossary import glossary_for
from callfix.align.glossary import load_glossaries
from callfix.align.verify import AcousticVerifier
from callfix.audio import Audio, decode, file_lock
from callfix.diarize import assign_speakers, diarize_audio, name_speakers
from callfix.io.atomic import atomic_write_text, output_set
from callfix.io.subtitles import write_asr_outputs
from callfix.io.vendor import read_vendor
from callfix.io.writers import check_formats, write_outputs
from callfix.model import Transcript, Turn
from callfix.options import Options, to_dict
from callfix.progress import Hook, cancellable, silent
from callfix.review import render_review


def audio_hash(audio: Audio) -> str:
    """sha256 of the decoded audio, read through the call's own handle (never reopened by path)."""
    return audio.content_hash()


def stage_key(stage: str, audio: Audio, cfg_part, extra: str = "") -> str:
    payload = json.dumps({"stage": stage, "audio": audio_hash(audio), "cfg": cfg_part, "extra": extra,
                          "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _cache_get(cache_dir, stage, key):
    if cache_dir is None:
        return None
    p = Path(cache_dir) / stage / f"{key}.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, or damaged (a disk error, an edit): computed again
        return None


def _cache_put(cache_dir, stage, key, data) -> None:
    if cache_dir is not None:
        atomic_write_text(Path(cache_dir) / stage / f"{key}.json", json.dumps(data, ensure_ascii=False))


@contextmanager
def _cached(cache_dir, stage: str, key: str):
    """Hold the lock of one cache entry while it is looked up and, on a miss, computed and stored:
    a second run on the same audio waits for the first one's result instead of racing it."""
    if cache_dir is None:
        yield
        return
    with file_lock(Path(cache_dir) / stage / f".{key}.lock"):
        yield


def hotwords_for(cfg: Options | dict, glossary=None) -> list[str]:
    """Decoder hotwords: the call's trusted spellings (a glossary, else the configured ones)."""
    opts = Options.of(cfg)
    if not opts.asr.hotwords:
        return []
    return (glossary or load_glossaries(opts.align.glossaries)).hotwords()


def glossary_prompt(cfg: Options | dict, glossary=None) -> str | None:
    """The hotword prompt English is decoded (and its wordings scored) with."""
    opts = Options.of(cfg)
    hot = hotwords_for(opts, glossary)
    return ", ".join(hot[: opts.asr.max_hotwords]) if hot else None


def stage_transcribe(audio: Audio, cfg: Options | dict, cache_dir=None, hook: Hook = silent,
                     glossary=None) -> Transcript:
    # faster-whisper and CTranslate2 take a third of a second to import: only commands that transcribe pay it
    from callfix.asr import transcribe
    from callfix.asr.backends import model_identity

    opts = Options.of(cfg)
    hot = hotwords_for(opts, glossary)
    key = stage_key("asr", audio, to_dict(opts.asr), model_identity(opts.asr) + "|" + ",".join(hot))
    with _cached(cache_dir, "asr", key):
        cached = _cache_get(cache_dir, "asr", key)
        if cached is not None:
            return Transcript.from_dict(cached)
        t = transcribe(audio, opts.asr, hotwords=hot, hook=hook)
        _cache_put(cache_dir, "asr", key, t.to_dict())
    return t


def stage_diarize(audio: Audio, cfg: Options | dict, cache_dir=None, hook: Hook = silent) -> list[Turn]:
    opts = Options.of(cfg)
    key = stage_key("diarize", audio, to_dict(opts.diarize))
    with _cached(cache_dir, "diarize", key):
        cached = _cache_get(cache_dir, "diarize", key)
        if cached is not None:
            return [Turn(**t) for t in cached]
        turns = diarize_audio(audio, opts.diarize, hook)
        _cache_put(cache_dir, "diarize", key, [t.__dict__ for t in turns])
    return turns


def run_call(audio_path, vendor_path, out_dir, cfg: Options | dict, cache_dir=None, hook: Hook = silent,
             participants: list[dict] | None = None) -> Transcript:
    """One call end to end. Returns the corrected transcript; outputs land in ``out_dir``; ``hook`` hears every
    stage (callfix.progress). ``cfg``: the options, or a whole config dict (checked and typed here)."""
    opts = Options.of(cfg)
    out = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir else out / ".cache"
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    formats = check_formats(opts.run.formats)  # fail fast on an unknown format, before any model runs
    vendor = read_vendor(vendor_path)  # and on a bad transcript
    glossary = glossary_for(vendor, opts.align, participants)
    audio = decode(audio_path, cache_dir / "audio", opts.audio.max_duration_hours)
    lap("decode")
    evidence = _speech_stages(audio, opts, cache_dir, hook, timings, glossary)
    clock = time.perf_counter()
    assign_speakers(evidence, opts.diarize.structure_options())  # never more than --num/--max-speakers
    hook("aligning")
    result = align_call(evidence, vendor, opts.align, glossary=glossary, verifier=_verifier(audio, opts, glossary))
    result.speakers = name_speakers(result, participants)  # cues from both the speech and the vendor text
    lap("align")
    # Relative to the output folder, so a run folder moved together with its audio keeps it; the
    # absolute path is the fallback for a folder moved without it.
    result.audio = _relative_audio(audio_path, out)
    result.meta["audio_path"] = str(Path(audio_path).resolve())
    result.meta["timings"] = timings
    result.meta["rtf"] = {k: round(v / audio.duration, 4) for k, v in timings.items()} if audio.duration else {}
    with output_set(out) as build:  # every output lands together, or none does (a writer failing midway)
        # The speech evidence alone (no vendor text): what `callfix bench --asr` scores as ASR-only.
        write_asr_outputs(Transcript(audio=str(audio_path), duration=evidence.duration, languages=evidence.languages,
                                     segments=evidence.segments, turns=evidence.turns, speakers=result.speakers,
                                     meta={"asr": evidence.meta.get("asr", {})}), build)
        write_outputs(result, build, formats=formats)
        render_review(build)  # a sibling of ``out``: the relative audio path resolves the same
    lap("outputs")  # `timings` is the dict already in result.meta
    return result


def _verifier(audio: Audio, cfg: Options | dict, glossary=None):
    """The acoustic judge of the edits: the transcription's own Whisper, loaded once per process."""
    from callfix.asr.backends import load_backend  # faster-whisper: see stage_transcribe

    opts = Options.of(cfg)
    if not opts.align.verify.enabled:
        return None
    return AcousticVerifier(audio, load_backend(opts.asr), opts.align.verify, asr=opts.asr,
                            prompt=glossary_prompt(opts, glossary))


def _speech_stages(audio: Audio, opts: Options, cache_dir, hook: Hook, timings: dict, glossary=None) -> Transcript:
    """Transcription and diarization, side by side when ``run.parallel_stages`` is on.

    Whisper's decoder keeps about one and a half cores busy and the diarization models one, so on a
    small machine running them together finishes well before running them one after the other.
    ``timings`` gets each stage's own wall time and ``speech``, the time both took together.
    """
    start = time.perf_counter()

    def timed(name, fn, hook, **kw):
        t0 = time.perf_counter()
        value = fn(audio, opts, cache_dir, hook, **kw)
        timings[name] = round(time.perf_counter() - t0, 3)
        return value

    hook(f"transcribing and diarizing {audio.duration:.0f} s of audio")
    if opts.run.parallel_stages:
        diarized: dict = {}
        cancel = threading.Event()

        def diarize_in_background():
            try:
                diarized["turns"] = timed("diarize", stage_diarize, cancellable(hook, cancel))
            except BaseException as e:  # handed to the caller below
                diarized["error"] = e

        worker = threading.Thread(target=diarize_in_background, name="callfix-diarize", daemon=True)
        worker.start()
        try:
            evidence = timed("transcribe", stage_transcribe, hook, glossary=glossary)
        except BaseException:  # stop diarizing a call that has already failed (a batch moves on)
            cancel.set()
            worker.join()
            raise
        worker.join()
        if "error" in diarized:
            raise diarized["error"]
        evidence.turns = diarized["turns"]
    else:
        evidence = timed("transcribe", stage_transcribe, hook, glossary=glossary)
        evidence.turns = timed("diarize", stage_diarize, hook)
    timings["speech"] = round(time.perf_counter() - start, 3)
    return evidence


def _relative_audio(audio_path, out: Path) -> str:
    return os.path.relpath(Path(audio_path).resolve(), out.resolve())


def transcribe_call(audio_path, out_dir, cfg: Options | dict, hook: Hook = silent,
                    vendor_path=None) -> tuple[Transcript, list[Path]]:
    """`callfix transcribe`: one call's speech evidence, written as asr.json, .txt, .srt and .vtt in ``out_dir``.
    With ``vendor_path`` the decoder is prompted with that call's glossary, as `callfix run` prompts it."""
    opts = Options.of(cfg)
    out = Path(out_dir)
    glossary = glossary_for(read_vendor(vendor_path), opts.align) if vendor_path else None
    audio = decode(audio_path, out, opts.audio.max_duration_hours)
    t = stage_transcribe(audio, opts, cache_dir=None, hook=hook, glossary=glossary)
    return t, write_asr_outputs(t, out)


def correct_transcript(asr_path, vendor_path, out_dir, cfg: Options | dict,
                       review: bool = True) -> tuple[Transcript, list[Path]]:
    """`callfix align`: correct a vendor transcript from speech evidence already made (no audio model runs)."""
    opts = Options.of(cfg)
    vendor = read_vendor(vendor_path)
    evidence = Transcript.load(asr_path)
    formats = check_formats(opts.run.formats)
    result = align_call(evidence, vendor, opts.align)
    paths = write_outputs(result, out_dir, formats=formats)
    if review:
        paths.append(render_review(out_dir, audio=None))
    return result, paths
