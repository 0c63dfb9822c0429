"""Teacher-forced scoring: how well each of several texts explains one stretch of audio.

The Whisper decoder is forced through a given text over one encoded window and the
log-probabilities of its tokens are summed. Competing wordings of the same window share one
encoder pass, so scoring K wordings costs one encoder pass and one batched decoder pass.
"""
from __future__ import annotations

import importlib.util
import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np


@dataclass
class TextScore:
    """A wording's fit to its window: each token's log-probability (nats) and the character
    offset in ``text`` where that token ends, so a stretch of the text can be scored alone."""

    text: str
    token_logprobs: list[float]
    token_ends: list[int]

    @property
    def logprob(self) -> float:
        return sum(self.token_logprobs)

    @property
    def tokens(self) -> int:
        return len(self.token_logprobs)

    def span(self, start: int, end: int) -> float:
        """Summed log-probability of the tokens that end inside ``(start, end]`` characters."""
        return sum(lp for lp, e in zip(self.token_logprobs, self.token_ends) if start < e <= end)


def _encoded(tok, texts: list[str]) -> tuple[list[list[int]], list[int], list[TextScore]]:
    """Each text's tokens (encoded with the leading space Whisper writes), the indices of the
    non-empty ones, and the empty scores every text starts from."""
    ids = [tok.encode(" " + t) if t.strip() else [] for t in texts]
    return ids, [i for i, x in enumerate(ids) if x], [TextScore(t, [], []) for t in texts]


def _ends(tok, ids: list[int], text: str) -> list[int]:
    """Character offsets in ``text`` where each token ends (``ids`` encode " " + text)."""
    decoded, starts = tok.encoding.decode_with_offsets(ids)
    return [min(len(text), max(0, e - 1)) for e in [*starts[1:], len(decoded)]]


def _log(p: float) -> float:
    return math.log(max(float(p), 1e-12))


def _tokenizer(multilingual: bool, num_languages: int, language: str):
    """Whisper's own tiktoken BPE. The tokenizer.json beside a CTranslate2 model may split words
    off their space (" thank" as " " + "thank"), a path the decoder gives near-zero probability."""
    return _whisper_tokenizer().get_tokenizer(multilingual, num_languages=num_languages, language=language,
                                              task="transcribe")


@lru_cache(maxsize=1)
def _whisper_tokenizer():
    """openai-whisper's tokenizer module (tiktoken and its BPE tables only). Imported through its
    package it would load torch and the rest of openai-whisper first: 0.4 s with torch already loaded,
    for a call whose verification otherwise needs neither."""
    if "whisper.tokenizer" in sys.modules:
        return sys.modules["whisper.tokenizer"]
    spec = importlib.util.find_spec("whisper")  # finds the package without running its __init__
    path = Path(next(iter(spec.submodule_search_locations))) / "tokenizer.py"
    own = importlib.util.spec_from_file_location("callfix._whisper_tokenizer", path)
    module = importlib.util.module_from_spec(own)
    own.loader.exec_module(module)
    return module


def _prefix(tok, prompt: str | None) -> list[int]:
    """Start of the decoder's input: the prompt as previous text (as the decoder saw it), then the task."""
    head = [tok.sot_prev, *tok.encode(" " + prompt.strip())[-223:]] if prompt and prompt.strip() else []
    return [*head, *tok.sot_sequence, tok.no_timestamps]


