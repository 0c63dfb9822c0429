"""Two Whisper backends behind one interface: language probabilities and chunk transcription.

Loaded models are cached per process (keyed by backend, model, device, compute type) so a batch
worker or Ray actor loads each model once, not once per call.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from callfix import store
from callfix.asr.convert import converted_path
from callfix.asr.score import score_faster_whisper, score_openai_whisper
from callfix.errors import CallfixError, ModelMissingError
from callfix.options import AsrOptions, Options, from_dict, section

_LOADED: dict[tuple, "Backend"] = {}
LOAD_COUNT = {"n": 0}  # observable by batch tests: models load once per worker


@dataclass
class RawWord:
    text: str
    start: float
    end: float
    probability: float


@dataclass
class RawSegment:
    text: str
    start: float
    end: float
    words: list[RawWord]
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:
        return "cpu"


def _resolve_model(name: str) -> str:
    """A store name → its folder; a local path as is; anything else is a hub name for the backend."""
    if name in store.catalog():
        return str(store.locate(name))
    if os.path.exists(name):
        return name
    return name


def _lang_dict(result) -> dict[str, float]:
    return {token[2:-2]: p for token, p in result}


class Backend:
    name = "?"

    def language_probs(self, audio: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def stretch_language(self, audio: np.ndarray) -> dict[str, float]:
        """Language probabilities of a stretch of a few seconds heard on its own (no neighbours in its window)."""
        return self.language_probs(audio)

    def language_spans(self, audio: np.ndarray, spans: list[tuple[float, float]]):
        """Language probabilities of the whole window and of each span (seconds from its start).

        This generic form pays an encoder pass per span; faster-whisper reuses the window's pass.
        """
        whole = self.language_probs(audio)
        sr = 16000
        return whole, [self.language_probs(audio[int(s * sr):int(e * sr)]) for s, e in spans]

    def transcribe(self, audio: np.ndarray, language: str, opts: dict, prompt: str | None) -> list[RawSegment]:
        raise NotImplementedError

    def score_texts(self, audio: np.ndarray, texts: list[str], language: str, prompt: str | None = None) -> list:
        """Each text's teacher-forced log-likelihood over ``audio`` (one window, ≤ 30 s)."""
        raise NotImplementedError


ALONE_SECONDS = 5.0  # a stretch identified on its own is heard in a window this long


def _memo_model_class():
    from faster_whisper import WhisperModel
    from faster_whisper.audio import pad_or_trim

    class MemoWhisperModel(WhisperModel):
        """WhisperModel that encodes a 30 s window once for both language ID and decoding.

        Language ID and the decoder each run the encoder on the same window; on a CPU that
        second pass costs as much as a quarter of the decoding. ``language_window`` encodes the
        window exactly as the decoder's first step will, so that step finds it here.
        """

        memo_size = 4

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._memo: list[tuple[np.ndarray, object]] = []
            self.memo_hits = 0

        def language_window(self, audio: np.ndarray, spans=()):
            """Language of the whole window, then of each (start, end) span in seconds inside it.

            A span is identified from its own frames of the window's encoder output: the decoder's
            language step is cheap, the encoder pass is the cost, so one pass serves every span.
            """
            features = self.feature_extractor(audio)
            window = pad_or_trim(features[:, : min(self.feature_extractor.nb_max_frames, features.shape[-1] - 1)])
            encoded = super().encode(window)
            self._memo = [(window, encoded), *self._memo[: self.memo_size - 1]]
            whole = self.model.detect_language(encoded)[0]
            if not spans:
                return whole
            import ctranslate2

            frames = np.asarray(encoded if encoded.device == "cpu" else encoded.to_device(ctranslate2.Device.cpu))
            per_second = frames.shape[1] / 30.0
            parts = []
            for s, e in spans:
                f0 = min(max(0, int(s * per_second)), frames.shape[1] - 1)
                f1 = min(frames.shape[1], max(f0 + 1, int(np.ceil(e * per_second))))
                part = ctranslate2.StorageView.from_array(np.ascontiguousarray(frames[:, f0:f1]))
                parts.append(self.model.detect_language(part)[0])
            return whole, parts

        def language_alone(self, audio: np.ndarray):
            """Language of a short stretch from an encoder pass over its own frames, with silence after
            it up to ``ALONE_SECONDS``.

            CTranslate2 encodes fewer than 3000 frames at a cost in proportion to them: a 5 s window
            costs an eighth of a padded 30 s one. On the code-switched test calls' pieces of 1 s and
            more, a piece identified so was right as often as from a padded 30 s window or more often;
            without the silence after it, a tightly cut piece of phone audio was less sure.
            """
            import ctranslate2

            short = ALONE_SECONDS * 16000 - len(audio)
            if short > 0:
                audio = np.concatenate([audio, np.zeros(int(short), dtype=audio.dtype)])
            features = self.feature_extractor(audio)
            n = min(self.feature_extractor.nb_max_frames, features.shape[-1] - 1)
            frames = np.ascontiguousarray(features[None, :, :n], dtype=np.float32)
            return self.model.detect_language(self.model.encode(ctranslate2.StorageView.from_array(frames)))[0]

        def encode(self, features: np.ndarray):
            for i, (window, encoded) in enumerate(self._memo):
                if window.shape == features.shape and np.array_equal(window, features):
                    del self._memo[i]  # a window is decoded once
                    self.memo_hits += 1
                    return encoded
            return super().encode(features)

    return MemoWhisperModel


