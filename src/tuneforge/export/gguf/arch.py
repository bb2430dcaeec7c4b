"""Which Hugging Face architectures become which GGUF architecture, and what llama.cpp runs differently.

ARCHS maps a config's `model_type` to an ArchSpec (the facts follow llama.cpp's own converter):
- `permute_qk`: llama.cpp applies rotary embeddings to adjacent pairs (GGML "normal" rope) for arch llama, while
  HF Llama rotates halves, so Q/K rows are permuted on the way out; qwen2/qwen3/phi3/gemma use GGML's "neox"
  rope, which is HF's layout, so their weights go out unchanged.
- `norm_shift`: Gemma's RMSNorm scales by (1 + weight), llama.cpp's by weight, so 1 is added to every norm.
- `hparams`: the family's own keys (`export.gguf.hparams`), beyond the ones every architecture has.
- `unsupported`: a config llama.cpp would run differently from transformers (the export is refused with why).
- `name_tag`: llama.cpp strips the whitespace after Phi-3's special tokens, as transformers does (their rstrip
  flag), only when `general.name` names Phi-3; the tag is added to a name that lacks it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gguf

from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry
from tuneforge.export.gguf import hparams as family


@dataclass(frozen=True)
class ArchSpec:
    gguf_arch: gguf.MODEL_ARCH
    permute_qk: bool
    description: str
    norm_shift: float = 0.0
    hparams: Callable[[gguf.GGUFWriter, Any], None] | None = None
    unsupported: Callable[[Any], str | None] | None = None
    name_tag: str | None = None

    def gguf_name(self, name: str) -> str:
        if self.name_tag is None or self.name_tag in name.lower().replace("-", ""):
            return name
        return f"{name}-{self.name_tag}"


ARCHS: Registry[ArchSpec] = Registry("architecture", {
    "llama": ArchSpec(gguf.MODEL_ARCH.LLAMA, True, "Llama 1/2/3, Yi, DeepSeek (llama) and their fine-tunes"),
    "mistral": ArchSpec(gguf.MODEL_ARCH.LLAMA, True, "Mistral 7B (llama.cpp runs it as arch llama)"),
    "qwen2": ArchSpec(gguf.MODEL_ARCH.QWEN2, False, "Qwen2 / Qwen2.5 (q/k/v biases kept)"),
    "qwen3": ArchSpec(gguf.MODEL_ARCH.QWEN3, False, "Qwen3 dense (q/k norms kept)"),
    "mixtral": ArchSpec(gguf.MODEL_ARCH.LLAMA, True, "Mixtral (llama with experts as ffn_*_exps)",
                        hparams=family.mixtral),
    "qwen2_moe": ArchSpec(gguf.MODEL_ARCH.QWEN2MOE, False, "Qwen1.5/Qwen2-MoE (experts plus a gated shared expert)",
                          hparams=family.qwen2_moe, unsupported=family.qwen2_moe_unsupported),
    "phi3": ArchSpec(gguf.MODEL_ARCH.PHI3, False, "Phi-3 / Phi-3.5 (fused qkv and gate_up, longrope)",
                     hparams=family.phi3, name_tag="phi3"),
    "gemma": ArchSpec(gguf.MODEL_ARCH.GEMMA, False, "Gemma 1", norm_shift=1.0),
    "gemma2": ArchSpec(gguf.MODEL_ARCH.GEMMA2, False, "Gemma 2 (logit soft-capping, sliding window)",
                       norm_shift=1.0, hparams=family.gemma2, unsupported=family.gemma2_unsupported),
    "gemma3_text": ArchSpec(gguf.MODEL_ARCH.GEMMA3, False, "Gemma 3 text models (local/global attention)",
                            norm_shift=1.0, hparams=family.gemma3, unsupported=family.gemma3_unsupported),
})


def arch_spec(config) -> ArchSpec:
    """The spec for this model, or one line saying what is supported instead."""
    model_type = getattr(config, "model_type", None)
    if model_type not in ARCHS:
        raise UserError(f"GGUF export does not support architecture '{model_type}' yet; supported: "
                        f"{', '.join(ARCHS)}. Use export_format: hf (it works for every model) and convert "
                        f"with llama.cpp's convert_hf_to_gguf.py", field="export_format")
    spec = ARCHS[model_type]
    problem = spec.unsupported(config) if spec.unsupported else None
    if problem:
        raise UserError(f"GGUF export of this {model_type} model: {problem}; use export_format: hf",
                        field="export_format")
    return spec