def score_faster_whisper(model, audio: np.ndarray, texts: list[str], language: str,
                         prompt: str | None = None) -> list[TextScore]:
    """``model``: a faster_whisper.WhisperModel; ``audio``: 16 kHz mono float32, at most 30 s."""
    import ctranslate2
    from faster_whisper.audio import pad_or_trim

    if not texts:
        return []
    tok = _tokenizer(model.model.is_multilingual, model.model.num_languages, language)
    features = model.feature_extractor(audio)
    frames = min(model.feature_extractor.nb_max_frames, features.shape[-1] - 1)
    encoded = model.encode(pad_or_trim(features[:, :frames]))
    ids, batch, out = _encoded(tok, texts)
    host = hosts(ids, batch)
    batch = [i for i in batch if host[i] == i]
    if not batch:
        return out
    prefix, probs = _prefix(tok, prompt), {}
    if model.model.device == "cpu":
        # The decoder attends only to the encoder frames of the window's own audio (plus a little
        # of the padding): the scores barely move and the cross-attention costs a fraction of 30 s.
        # (The encoder itself needs its 30 s: without the padding, margins moved by a nat or more.)
        enc = np.asarray(encoded)
        keep = min(enc.shape[1], frames // 2 + 25)
        frames = min(frames, 2 * keep)
        for group in length_groups(ids, batch):
            # a batch is decoded padded to its longest row: rows far shorter go in a batch of their own
            memory = ctranslate2.StorageView.from_array(np.ascontiguousarray(np.repeat(enc[:, :keep], len(group), axis=0)))
            results = model.model.align(memory, prefix, [ids[i] for i in group], [frames] * len(group))
            probs.update({i: list(r.text_token_probs) for i, r in zip(group, results)})
    else:
        if len(batch) > 1:  # a GPU copy is re-encoded per row rather than moved to the host
            encoded = model.encode(np.repeat(pad_or_trim(features[:, :frames])[None], len(batch), axis=0))
        results = model.model.align(encoded, prefix, [ids[i] for i in batch], [frames] * len(batch))
        probs = {i: list(r.text_token_probs) for i, r in zip(batch, results)}
    for i, h in host.items():
        out[i] = TextScore(texts[i], [_log(p) for p in probs[h][: len(ids[i])]], _ends(tok, ids[i], texts[i]))
    return out


def length_groups(ids: list[list[int]], batch: list[int], ratio: float = 0.75) -> list[list[int]]:
    """Rows by length, longest first, in groups whose rows are at least ``ratio`` of the group's longest."""
    groups: list[list[int]] = []
    for i in sorted(batch, key=lambda i: -len(ids[i])):
        if groups and len(ids[i]) >= ratio * len(ids[groups[-1][0]]):
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def hosts(ids: list[list[int]], batch: list[int]) -> dict[int, int]:
    """For each row to score, the row whose decoding serves it: itself, or a longer row whose tokens
    begin with all of its own. The decoder reads left to right, so a token's probability depends only
    on the tokens before it: a row that repeats another's start (a wording cut after its last change,
    two stretches' wordings that coincide) costs nothing more."""
    out: dict[int, int] = {}
    kept: list[int] = []
    for i in sorted(batch, key=lambda i: -len(ids[i])):
        n = len(ids[i])
        out[i] = next((j for j in kept if ids[j][:n] == ids[i]), i)
        if out[i] == i:
            kept.append(i)
    return out


def score_openai_whisper(model, audio: np.ndarray, texts: list[str], language: str,
                         prompt: str | None = None) -> list[TextScore]:
    """The same scores from openai-whisper's decoder logits (its GPU path)."""
    import torch
    import whisper

    if not texts:
        return []
    tok = _tokenizer(model.is_multilingual, model.num_languages, language)
    device = next(model.parameters()).device
    mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(audio.astype(np.float32)), model.dims.n_mels).to(device)
    prefix = _prefix(tok, prompt)
    ids, batch, out = _encoded(tok, texts)
    if not batch:
        return out
    width = max(len(ids[i]) for i in batch) + len(prefix) + 1
    rows = torch.full((len(batch), width), tok.eot, dtype=torch.long)
    for r, i in enumerate(batch):
        seq = prefix + ids[i]
        rows[r, : len(seq)] = torch.tensor(seq)
    with torch.no_grad():
        features = model.embed_audio(mel[None].to(next(model.parameters()).dtype))
        logits = model.logits(rows.to(device), features.expand(len(batch), -1, -1))
        # Normalised over text tokens only, as Whisper's own alignment does.
        logp = torch.log_softmax(logits[:, :, : tok.eot].float(), dim=-1)
    for r, i in enumerate(batch):
        n = len(ids[i])
        steps = logp[r, len(prefix) - 1: len(prefix) - 1 + n]
        lp = steps.gather(1, torch.tensor(ids[i], device=steps.device)[:, None])[:, 0].tolist()
        out[i] = TextScore(texts[i], [float(x) for x in lp], _ends(tok, ids[i], texts[i]))
    return out
