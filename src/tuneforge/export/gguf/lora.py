"""A peft LoRA adapter → a GGUF LoRA adapter that llama.cpp applies on top of the base model's GGUF
(`llama-cli -m base.gguf --lora adapter.gguf`, Ollama's `ADAPTER`), without merging.

Tensors are `<base tensor>.lora_a` (rank × in) and `.lora_b` (out × rank); llama.cpp scales B·A by
`adapter.lora.alpha / rank`, so rsLoRA's alpha/√rank is folded into the alpha written. For arch llama the rows
of B for Q/K are permuted like the base weights (A acts on the input, which is not permuted).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import gguf
import numpy as np

from tuneforge.core.errors import UserError
from tuneforge.export.adapters import LORA_KEY
from tuneforge.export.gguf.arch import arch_spec
from tuneforge.export.gguf.tensors import permuted


def _adapter_alpha(config: dict) -> float:
    if config.get("use_dora"):
        raise UserError("a DoRA adapter cannot be written as a GGUF LoRA adapter; export the merged model "
                        "instead", field="adapter_name_or_path")
    if config.get("modules_to_save"):
        raise UserError("this adapter also trains whole modules (modules_to_save), which a GGUF LoRA adapter "
                        "cannot hold; export the merged model instead", field="adapter_name_or_path")
    rank, alpha = int(config["r"]), float(config["lora_alpha"])
    return alpha * math.sqrt(rank) if config.get("use_rslora") else alpha


def write_gguf_lora(adapter_dir: Path, base_config, out_file: Path, *, dtype: str = "f32") -> Path:
    """Write `out_file` from the peft adapter in `adapter_dir` for a base model with `base_config`."""
    from safetensors.torch import load_file

    spec = arch_spec(base_config)
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    alpha = _adapter_alpha(config)
    names = gguf.get_tensor_name_map(spec.gguf_arch, base_config.num_hidden_layers)
    writer = gguf.GGUFWriter(str(out_file), gguf.MODEL_ARCH_NAMES[spec.gguf_arch])
    writer.add_type(gguf.GGUFType.ADAPTER)
    writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
    writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    np_dtype = {"f32": np.float32, "f16": np.float16}[dtype]
    for key, tensor in sorted(load_file(str(adapter_dir / "adapter_model.safetensors")).items()):
        match = LORA_KEY.match(key)
        if not match:
            continue
        module = match.group("module")
        target = names.get_name(f"{module}.weight", try_suffixes=(".weight",))
        if target is None and ".experts" in module:
            raise UserError(f"the adapter trains MoE experts ('{module}'), which a GGUF LoRA adapter cannot hold; "
                            f"export the merged model instead (export_adapter_only: false)",
                            field="adapter_name_or_path")
        if target is None:
            raise UserError(f"cannot map adapter module '{module}' to a GGUF tensor", field="adapter_name_or_path")
        array = tensor.float().numpy()
        if match.group("ab") == "B":
            array = permuted(f"{module}.weight", array, base_config, spec)
        suffix = "lora_a" if match.group("ab") == "A" else "lora_b"
        writer.add_tensor(f"{target}.{suffix}", np.ascontiguousarray(array, dtype=np_dtype))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out_file
