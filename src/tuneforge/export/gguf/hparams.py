"""The hyperparameter keys llama.cpp reads: the ones every architecture has (`add_hparams`), rope and its
scaling, and each family's own keys (phi3, gemma2, gemma3), as llama.cpp's converter writes them.

Rope scaling that llama.cpp expresses as tensors comes back from `add_hparams` as extra tensors to write:
Llama 3.1's `rope_freqs`, Phi-3.5's longrope `rope_factors_long/short`.
"""
from __future__ import annotations

import math
from typing import Any

import gguf
import numpy as np

from tuneforge.core.errors import UserError

# Layer counts of the 27B models, for which llama.cpp scales queries by hidden/heads instead of head_dim.
_GEMMA_27B_LAYERS = {"gemma2": 46, "gemma3_text": 62}
_GEMMA3_GLOBAL_EVERY = 6  # llama.cpp's fixed Gemma 3 layout: five sliding-window layers, then one global


def head_dim(config) -> int:
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def rope_parameters(config, layer_type: str = "full_attention") -> dict[str, Any]:
    """The rope settings of one layer type (Gemma 3 keeps one set per type; other models one for all)."""
    params = dict(getattr(config, "rope_parameters", None) or {})
    if isinstance(params.get(layer_type), dict):
        params = dict(params[layer_type])
    if getattr(config, "rope_theta", None) is not None:
        params.setdefault("rope_theta", config.rope_theta)
    scaling = getattr(config, "rope_scaling", None)
    if isinstance(scaling, dict) and not isinstance(scaling.get(layer_type), dict):
        params = {**scaling, **params} if params.get("rope_type") in (None, "default") else params
    params.setdefault("rope_theta", 10000.0)
    params.setdefault("rope_type", params.get("type", "default"))
    return params


def add_hparams(writer: gguf.GGUFWriter, config, file_type: int) -> dict[str, np.ndarray]:
    """Write the keys every architecture has; returns the extra tensors its rope scaling needs."""
    dim = head_dim(config)
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(getattr(config, "num_key_value_heads", None) or config.num_attention_heads)
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    rope = rope_parameters(config)
    partial = getattr(config, "partial_rotary_factor", None) or rope.get("partial_rotary_factor") or 1.0
    writer.add_rope_dimension_count(int(dim * float(partial)))
    if dim != config.hidden_size // config.num_attention_heads:
        writer.add_key_length(dim)
        writer.add_value_length(dim)
    writer.add_file_type(file_type)
    writer.add_rope_freq_base(float(rope["rope_theta"]))
    kind = rope["rope_type"]
    if kind == "default":
        return {}
    if kind == "linear":
        writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        writer.add_rope_scaling_factor(float(rope["factor"]))
        return {}
    if kind == "llama3":
        return {"rope_freqs.weight": _llama3_rope_freqs(rope, dim)}
    if kind in ("longrope", "su"):
        return _longrope(writer, config, rope)
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


def _longrope(writer: gguf.GGUFWriter, config, rope: dict[str, Any]) -> dict[str, np.ndarray]:
    """Phi-3.5's longrope: per-frequency factors for short and long contexts, and the attention factor
    transformers derives from the context extension (llama.cpp picks the factors by the context it runs)."""
    original = int(rope.get("original_max_position_embeddings")
                   or getattr(config, "original_max_position_embeddings", None) or config.max_position_embeddings)
    scale = config.max_position_embeddings / original
    attention = rope.get("attention_factor")
    if attention is None:
        attention = math.sqrt(1 + math.log(scale) / math.log(original)) if scale > 1.0 else 1.0
    writer.add_rope_scaling_attn_factors(float(attention))
    return {"rope_factors_long.weight": np.asarray(rope["long_factor"], dtype=np.float32),
            "rope_factors_short.weight": np.asarray(rope["short_factor"], dtype=np.float32)}


def mixtral(writer: gguf.GGUFWriter, config) -> None:
    writer.add_expert_count(int(config.num_local_experts))
    writer.add_expert_used_count(int(config.num_experts_per_tok))


def qwen2_moe(writer: gguf.GGUFWriter, config) -> None:
    writer.add_expert_count(int(config.num_experts))
    writer.add_expert_used_count(int(config.num_experts_per_tok))
    writer.add_expert_feed_forward_length(int(config.moe_intermediate_size))
    writer.add_expert_shared_feed_forward_length(int(config.shared_expert_intermediate_size))


def qwen2_moe_unsupported(config) -> str | None:
    if getattr(config, "norm_topk_prob", False):
        return "norm_topk_prob is on, and llama.cpp does not renormalise Qwen2-MoE's top-k expert weights"
    if getattr(config, "mlp_only_layers", None) or getattr(config, "decoder_sparse_step", 1) != 1:
        return "some of its layers are dense (mlp_only_layers / decoder_sparse_step), which llama.cpp's qwen2moe lacks"
    return None


def phi3(writer: gguf.GGUFWriter, config) -> None:
    original = getattr(config, "original_max_position_embeddings", None) or config.max_position_embeddings
    writer.add_rope_scaling_orig_ctx_len(int(original))
    writer.add_sliding_window(int(getattr(config, "sliding_window", None) or 0))  # 0: no sliding window


def gemma2(writer: gguf.GGUFWriter, config) -> None:
    writer.add_attn_logit_softcapping(float(config.attn_logit_softcapping))
    if config.final_logit_softcapping is not None:
        writer.add_final_logit_softcapping(float(config.final_logit_softcapping))
    writer.add_sliding_window(int(config.sliding_window))


def gemma3(writer: gguf.GGUFWriter, config) -> None:
    if getattr(config, "final_logit_softcapping", None) is not None:
        writer.add_final_logit_softcapping(float(config.final_logit_softcapping))
    writer.add_sliding_window(int(config.sliding_window))
    writer.add_rope_freq_base_swa(float(rope_parameters(config, "sliding_attention")["rope_theta"]))


def _query_scale_problem(config) -> str | None:
    heads_width = config.hidden_size // config.num_attention_heads
    llama_cpp = heads_width if config.num_hidden_layers == _GEMMA_27B_LAYERS[config.model_type] else head_dim(config)
    if config.query_pre_attn_scalar != llama_cpp:
        return (f"query_pre_attn_scalar is {config.query_pre_attn_scalar}, but llama.cpp scales queries by "
                f"{llama_cpp} for a {config.num_hidden_layers}-layer model")
    return None


def gemma2_unsupported(config) -> str | None:
    if config.attn_logit_softcapping is None:
        return "attn_logit_softcapping is off, and llama.cpp always soft-caps Gemma 2 attention"
    return _query_scale_problem(config)


def gemma3_unsupported(config) -> str | None:
    types = list(getattr(config, "layer_types", None) or [])
    fixed = ["full_attention" if (i + 1) % _GEMMA3_GLOBAL_EVERY == 0 else "sliding_attention"
             for i in range(config.num_hidden_layers)]
    if types and types != fixed:
        return (f"its layer_types are not llama.cpp's fixed Gemma 3 pattern (every {_GEMMA3_GLOBAL_EVERY}th "
                f"layer global)")
    return _query_scale_problem(config)
