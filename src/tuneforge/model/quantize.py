"""Quantized base models for QLoRA: the `quantization_config` handed to `from_pretrained`, and the checks
that turn the ways it can fail into UserErrors before any weight is read.

bitsandbytes (4-bit nf4/fp4 with optional double quantization, 8-bit LLM.int8) is the backend. Its current
release also runs on CPU, with one limit there: every quantized Linear's out_features must be a multiple of
32 (real models satisfy it; odd tiny models may not), which is checked from config.json alone.
"""
from __future__ import annotations

from importlib.util import find_spec

from tuneforge.config.scale import ScaleConfig
from tuneforge.core.errors import UserError

_CPU_BLOCK = 32


def _linear_out_features(config) -> dict[str, int]:
    """out_features of the decoder's Linear layers (what bitsandbytes quantizes), from a transformers config."""
    text = getattr(config, "text_config", None) or config
    hidden = text.hidden_size
    heads = text.num_attention_heads
    head_dim = getattr(text, "head_dim", None) or hidden // heads
    kv = getattr(text, "num_key_value_heads", None) or heads
    return {"q_proj": heads * head_dim, "k_proj/v_proj": kv * head_dim, "o_proj/down_proj": hidden,
            "gate_proj/up_proj": text.intermediate_size}


def check_cpu_quantizable(config, field: str = "quantization_bit") -> None:
    bad = {name: size for name, size in _linear_out_features(config).items() if size % _CPU_BLOCK}
    if bad:
        listed = ", ".join(f"{name}={size}" for name, size in bad.items())
        raise UserError(f"bitsandbytes on CPU needs every Linear's out_features to be a multiple of "
                        f"{_CPU_BLOCK}; this model has {listed} (use a GPU, or no quantization)", field=field)


def quantization_config(scale: ScaleConfig, *, on_gpu: bool, compute_dtype):
    """The transformers quantization config for this run, or None when the base model is not quantized."""
    if scale.quantization_bit is None:
        return None
    if scale.quantization_method != "bitsandbytes":
        raise UserError(f"'{scale.quantization_method}' is not supported for training yet (use bitsandbytes)",
                        field="quantization_method")
    if find_spec("bitsandbytes") is None:
        raise UserError("quantization_bit needs the bitsandbytes package: pip install bitsandbytes",
                        field="quantization_bit")
    from transformers import BitsAndBytesConfig

    if scale.quantization_bit == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=scale.quantization_type,
                              bnb_4bit_use_double_quant=scale.double_quantization,
                              bnb_4bit_compute_dtype=compute_dtype)


def prepare_for_kbit_training(model, gradient_checkpointing: bool):
    """Norms in float32, input gradients on (so checkpointed LoRA layers get gradients), as peft recommends."""
    from peft import prepare_model_for_kbit_training

    return prepare_model_for_kbit_training(model, use_gradient_checkpointing=gradient_checkpointing)
