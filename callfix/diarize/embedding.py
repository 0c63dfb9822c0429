"""CAM++ as a pyannote.audio ``Model``: the speaker-embedding seam of ``SpeakerDiarization``.

pyannote calls ``model(waveforms, weights=masks)`` with one (chunk, local speaker) pair per row:
``waveforms`` (batch, 1, samples) and ``weights`` (batch, frames) the segmentation activity of
that speaker on the segmentation model's frame grid. CAM++'s context-aware masking looks at the
whole input, so rather than weighting a pooled statistic we keep only the fbank frames where
the speaker is active and embed those: other voices in the chunk never reach the network.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
import torchaudio.compliance.kaldi as kaldi
from pyannote.audio.core.model import Model

from callfix.diarize.campplus import CAMPPlus
from callfix.errors import ModelMissingError, OutputError
from callfix.io.atomic import atomic_write_bytes, atomic_write_text
from callfix.io.hashing import sha256_memo

CHECKPOINT = "campplus_cn_en_common.pt"
MIN_FRAMES = 20  # 0.2 s of 10 ms fbank frames: below this the embedding is noise -> NaN row


class CamPlusEmbedding(Model):
    def __init__(self, sample_rate: int = 16000, num_mel_bins: int = 80, embedding_size: int = 192,
                 min_frames: int = MIN_FRAMES):
        super().__init__(sample_rate=sample_rate, num_channels=1)
        self.num_mel_bins = num_mel_bins
        self.min_frames = min_frames
        self.net = CAMPPlus(feat_dim=num_mel_bins, embedding_size=embedding_size)
        self._dimension = embedding_size
        self.onnx_path: Path | None = None  # where the ONNX export is kept
        self._sessions: dict | None = None  # ONNX Runtime sessions by thread count; None: run torch

    @classmethod
    def from_folder(cls, folder: str | Path) -> "CamPlusEmbedding":
        path = Path(folder)
        if path.is_dir():
            path = path / CHECKPOINT
        if not path.is_file():
            raise ModelMissingError(f"{path}: CAM++ checkpoint not found")
        state = torch.load(path, map_location="cpu", weights_only=True)
        dim = state["xvector.dense.linear.weight"].shape[0]
        model = cls(embedding_size=dim)
        model.net.load_state_dict(state, strict=True)
        model.eval()
        model.onnx_path = path.with_suffix(".onnx")
        return model

    def use_onnx(self, enabled: bool = True) -> None:
        """Run the network with ONNX Runtime (same embeddings, about 1.7x faster on a CPU than torch)."""
        self._sessions = {} if enabled else None

    def _net(self, feats: torch.Tensor) -> torch.Tensor:
        if self._sessions is None or feats.device.type != "cpu":
            return self.net(feats)
        threads = torch.get_num_threads()  # the diarization stage's torch_threads
        if threads not in self._sessions:
            self._sessions[threads] = onnx_session(self.net, self.num_mel_bins, self.onnx_path, threads)
        (emb,) = self._sessions[threads].run(None, {"feats": feats.numpy()})
        return torch.from_numpy(emb)

    @property
    def dimension(self) -> int:
        return self._dimension

    def num_frames(self, samples: int) -> int:
        """fbank frames of ``samples``: Kaldi's 25 ms windows every 10 ms, edges snipped."""
        size, shift = int(0.025 * self.hparams.sample_rate), int(0.010 * self.hparams.sample_rate)
        return 0 if samples < size else 1 + (samples - size) // shift

    def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        """(samples,) float in [-1, 1] -> (frames, mel), as 3D-Speaker computes it for CAM++."""
        return kaldi.fbank(waveform.unsqueeze(0), num_mel_bins=self.num_mel_bins,
                           sample_frequency=self.hparams.sample_rate, dither=0.0)

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        batch = waveforms.shape[0]
        out = torch.full((batch, self._dimension), float("nan"), device=waveforms.device)
        for b in range(batch):
            keep = None
            if weights is not None:
                w = weights[b].float().reshape(1, 1, -1)
                keep = F.interpolate(w, size=self.num_frames(waveforms.shape[-1]), mode="nearest").reshape(-1) > 0.5
                if int(keep.sum()) < self.min_frames:
                    # too little speech (a silent speaker: most rows): no fbank; a NaN row, which
                    # pyannote leaves out of clustering
                    continue
            feats = self.fbank(waveforms[b].mean(dim=0))
            if keep is not None:
                feats = feats[keep]
            elif feats.shape[0] < self.min_frames:
                # pyannote probes the shortest input a model accepts (min_num_samples) and, when a
                # speaker's overlap-free speech is shorter, embeds all of their speech instead
                raise ValueError(f"CAM++ needs at least {self.min_frames} fbank frames, got {feats.shape[0]}")
            feats = feats - feats.mean(dim=0, keepdim=True)
            out[b] = self._net(feats.unsqueeze(0))[0]
        return out


def onnx_session(net: torch.nn.Module, feat_dim: int, path: Path | None, threads: int):
    """An ONNX Runtime session for CAM++, exported once next to its checkpoint (or in memory when that
    folder is read-only).

    The export is trusted only when its bytes hash to what the note beside it records, for the
    checkpoint it came from; a damaged or stale export, or one ONNX Runtime cannot load, is made again."""
    model = _stored_export(path)
    if model is not None:
        try:
            return _session(model, threads)
        except Exception:  # onnxruntime's InvalidProtobuf/Fail: not worth a failed call, export again
            model = None
    model = _export(net, feat_dim)
    if path is not None:
        _store_export(path, model)
    return _session(model, threads)


def _session(model: bytes, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def _note(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _source_id(path: Path) -> dict:
    src = path.with_suffix(".pt")
    return {"checkpoint_sha256": sha256_memo(src) if src.is_file() else None, "torch": torch.__version__}


def _stored_export(path: Path | None) -> bytes | None:
    import hashlib
    import json

    if path is None or not path.is_file():
        return None
    try:
        note = json.loads(_note(path).read_text(encoding="utf-8"))
        model = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(note, dict) or note.get("sha256") != hashlib.sha256(model).hexdigest() \
            or note.get("source") != _source_id(path):
        return None
    return model


def _store_export(path: Path, model: bytes) -> None:
    import hashlib
    import json

    try:
        atomic_write_bytes(path, model)
        atomic_write_text(_note(path), json.dumps({"sha256": hashlib.sha256(model).hexdigest(),
                                                   "source": _source_id(path)}))
    except (OSError, OutputError):
        pass  # a read-only store: export again in the next process


def _export(net: torch.nn.Module, feat_dim: int) -> bytes:
    import io
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(net.eval(), (torch.zeros(1, 200, feat_dim),), buf,
                          input_names=["feats"], output_names=["emb"], dynamic_axes={"feats": {1: "frames"}},
                          dynamo=False, opset_version=17)
    return buf.getvalue()
