"""Which Hugging Face architectures become which GGUF architecture, and the hyperparameters llama.cpp reads.

ARCHS maps a config's `model_type` to an ArchSpec. `permute_qk`: llama.cpp applies rotary embeddings to
adjacent pairs (GGML "normal" rope) for arch llama, while HF Llama rotates halves, so Q/K rows are permuted on
the way out; qwen2/qwen3 use GGML's "neox" rope, which is HF's layout, so their weights go out unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gguf
import numpy as np

from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry


@dataclass(frozen=True)
class ArchSpec:
    gguf_arch: gguf.MODEL_ARCH
    permute_qk: bool
    description: str


ARCHS: Registry[ArchSpec] = Registry("architecture", {
    "llama": ArchSpec(gguf.MODEL_ARCH.LLAMA, True, "Llama 1/2/3 and their fine-tunes"),
    "mistral": ArchSpec(gguf.MODEL_ARCH.LLAMA, True, "Mistral 7B (llama.cpp runs it as arch llama)"),
    "qwen2": ArchSpec(gguf.MODEL_ARCH.QWEN2, False, "Qwen2 / Qwen2.5 (q/k/v biases kept)"),
    "qwen3": ArchSpec(gguf.MODEL_ARCH.QWEN3, False, "Qwen3 dense (q/k norms kept)"),
})


def arch_spec(config) -> ArchSpec:
    model_type = getattr(config, "model_type", None)
    if model_type not in ARCHS:
        raise UserError(f"GGUF export does not support architecture '{model_type}' yet; supported: "
                        f"{', '.join(ARCHS)} (export_format hf works for every model)", field="export_format")
    return ARCHS[model_type]


def _rope(config) -> dict[str, Any]:
    params = dict(getattr(config, "rope_parameters", None) or {})
    if getattr(config, "rope_theta", None) is not None:
        params.setdefault("rope_theta", config.rope_theta)
    scaling = getattr(config, "rope_scaling", None)
    if isinstance(scaling, dict):
        params = {**scaling, **params} if params.get("rope_type") in (None, "default") else params
    params.setdefault("rope_theta", 10000.0)
    params.setdefault("rope_type", params.get("type", "default"))
    return params


def head_dim(config) -> int:
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def add_hparams(writer: gguf.GGUFWriter, config, file_type: int) -> np.ndarray | None:
    """Write the hyperparameter keys; returns the rope_freqs tensor llama3-style rope scaling needs (or None)."""
    dim = head_dim(config)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    writer.add_rope_dimension_count(dim)
    if dim != config.hidden_size // config.num_attention_heads:
        writer.add_key_length(dim)
        writer.add_value_length(dim)
    writer.add_file_type(file_type)
    rope = _rope(config)
    writer.add_rope_freq_base(float(rope["rope_theta"]))
    kind = rope["rope_type"]
    if kind == "default":
        return None
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
        return None
    if kind == "llama3":
        return _llama3_rope_freqs(rope, dim)
    raise UserError(f"GGUF export does not support rope scaling '{kind}' yet", field="export_format")


def _llama3_rope_freqs(rope: dict[str, Any], dim: int) -> np.ndarray:
    """Per-frequency divisors llama.cpp applies for Llama 3.1-style rope scaling (as llama.cpp's converter)."""
    base = float(rope["rope_theta"])
    factor = float(rope.get("factor", 8.0))
    low, high = float(rope.get("low_freq_factor", 1.0)), float(rope.get("high_freq_factor", 4.0))
    old_context = float(rope.get("original_max_position_embeddings", 8192))
    freqs = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    low_wavelen, high_wavelen = old_context / low, old_context / high
    out = []
    for freq in freqs:
        wavelen = 2 * np.pi / freq
        if wavelen < high_wavelen:
            out.append(1.0)
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old_context / wavelen - low) / (high - low)
            out.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)