class FasterWhisperBackend(Backend):
    name = "faster-whisper"

    def __init__(self, model: str, device: str, compute_type: str, cpu_threads: int):
        path = _resolve_model(model)
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        try:
            self.model = _memo_model_class()(
                path, device=device, compute_type=compute_type, cpu_threads=cpu_threads, local_files_only=True
            )
        except Exception as e:  # the hub lookup or a bad folder: say which model and how to get one
            raise ModelMissingError(
                f"cannot load faster-whisper model '{model}' ({e.__class__.__name__}: {str(e)[:160]}); "
                f"use the store model 'whisper-base' (callfix models pull) or a local CTranslate2 folder"
            ) from None
        LOAD_COUNT["n"] += 1

    def language_probs(self, audio: np.ndarray) -> dict[str, float]:
        return {token[2:-2]: p for token, p in self.model.language_window(audio)}

    def stretch_language(self, audio):
        return _lang_dict(self.model.language_alone(audio))

    def language_spans(self, audio, spans):
        whole, parts = self.model.language_window(audio, spans)
        return _lang_dict(whole), [_lang_dict(p) for p in parts]

    def score_texts(self, audio, texts, language, prompt=None):
        return score_faster_whisper(self.model, audio, texts, language, prompt)

    def _within_room(self, max_new_tokens: int | None, language: str, prompt: str | None) -> int | None:
        """``max_new_tokens`` within the model's length less the prompt: faster-whisper refuses more."""
        if max_new_tokens is None:
            return None
        from faster_whisper.tokenizer import Tokenizer

        tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language)
        return max(1, min(max_new_tokens, self.model.max_length - len(self.model.get_prompt(tok, [], hotwords=prompt))))

    def transcribe(self, audio, language, opts: AsrOptions | dict, prompt):
        import ctranslate2

        opts = _asr(opts)
        ctranslate2.set_random_seed(0)  # the temperature fallback samples: start each unit from one seed
        segments, _ = self.model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=opts.beam_size,
            temperature=list(opts.temperatures),
            best_of=int(opts.best_of or 1),
            compression_ratio_threshold=opts.compression_ratio_threshold,
            log_prob_threshold=opts.log_prob_threshold,
            no_speech_threshold=opts.no_speech_threshold,
            condition_on_previous_text=opts.condition_on_previous_text,
            word_timestamps=opts.word_timestamps,
            hotwords=prompt,
            max_new_tokens=self._within_room(opts.max_new_tokens, language, prompt),
            vad_filter=False,  # chunks come from our own VAD pass
        )
        return [
            RawSegment(
                s.text, s.start, s.end,
                [RawWord(w.word, w.start, w.end, w.probability) for w in (s.words or [])],
                s.avg_logprob, s.no_speech_prob, s.compression_ratio,
            )
            for s in segments
        ]


