"""LLaMA Pro block expansion (`tuneforge expand-blocks`, LLaMA-Factory's scripts/llama_pro.py): after every
L/N decoder blocks, insert a copy of the block before it whose output projections (attention `o_proj`, MLP
`down_proj`) are zero — so each new block adds nothing to the residual stream and the expanded model computes
exactly what the original did. Training with `use_llama_pro: true` + `finetuning_type: freeze` +
`freeze_trainable_layers: N` then trains only the new blocks (model/adapters.apply_freeze)."""
from __future__ import annotations

import copy
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger

log = get_logger()
_ZEROED = ("o_proj", "down_proj")  # the projections that write into the residual stream


def expanded_layer_ids(num_layers: int, num_new: int) -> list[int]:
    """Indices of the new blocks in the expanded model (every stride-th block, stride = layers ÷ new), the
    same rule LLaMA-Factory's freeze tuning uses to find them."""
    if num_new < 1 or num_layers % num_new:
        raise UserError(f"the layer count {num_layers} must be a multiple of the new blocks {num_new}",
                        field="freeze_trainable_layers")
    stride = num_layers // num_new
    return list(range(stride - 1, num_layers, stride))


def expand_blocks(model_dir: str | Path, output_dir: str | Path, num_expand: int) -> Path:
    """Write the expanded model (and its tokenizer) to `output_dir`; returns it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = Path(output_dir)
    if out.exists() and any(out.iterdir()):
        raise UserError("exists and is not empty; choose a new folder", file=str(out), field="output_dir")
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    layers = model.model.layers
    if num_expand < 1 or len(layers) % num_expand:
        raise UserError(f"the model's {len(layers)} layers must be a multiple of --num-expand {num_expand}",
                        field="num_expand")
    split = len(layers) // num_expand
    blocks = []
    for index, layer in enumerate(layers):
        blocks.append(layer)
        if (index + 1) % split == 0:
            new = copy.deepcopy(layer)
            with torch.no_grad():
                for name, param in new.named_parameters():
                    if any(f"{z}." in name for z in _ZEROED):
                        param.zero_()
            blocks.append(new)
    for index, block in enumerate(blocks):
        if hasattr(getattr(block, "self_attn", None), "layer_idx"):
            block.self_attn.layer_idx = index  # the KV cache's slot
    model.model.layers = torch.nn.ModuleList(blocks)
    model.config.num_hidden_layers = len(blocks)
    if getattr(model.config, "layer_types", None):
        model.config.layer_types = [model.config.layer_types[0]] * len(blocks)
    model.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(str(model_dir)).save_pretrained(str(out))
    log.info("expanded %d → %d blocks (new: %s) in %s", len(layers), len(blocks),
             expanded_layer_ids(len(blocks), num_expand), out)
    return out
