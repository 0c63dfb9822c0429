"""Who spoke when: pyannote.audio's SpeakerDiarization on locally stored weights.

The default ("callfix-default") assembles pyannote 4's ``SpeakerDiarization`` from the model
store: a pyannote segmentation model and the CAM++ embedding wrapped as a pyannote ``Model``,
reading a decoded call block by block (``windowed.py``). Any other ``diarize.pipeline`` value —
a pipeline folder, a config.yaml, or a hub name (with ``hub_token``) — is loaded with
``Pipeline.from_pretrained``; both run through the same ``apply`` call and the same conversion
to ``Turn``.
"""
from __future__ import annotations

import bisect
import contextlib
import logging
import os
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from callfix import store
from callfix.audio import Audio  # noqa: E402
from callfix.diarize import clustering as ours_module
from callfix.diarize.embedding import CHECKPOINT, CamPlusEmbedding
from callfix.diarize.windowed import WindowedSpeakerDiarization
from callfix.errors import CallfixError, InputError, ModelMissingError  # noqa: E402
from callfix.model import Turn  # noqa: E402
from callfix.options import DiarizeOptions, Options, from_dict, section, to_dict  # noqa: E402
from callfix.progress import Hook, silent  # noqa: E402
from callfix.turns import Turns, merge_spans  # noqa: E402

DEFAULT = "callfix-default"
OURS = ("SpectralClustering", "SilhouetteAgglomerativeClustering")  # callfix/diarize/clustering.py

_CACHE: dict[str, Any] = {}


def _no_plda():
    """A PLDA value for pipelines that cluster without PLDA.

    pyannote.audio 4's ``SpeakerDiarization.__init__`` always resolves its ``plda`` argument and
    rejects ``None``; an instance is returned as is. Only VBx clustering reads it, and the default
    here is agglomerative, so this value refuses use instead of carrying fake parameters.
    """
    from pyannote.audio.core.plda import PLDA

    class NoPLDA(PLDA):
        def __init__(self):  # no transform files: nothing to load
            self.lda_dimension = 0

        def __call__(self, embeddings):
            raise CallfixError("this pipeline has no PLDA: use diarize.clustering other than VBxClustering")

    return NoPLDA()


def _load_segmentation(name: str):
    if name in store.catalog():
        path = store.locate(name) / "pytorch_model.bin"
    else:
        path = Path(name)
        if not path.exists():
            raise ModelMissingError(f"{name}: segmentation model not found (a store name or a local path)")
    # Old Lightning checkpoints make Lightning log an "upgraded your checkpoint" notice: not news for a user.
    quiet = [logging.getLogger(n) for n in ("lightning", "lightning.pytorch", "lightning.fabric", "pytorch_lightning")]
    levels = [lg.level for lg in quiet]
    try:
        for lg in quiet:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings(), contextlib.redirect_stdout(open(os.devnull, "w")):
            warnings.simplefilter("ignore")
            return store.load_pyannote_model(path)  # weights only: a model file never runs code
    finally:
        for lg, lv in zip(quiet, levels):
            lg.setLevel(lv)


def _load_embedding(name: str, runtime: str = "onnx"):
    if runtime not in ("onnx", "torch"):
        raise CallfixError(f"diarize.embedding_runtime={runtime}: use onnx or torch")
    p = Path(name)
    if name in store.catalog():
        p = store.locate(name)
    elif not (p.suffix == ".pt" or (p.is_dir() and (p / CHECKPOINT).is_file())):
        # a local pyannote embedding checkpoint, loaded as weights only; a hub name: pyannote resolves it
        return store.load_pyannote_model(p) if p.exists() else name
    model = CamPlusEmbedding.from_folder(p)
    model.use_onnx(runtime == "onnx")
    return model


