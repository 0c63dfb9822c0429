"""pyannote's SpeakerDiarization reading the call a block at a time, so memory stays flat.

The stock pipeline loads the whole waveform for segmentation and keeps it for the embedding
crops: 3.8 MB a minute as float32, over 700 MB for a 3 h call, plus transient copies. Here
segmentation slides over blocks read from the decoded WAV on the same chunk grid as one pass
over the whole file would use, so its output is the same chunks in the same order; the
embedding step crops each chunk from the WAV with the same sample arithmetic as pyannote's
in-memory crop (opening a decoder per chunk cost 10 ms each, 8 % of diarization).
"""
from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F
from pyannote.audio.core.io import Audio as PyannoteAudio
from pyannote.audio.pipelines import SpeakerDiarization
from pyannote.audio.utils.signal import binarize
from pyannote.core import SlidingWindow, SlidingWindowFeature


def chunk_grid(n_samples: int, window: int, step: int) -> int:
    """Chunks pyannote's ``Inference.slide`` makes over ``n_samples``, the padded last one included."""
    full = (n_samples - window) // step + 1 if n_samples >= window else 0
    return full + int(n_samples < window or (n_samples - window) % step > 0)


def blocks(n_samples: int, window: int, step: int, per_block: int):
    """Sample spans ``[a, b)`` whose slides, concatenated, give the chunks of one whole-file slide.

    Every block but the last holds exactly ``per_block`` complete chunks (``a`` is a multiple of
    the step, ``b - a = per_block * step + window - step``); the last runs to the end and so makes
    the same padded final chunk the whole-file slide makes.
    """
    span = per_block * step
    a = 0
    while a + span - step + window < n_samples:
        yield a, a + span - step + window
        a += span
    yield a, n_samples


class WindowedSpeakerDiarization(SpeakerDiarization):
    """Give ``apply`` a file with ``"audio"`` (the 16 kHz mono WAV) and ``"callfix_audio"``
    (its :class:`callfix.audio.Audio`); any other file is handled as pyannote does."""

    block_chunks = 600  # segmentation chunks per block: 10 min of audio at the default 1 s step

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if hasattr(self, "_audio"):  # pyannote's reader for the embedding crops
            self._audio = BlockAudio(sample_rate=self._audio.sample_rate, mono="downmix")

    count_min_seconds = 0.0  # a voice the lower onset adds must last this long
    count_threshold: float | None = None  # onset of the per-frame speaker count (None: the segmentation's own)

    def setup_hook(self, file, hook=None):
        """pyannote's hook, also keeping the raw segmentation it reports for the speaker count."""
        inner = SpeakerDiarization.setup_hook(file, hook=hook)
        self._raw_segmentations = None

        def keep(step_name, step_artefact=None, **kwargs):
            if step_name == "segmentation" and isinstance(step_artefact, SlidingWindowFeature):
                self._raw_segmentations = step_artefact
            return inner(step_name, step_artefact, **kwargs)

        return keep

    def speaker_count(self, binarized_segmentations, frames, warm_up=(0.1, 0.1)):
        """The per-frame speaker count; where the raw segmentation at the lower ``count_threshold``
        hears more voices for at least ``count_min_seconds``, that count.

        On far-field meetings the 2022 model scores a quiet or overlapping voice at 0.3-0.5, under
        the 0.5 onset (a fifth of the missed speech on the AMI clips). Lowering the onset for everything
        also changed the embeddings (worse on the dev clips) and lengthened every turn edge (false
        alarm on the synthetic calls); here only the count moves, and only for stretches long
        enough not to be a turn edge (scripts/der_eval.py, README "Diarization")."""
        raw = getattr(self, "_raw_segmentations", None)
        if (self.count_threshold is not None and raw is not None
                and not self._segmentation.model.specifications.powerset
                and raw.data.shape == binarized_segmentations.data.shape):
            own = SpeakerDiarization.speaker_count(binarized_segmentations, frames, warm_up=warm_up)
            low = SpeakerDiarization.speaker_count(binarize(raw, onset=float(self.count_threshold),
                                                            initial_state=False), frames, warm_up=warm_up)
            n = min(len(own.data), len(low.data))
            add = _long_runs(low.data[:n, 0] > own.data[:n, 0], round(self.count_min_seconds / frames.step))
            own.data[:n, 0] = np.where(add, low.data[:n, 0], own.data[:n, 0])
            return own
        return SpeakerDiarization.speaker_count(binarized_segmentations, frames, warm_up=warm_up)

    def get_segmentations(self, file, hook=None) -> SlidingWindowFeature:
        audio = _call_audio(file)
        if audio is None or self.training:
            return super().get_segmentations(file, hook=hook)
        inference = self._segmentation
        window = inference.model.audio.get_num_samples(inference.duration)
        step = round(inference.step * audio.sample_rate)
        total = chunk_grid(audio.n_samples, window, step)
        report = functools.partial(hook, "segmentation", None) if hook is not None else None
        done, parts = 0, []
        for a, b in blocks(audio.n_samples, window, step, self.block_chunks):
            waveform = torch.from_numpy(audio.read(a, b))[None]
            block_hook = functools.partial(_offset, report, done, total) if report is not None else None
            out = inference.slide(waveform, audio.sample_rate, hook=block_hook)
            parts.append(out.data)
            done += len(out.data)
        return SlidingWindowFeature(np.vstack(parts), SlidingWindow(start=0.0, duration=inference.duration,
                                                                     step=inference.step))


def _long_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    """``mask`` keeping only its runs of at least ``min_len`` True values."""
    if min_len <= 1 or not mask.any():
        return mask
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = np.zeros_like(mask)
    for a, b in zip(starts, ends):
        if b - a >= min_len:
            out[a:b] = True
    return out


def _call_audio(file):
    """The :class:`callfix.audio.Audio` behind a pyannote file, if it is one of ours."""
    return file.get("callfix_audio") if hasattr(file, "get") else None


def _offset(report, offset: int, whole: int, completed: int = 0, total: int | None = None) -> None:
    """Inference.slide counts chunks of its own block; report them as chunks of the whole call."""
    report(completed=min(whole, offset + int(completed)), total=whole)


class BlockAudio(PyannoteAudio):
    """pyannote's ``Audio`` that crops a ``"callfix_audio"`` file straight from its WAV."""

    def crop(self, file, segment, mode="raise"):
        audio = _call_audio(file)
        if audio is None or mode != "pad" or audio.sample_rate != self.sample_rate:
            return super().crop(file, segment, mode=mode)
        a = self.get_num_samples(segment.start, audio.sample_rate)
        b = self.get_num_samples(segment.end, audio.sample_rate)
        pad_start, pad_end = max(0, -a), max(b, audio.n_samples) - audio.n_samples
        data = torch.from_numpy(audio.read(max(0, a), min(b, audio.n_samples)))[None]
        return F.pad(data, (pad_start, pad_end)), audio.sample_rate
