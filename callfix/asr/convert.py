"""Build an openai-whisper checkpoint (.pt) from a CTranslate2 Whisper model.bin.

CTranslate2 fuses self-attention Q/K/V and cross-attention K/V into single linears and names
tensors its own way; openai-whisper keeps them apart. Splitting and renaming is lossless, so the
openai-whisper backend runs offline on the same real weights the faster-whisper backend uses.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np

from callfix import store
from callfix.errors import CallfixError
from callfix.io.atomic import atomic_path

_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def converted_path(name: str) -> Path:
    return store.home() / "models" / f"{name}-openai" / f"{name}.pt"


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Parse a CTranslate2 model.bin (binary format version 6) into named arrays."""
    tensors: dict[str, np.ndarray] = {}
    with open(path, "rb") as f:

        def string() -> str:
            (n,) = struct.unpack("<H", f.read(2))
            return f.read(n)[:-1].decode("utf-8")

        (version,) = struct.unpack("<I", f.read(4))
        if version != 6:
            raise CallfixError(f"{path}: CTranslate2 binary version {version}, expected 6")
        spec = string()
        if spec != "WhisperSpec":
            raise CallfixError(f"{path}: model spec {spec!r} is not Whisper")
        f.read(4)  # spec revision
        (count,) = struct.unpack("<I", f.read(4))
        for _ in range(count):
            name = string()
            (rank,) = struct.unpack("<B", f.read(1))
            shape = struct.unpack(f"<{rank}I", f.read(4 * rank)) if rank else ()
            (dtype,) = struct.unpack("<B", f.read(1))
            (nbytes,) = struct.unpack("<I", f.read(4))
            if dtype not in _DTYPES:
                raise CallfixError(f"{path}: tensor {name} has unsupported dtype id {dtype} (quantised model?)")
            tensors[name] = np.frombuffer(f.read(nbytes), dtype=_DTYPES[dtype]).reshape(shape)
        (n_alias,) = struct.unpack("<I", f.read(4))
        for _ in range(n_alias):
            alias, target = string(), string()
            tensors[alias] = tensors[target]
    return tensors


def _linear(sd, dst, src_w, src_b=None):
    sd[f"{dst}.weight"] = src_w
    if src_b is not None:
        sd[f"{dst}.bias"] = src_b


def _norm(sd, dst, t, src):
    sd[f"{dst}.weight"] = t[f"{src}/gamma"]
    sd[f"{dst}.bias"] = t[f"{src}/beta"]


def _attention_block(sd, t, dst, src, n):
    w, b = t[f"{src}/linear_0/weight"], t[f"{src}/linear_0/bias"]
    _linear(sd, f"{dst}.query", w[:n], b[:n])
    _linear(sd, f"{dst}.key", w[n : 2 * n])  # key has no bias in Whisper
    _linear(sd, f"{dst}.value", w[2 * n :], b[2 * n :])
    _linear(sd, f"{dst}.out", t[f"{src}/linear_1/weight"], t[f"{src}/linear_1/bias"])


def _block(sd, t, dst, src, n, cross: bool):
    _attention_block(sd, t, f"{dst}.attn", f"{src}/self_attention", n)
    _norm(sd, f"{dst}.attn_ln", t, f"{src}/self_attention/layer_norm")
    if cross:
        a = f"{src}/attention"
        _linear(sd, f"{dst}.cross_attn.query", t[f"{a}/linear_0/weight"], t[f"{a}/linear_0/bias"])
        kv_w, kv_b = t[f"{a}/linear_1/weight"], t[f"{a}/linear_1/bias"]
        _linear(sd, f"{dst}.cross_attn.key", kv_w[:n])
        _linear(sd, f"{dst}.cross_attn.value", kv_w[n:], kv_b[n:])
        _linear(sd, f"{dst}.cross_attn.out", t[f"{a}/linear_2/weight"], t[f"{a}/linear_2/bias"])
        _norm(sd, f"{dst}.cross_attn_ln", t, f"{a}/layer_norm")
    _linear(sd, f"{dst}.mlp.0", t[f"{src}/ffn/linear_0/weight"], t[f"{src}/ffn/linear_0/bias"])
    _linear(sd, f"{dst}.mlp.2", t[f"{src}/ffn/linear_1/weight"], t[f"{src}/ffn/linear_1/bias"])
    _norm(sd, f"{dst}.mlp_ln", t, f"{src}/ffn/layer_norm")


def ct2_to_openai(t: dict[str, np.ndarray]) -> tuple[dict, dict]:
    def layers(prefix):
        return len({k.split("/")[1] for k in t if k.startswith(f"{prefix}/layer_") and k.split("/")[1][6:].isdigit()})

    n_state = t["encoder/conv1/weight"].shape[0]
    dims = dict(
        n_mels=int(t["encoder/conv1/weight"].shape[1]),
        n_audio_ctx=int(t["encoder/position_encodings/encodings"].shape[0]),
        n_audio_state=int(n_state),
        n_audio_head=int(t["encoder/num_heads"]),
        n_audio_layer=layers("encoder"),
        n_vocab=int(t["decoder/embeddings/weight"].shape[0]),
        n_text_ctx=int(t["decoder/position_encodings/encodings"].shape[0]),
        n_text_state=int(t["decoder/embeddings/weight"].shape[1]),
        n_text_head=int(t["decoder/num_heads"]),
        n_text_layer=layers("decoder"),
    )
    sd: dict[str, np.ndarray] = {}
    for c in ("conv1", "conv2"):
        _linear(sd, f"encoder.{c}", t[f"encoder/{c}/weight"], t[f"encoder/{c}/bias"])
    sd["encoder.positional_embedding"] = t["encoder/position_encodings/encodings"]
    for i in range(dims["n_audio_layer"]):
        _block(sd, t, f"encoder.blocks.{i}", f"encoder/layer_{i}", n_state, cross=False)
    _norm(sd, "encoder.ln_post", t, "encoder/layer_norm")
    sd["decoder.token_embedding.weight"] = t["decoder/embeddings/weight"]
    sd["decoder.positional_embedding"] = t["decoder/position_encodings/encodings"]
    for i in range(dims["n_text_layer"]):
        _block(sd, t, f"decoder.blocks.{i}", f"decoder/layer_{i}", dims["n_text_state"], cross=True)
    _norm(sd, "decoder.ln", t, "decoder/layer_norm")
    return dims, sd


def convert(name: str = "whisper-base", force: bool = False) -> Path:
    import torch

    out = converted_path(name)
    if out.is_file() and not force:
        return out
    src = store.locate(name)
    dims, sd = ct2_to_openai(read_ct2(src / "model.bin"))
    heads = json.loads((src / "config.json").read_text()).get("alignment_heads")
    state = {k: torch.from_numpy(np.array(v, dtype=np.float16)) for k, v in sd.items()}
    with atomic_path(out) as tmp:
        torch.save({"dims": dims, "model_state_dict": state, "alignment_heads": heads}, tmp)
    return out