def _default_pipeline(d: DiarizeOptions):
    seg = _load_segmentation(d.segmentation or "pyannote-segmentation")
    emb = _load_embedding(d.embedding or "campplus-cn-en", d.embedding_runtime or "onnx")
    clustering = d.clustering or "SpectralClustering"
    ours = clustering in OURS
    pipe = WindowedSpeakerDiarization(
        segmentation=seg,
        segmentation_step=float(d.segmentation_step),
        embedding=emb,
        embedding_exclude_overlap=d.embedding_exclude_overlap,
        plda=_no_plda(),
        clustering="AgglomerativeClustering" if ours else clustering,
        embedding_batch_size=d.embedding_batch_size,
        segmentation_batch_size=d.segmentation_batch_size,
    )
    pipe.count_threshold = None if d.count_threshold is None else float(d.count_threshold)
    pipe.count_min_seconds = float(d.count_min_seconds)
    if ours:
        pipe.clustering = getattr(ours_module, clustering)(metric=pipe._embedding.metric)
    params: dict[str, Any] = {"segmentation": {"min_duration_off": float(d.min_duration_off)}}
    if not pipe._segmentation.model.specifications.powerset:
        params["segmentation"]["threshold"] = float(d.segmentation_threshold)
    if clustering in ("AgglomerativeClustering", *OURS):
        params["clustering"] = {"method": d.method, "threshold": float(d.threshold),
                                "min_cluster_size": d.min_cluster_size}
        if clustering == "SilhouetteAgglomerativeClustering":
            params["clustering"]["min_silhouette"] = float(d.min_silhouette)
        if clustering == "SpectralClustering":
            params["clustering"].update(pval=float(d.pval), min_neighbours=d.min_neighbours,
                                        merge_similarity=float(d.merge_similarity))
    else:
        raise CallfixError(f"diarize.clustering={clustering}: the default pipeline supports "
                           f"{', '.join(OURS)} and AgglomerativeClustering")
    pipe.instantiate(params)
    return pipe


def _user_pipeline(d: DiarizeOptions):
    from pyannote.audio import Pipeline

    name = str(d.pipeline)
    local = Path(name).expanduser()
    if local.exists():
        name = str(local)
    elif name.startswith((".", "/", "~")) or name.endswith((".yaml", ".yml")):
        raise InputError(f"{name}: pyannote pipeline not found")
    try:
        pipe = Pipeline.from_pretrained(name, token=d.hub_token)
    except Exception as e:  # hub unreachable, missing token, malformed config: one clear line
        raise ModelMissingError(f"cannot load pyannote pipeline '{name}': {e.__class__.__name__}: {e}") from None
    if pipe is None:
        raise ModelMissingError(f"cannot load pyannote pipeline '{name}' (not found, or the hub needs hub_token)")
    return pipe


def load_pipeline(d: DiarizeOptions | dict):
    """The configured pipeline, built once per process and configuration (``d``: the diarize options, or that
    section as a dict)."""
    d = d if isinstance(d, DiarizeOptions) else from_dict(DiarizeOptions, d, "diarize")
    key = repr(sorted((k, repr(v)) for k, v in to_dict(d).items()
                      if k not in ("num_speakers", "min_speakers", "max_speakers", "structure")))
    if key not in _CACHE:
        _CACHE.clear()
        with _threads(d.torch_threads or 1):
            _CACHE[key] = _default_pipeline(d) if str(d.pipeline or DEFAULT) == DEFAULT else _user_pipeline(d)
    return _CACHE[key]


@contextlib.contextmanager
def _threads(n: int):
    # The small LSTM/conv models stall with 2 intra-op threads on a 2-core box.
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _speaker_bounds(d: DiarizeOptions) -> dict:
    out = {}
    for k in ("num_speakers", "min_speakers", "max_speakers"):
        v = getattr(d, k)
        if v is not None:
            v = int(v)
            if v < 1:
                raise InputError(f"diarize.{k}={v}: must be at least 1")
            out[k] = v
    if "min_speakers" in out and "max_speakers" in out and out["min_speakers"] > out["max_speakers"]:
        raise InputError(f"diarize: min_speakers={out['min_speakers']} is above max_speakers={out['max_speakers']}")
    return out


