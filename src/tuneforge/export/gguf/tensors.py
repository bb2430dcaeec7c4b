"""HF state dict → GGUF tensors: names (gguf's own TensorNameMap), llama's Q/K row permutation, and the tensor
type each one is stored in for a given `gguf_type` (quantized with gguf.quants, pure numpy).

`expected_tensors` yields the float32 values a GGUF file should hold (after renaming and permuting, before
quantizing); both the writer and the read-back check use it, so they cannot disagree on the layout.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import gguf
import numpy as np

from tuneforge.core.errors import UserError
from tuneforge.export.gguf.arch import ArchSpec

Q = gguf.GGMLQuantizationType


@dataclass(frozen=True)
class TypeSpec:
    """One `gguf_type`: how 2-D weights are stored and the file type it declares."""
    matrix: Q
    file_type: gguf.LlamaFileType
    embeddings: Q | None = None  # token_embd/output when they differ from `matrix` (q4_0 keeps them q8_0)


TYPES: dict[str, TypeSpec] = {
    "f32": TypeSpec(Q.F32, gguf.LlamaFileType.ALL_F32),
    "f16": TypeSpec(Q.F16, gguf.LlamaFileType.MOSTLY_F16),
    "bf16": TypeSpec(Q.BF16, gguf.LlamaFileType.MOSTLY_BF16),
    "q8_0": TypeSpec(Q.Q8_0, gguf.LlamaFileType.MOSTLY_Q8_0),
    "q4_0": TypeSpec(Q.Q4_0, gguf.LlamaFileType.MOSTLY_Q4_0, embeddings=Q.Q8_0),
}
# Element error allowed for each stored type, as a fraction of the tensor's max |value|.
TOLERANCE: dict[Q, float] = {Q.F32: 1e-6, Q.F16: 1e-3, Q.BF16: 8e-3, Q.Q8_0: 1 / 127, Q.Q4_0: 1 / 7}
_SKIP = ("rotary_emb.inv_freq",)
_BLOCK = 32  # every quantized type used here packs rows in blocks of 32


def permute(weights: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotate-half rows → GGML adjacent-pair rows, per head (llama.cpp's convert script does the same)."""
    shape = weights.shape
    return (weights.reshape(n_head, 2, shape[0] // n_head // 2, *shape[1:]).swapaxes(1, 2).reshape(shape))


def permuted(name: str, array: np.ndarray, config, spec: ArchSpec) -> np.ndarray:
    if not spec.permute_qk:
        return array
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    if ".self_attn.q_proj." in name:
        return permute(array, heads)
    if ".self_attn.k_proj." in name:
        return permute(array, kv_heads)
    return array


def expected_tensors(state_dict, config, spec: ArchSpec) -> Iterator[tuple[str, np.ndarray]]:
    """(gguf name, float32 array in GGUF layout) for every tensor llama.cpp needs."""
    names = gguf.get_tensor_name_map(spec.gguf_arch, config.num_hidden_layers)
    tied = bool(getattr(config, "tie_word_embeddings", False))
    for hf_name, tensor in state_dict.items():
        if hf_name.endswith(_SKIP) or (tied and hf_name == "lm_head.weight"):
            continue
        for name, array in _unfused_experts(hf_name, tensor.detach().float().cpu().numpy()):
            new_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
            if new_name is None:
                raise UserError(f"cannot map weight '{name}' to a GGUF tensor of arch "
                                f"{gguf.MODEL_ARCH_NAMES[spec.gguf_arch]}", field="export_format")
            if spec.norm_shift and name.endswith("norm.weight"):
                array = array + np.float32(spec.norm_shift)
            yield new_name, permuted(name, array, config, spec)


def _unfused_experts(name: str, array: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
    """transformers keeps a MoE layer's experts as two stacked parameters, `experts.gate_up_proj`
    (experts × 2·ff × hidden, gate rows first) and `experts.down_proj`; llama.cpp wants ffn_gate_exps,
    ffn_up_exps and ffn_down_exps, so the first is split (as llama.cpp's converter does)."""
    if name.endswith("mlp.experts.gate_up_proj"):
        half = array.shape[-2] // 2
        base = name.removesuffix(".gate_up_proj")
        yield f"{base}.gate_proj.weight", np.ascontiguousarray(array[..., :half, :])
        yield f"{base}.up_proj.weight", np.ascontiguousarray(array[..., half:, :])
    elif name.endswith("mlp.experts.down_proj"):
        yield f"{name}.weight", array
    else:
        yield name, array


def storage_type(name: str, array: np.ndarray, gguf_type: str) -> Q:
    """The type a tensor is stored in: 1-D tensors (norms, biases) stay F32 as llama.cpp expects; a matrix
    whose rows do not fill whole blocks falls back to F16, as llama.cpp's converter does."""
    spec = TYPES[gguf_type]
    if array.ndim < 2:
        return Q.F32
    wanted = spec.embeddings if spec.embeddings and name in ("token_embd.weight", "output.weight") else spec.matrix
    if wanted in (Q.Q8_0, Q.Q4_0) and array.shape[-1] % _BLOCK:
        return Q.F16
    return wanted


def encode(array: np.ndarray, qtype: Q) -> np.ndarray:
    """The array as stored: float32/float16 as such, BF16 and block types as gguf.quants bytes."""
    if qtype == Q.F32:
        return np.ascontiguousarray(array, dtype=np.float32)
    if qtype == Q.F16:
        return np.ascontiguousarray(array, dtype=np.float16)
    return gguf.quants.quantize(np.ascontiguousarray(array, dtype=np.float32), qtype)
