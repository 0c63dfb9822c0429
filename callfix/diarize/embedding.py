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
from callfix.errors import ModelMissingError

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
        return model

    @property
    def dimension(self) -> int:
        return self._dimension

    def fbank(self, waveform: torch.Tensor) -> torch.Tensor:
        """(samples,) float in [-1, 1] -> (frames, mel), as 3D-Speaker computes it for CAM++."""
        return kaldi.fbank(waveform.unsqueeze(0), num_mel_bins=self.num_mel_bins,
                           sample_frequency=self.hparams.sample_rate, dither=0.0)

    def forward(self, waveforms: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        batch = waveforms.shape[0]
        out = torch.full((batch, self._dimension), float("nan"), device=waveforms.device)
        for b in range(batch):
            feats = self.fbank(waveforms[b].mean(dim=0))
            if weights is not None:
                w = weights[b].float().reshape(1, 1, -1)
                keep = F.interpolate(w, size=feats.shape[0], mode="nearest").reshape(-1) > 0.5
                feats = feats[keep]
            if feats.shape[0] < self.min_frames:
                if weights is None:
                    # pyannote probes the shortest input a model accepts (min_num_samples) and, when a
                    # speaker's overlap-free speech is shorter, embeds all of their speech instead
                    raise ValueError(f"CAM++ needs at least {self.min_frames} fbank frames, got {feats.shape[0]}")
                continue  # NaN row: pyannote leaves it out of clustering
            feats = feats - feats.mean(dim=0, keepdim=True)
            out[b] = self.net(feats.unsqueeze(0))[0]
        return out