class _BatchHook:
    """pyannote hook wrapper run after every batch: stops a cancelled run, and hands freed heap
    memory back to the system every few batches.

    Embedding thousands of variable-length chunks leaves glibc holding freed blocks, so RSS grew
    with call length (+290 MB for 11 min, ~1.4 GB for an hour). ``malloc_trim`` returns them;
    a fixed mmap threshold would too, but made diarization a third slower.
    """

    every = 32

    def __init__(self, hook: Hook):
        self.hook, self.n = hook, 0
        try:
            import ctypes

            self.trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self.trim = None  # not glibc

    def __call__(self, step_name, step_artefact=None, file=None, total=None, completed=None):
        self.hook(step_name, step_artefact, completed=completed, total=total)
        self.n += 1
        if self.trim is not None and self.n % self.every == 0:
            self.trim(0)


def diarize_waveform(samples: np.ndarray, cfg: DiarizeOptions | Options | dict, hook: Hook = silent,
                     uri: str = "call") -> list[Turn]:
    """Diarize 16 kHz mono samples held in memory."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size < 16000 // 10:  # under 0.1 s: nothing to segment
        return []
    file = {"waveform": torch.from_numpy(np.ascontiguousarray(samples))[None], "sample_rate": 16000, "uri": uri}
    return _apply(file, cfg, hook)


def diarize_audio(audio: Audio, cfg: DiarizeOptions | Options | dict, hook: Hook = silent) -> list[Turn]:
    """Diarize a decoded call, read from its WAV a block at a time; an empty list when nobody speaks.

    ``cfg``: the diarize options (or the options, or a whole config dict).

    ``hook`` hears every pyannote step and batch (callfix.progress); one that raises stops the run there.
    """
    if audio.n_samples < audio.sample_rate // 10:
        return []
    file = {"audio": str(audio.wav), "uri": Path(audio.source).stem or "call", "callfix_audio": audio}
    return _apply(file, cfg, hook)


def _apply(file: dict, cfg, hook: Hook) -> list[Turn]:
    d = section(cfg, DiarizeOptions)
    bounds = _speaker_bounds(d)
    pipe = load_pipeline(d)
    with _threads(d.torch_threads or 1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = pipe(file, hook=_BatchHook(hook), **bounds)
    annotation = getattr(out, "speaker_diarization", out)
    return fill_pauses(Turns.from_annotation(annotation).turns, d.fill_pauses)


def fill_pauses(turns: list[Turn], max_gap: float) -> list[Turn]:
    """Join a speaker's consecutive turns across a pause of at most ``max_gap`` seconds in which
    nobody else speaks.

    A speaker's breath between two sentences is still their turn (references and a reader count it
    so); pyannote's ``min_duration_off`` fills such gaps too, but also over another speaker's reply,
    which turned a quick exchange into overlap."""
    if max_gap <= 0 or len(turns) < 2:
        return turns
    by_speaker: dict[str, list[Turn]] = {}
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        by_speaker.setdefault(t.speaker, []).append(t)
    out = []
    for speaker, own in by_speaker.items():
        others = merge_spans([(t.start, t.end) for t in turns if t.speaker != speaker])
        starts = [a for a, _ in others]

        def heard(a: float, b: float) -> bool:  # does another speaker talk inside (a, b)?
            i = bisect.bisect_left(starts, b)  # spans starting before b
            return i > 0 and others[i - 1][1] > a

        cur = Turn(speaker, own[0].start, own[0].end)
        for t in own[1:]:
            if t.start - cur.end <= max_gap and not heard(cur.end, t.start):
                cur = Turn(speaker, cur.start, max(cur.end, t.end))
            else:
                out.append(cur)
                cur = Turn(speaker, t.start, t.end)
        out.append(cur)
    return sorted(out, key=lambda t: (t.start, t.end))
