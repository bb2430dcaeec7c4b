"""Quantized export (`export_quantization_bit` 4 or 8) through bitsandbytes serialization: the merged model is
reloaded with a bitsandbytes config (8-bit LLM.int8, or 4-bit nf4 with double quantization) and saved; the
folder loads back with plain `AutoModelForCausalLM.from_pretrained` (bitsandbytes installed). This runs on CPU
with the current bitsandbytes. It needs no calibration data, so export_quantization_dataset/nsamples/maxlen
(LLaMA-Factory's GPTQ keys) are accepted and not used; GPTQ itself would need a CUDA GPU and gptqmodel.
"""
from __future__ import annotations

import tempfile
from importlib.util import find_spec
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.model.quantize import check_cpu_quantizable

log = get_logger()


def check_quantizable(config, bits: int, on_gpu: bool) -> None:
    """Before any weight is read: bitsandbytes present, and (on CPU) the layer sizes it can handle."""
    if find_spec("bitsandbytes") is None:
        raise UserError(f"{bits}-bit export needs bitsandbytes: pip install -c constraints.txt bitsandbytes",
                        field="export_quantization_bit")
    if not on_gpu:
        check_cpu_quantizable(config, field="export_quantization_bit")


def bnb_config(bits: int):
    import torch
    from transformers import BitsAndBytesConfig

    if bits == 8:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.float32)


def save_quantized(model, tokenizer, export_dir: Path, bits: int, max_shard: int, on_gpu: bool) -> list[Path]:
    """Quantize the (merged, template-prepared) model and save it with its tokenizer into export_dir."""
    from tuneforge.model.vision import auto_model_class

    with tempfile.TemporaryDirectory(prefix="tuneforge-quantize-") as tmp:
        model.save_pretrained(tmp)
        quantized = auto_model_class(tmp).from_pretrained(tmp, quantization_config=bnb_config(bits),
                                                         device_map="auto" if on_gpu else "cpu")
        export_dir.mkdir(parents=True, exist_ok=True)
        quantized.save_pretrained(export_dir, max_shard_size=max_shard)
    tokenizer.save_pretrained(export_dir)
    log.info("saved the %d-bit (bitsandbytes) model to %s", bits, export_dir)
    return sorted(export_dir.glob("model*.safetensors"))