class OpenAIWhisperBackend(Backend):
    name = "openai-whisper"

    def __init__(self, model: str, device: str, compute_type: str, cpu_threads: int):
        import torch
        import whisper

        torch.set_num_threads(max(1, cpu_threads))
        self.device = device
        self.fp16 = device == "cuda" and compute_type in ("auto", "float16")
        path = self._checkpoint(model)
        heads = None
        try:
            if os.path.isfile(path):  # read the checkpoint once: weights and our alignment heads
                # weights only: a checkpoint that needs code to unpickle is refused (store.load_checkpoint)
                ckpt = store.load_checkpoint(path, path)
                self.model = whisper.model.Whisper(whisper.model.ModelDimensions(**ckpt["dims"]))
                self.model.load_state_dict(ckpt["model_state_dict"])
                self.model = self.model.to(device)
                heads = ckpt.get("alignment_heads")
            else:
                self.model = whisper.load_model(path, device=device)
        except ModelMissingError:
            raise
        except Exception as e:
            raise ModelMissingError(f"cannot load openai-whisper model '{model}' ({e.__class__.__name__}: {str(e)[:160]})") from None
        if heads:
            mask = torch.zeros(self.model.dims.n_text_layer, self.model.dims.n_text_head, dtype=torch.bool)
            for layer, head in heads:
                mask[layer, head] = True
            self.model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        LOAD_COUNT["n"] += 1

    @staticmethod
    def _checkpoint(model: str) -> str:
        if model in store.catalog():
            pt = converted_path(model)
            if not pt.is_file():
                raise ModelMissingError(
                    f"no openai-whisper checkpoint for '{model}' at {pt}; build it with: callfix models convert {model}"
                )
            return str(pt)
        return model  # a path to a .pt or an openai-whisper name (tiny, base, large-v3 …)

    def language_probs(self, audio):
        import whisper

        audio = whisper.pad_or_trim(audio.astype(np.float32))
        mel = whisper.log_mel_spectrogram(audio, self.model.dims.n_mels).to(self.device)
        _, probs = whisper.detect_language(self.model, mel)
        return dict(probs)

    def score_texts(self, audio, texts, language, prompt=None):
        return score_openai_whisper(self.model, audio, texts, language, prompt)

    def transcribe(self, audio, language, opts: AsrOptions | dict, prompt):
        import torch
        import whisper

        opts = _asr(opts)
        torch.manual_seed(0)  # the temperature fallback samples: start each unit from one seed
        result = whisper.transcribe(
            self.model,
            audio.astype(np.float32),
            language=language,
            task="transcribe",
            temperature=tuple(opts.temperatures),
            best_of=int(opts.best_of or 1),
            compression_ratio_threshold=opts.compression_ratio_threshold,
            logprob_threshold=opts.log_prob_threshold,
            no_speech_threshold=opts.no_speech_threshold,
            condition_on_previous_text=opts.condition_on_previous_text,
            word_timestamps=opts.word_timestamps,
            initial_prompt=prompt,
            beam_size=opts.beam_size if opts.temperatures and opts.temperatures[0] == 0 else None,
            fp16=self.fp16,
            verbose=None,
        )
        return [
            RawSegment(
                s["text"], s["start"], s["end"],
                [RawWord(w["word"], w["start"], w["end"], w["probability"]) for w in s.get("words", [])],
                s["avg_logprob"], s["no_speech_prob"], s["compression_ratio"],
            )
            for s in result["segments"]
        ]


BACKENDS = {"faster-whisper": FasterWhisperBackend, "openai-whisper": OpenAIWhisperBackend}


def load_backend(cfg: AsrOptions | Options | dict) -> Backend:
    """The Whisper of the asr options, loaded once per process (``cfg``: those options, the options, or a whole
    config dict)."""
    a = section(cfg, AsrOptions)
    if a.backend not in BACKENDS:
        raise CallfixError(f"unknown ASR backend '{a.backend}' (choose: {', '.join(BACKENDS)})")
    device = resolve_device(a.device)
    key = (a.backend, a.model, device, a.compute_type, a.cpu_threads)
    if key not in _LOADED:
        _LOADED[key] = BACKENDS[a.backend](a.model, device, a.compute_type, a.cpu_threads)
    return _LOADED[key]


def model_identity(a: AsrOptions) -> str:
    """What identifies the weights for caching: the store entry's sha256 or the given name/path."""
    name = a.model
    spec = store.catalog().get(name)
    if spec:
        return f"{name}:{spec['files']['model.bin']['sha256'][:16]}"
    p = Path(name)
    return f"{name}:{p.stat().st_mtime_ns}" if p.exists() else name


def _asr(opts: AsrOptions | dict) -> AsrOptions:
    """A decoding's options; a dict is the asr section as callfix/align/verify.py builds it for a window."""
    return opts if isinstance(opts, AsrOptions) else from_dict(AsrOptions, opts, "asr")
