"""Merging LoRA adapters into their base model and saving the result as a plain transformers folder.

Adapters are merged in the order given (each one was trained on the base with the earlier ones merged). The
saved folder carries the template: its tokenizer's chat_template is the template's export form (renders exactly
what training rendered) and generation_config stops at the template's end-of-turn tokens. Before merging the
last adapter, the probe prompts' logits are recorded with the adapter still separate, so that `verify` can
compare the exported model with what training produced.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.config.export import ExportConfig
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.model.vision import run_processor
from tuneforge.core.log import get_logger
from tuneforge.export.adapters import check_adapters
from tuneforge.export.probes import probe_inputs, probe_logits
from tuneforge.model.stack import load_with_adapters
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec, stop_token_ids

log = get_logger()


@dataclass
class Merged:
    """The merged model in memory, with what the export and its checks need."""
    model: Any
    tokenizer: Any
    template: TemplateSpec | None
    probes: list[list[int]]
    reference: list[Any]  # probe logits of base + adapters (adapters not merged), float32 tensors
    adapters: list[str]


def on_gpu(export: ExportConfig) -> bool:
    import torch

    return export.export_device == "auto" and torch.cuda.is_available()


def merge_model(cfg: RunConfig, *, checked: bool = False, keep_last: bool = False) -> Merged:
    """Load the base with its adapters (model.stack), record the probe logits with the last adapter still
    separate, then merge it too — or, `keep_last`, take it off again unmerged (the model is then the base
    with the earlier adapters merged, for a GGUF adapter export). `checked`: the adapters already passed
    check_adapters."""
    if not checked:
        check_adapters(cfg.model.model_name_or_path, cfg.model.adapter_paths())
    template = get_template(cfg.data.template) if cfg.data.template else None
    loaded = load_with_adapters(cfg.model, on_gpu=on_gpu(cfg.export), merge_last=False,
                                context_length=cfg.data.cutoff_len)
    model, tokenizer = loaded.model, loaded.tokenizer
    probes = probe_inputs(tokenizer, template, cfg.export.export_probe_prompts)
    reference = probe_logits(model, probes) if cfg.export.export_verify else []
    if loaded.adapters:
        model = model.unload() if keep_last else model.merge_and_unload()
    model.eval()
    return Merged(model, tokenizer, template, probes, reference, loaded.adapters)


def prepare_for_export(merged: Merged) -> None:
    """Put the template into the tokenizer and the generation config (in memory, before saving)."""
    tokenizer, template = merged.tokenizer, merged.template
    if template is not None:
        tokenizer.chat_template = template.export_chat_template()
    generation = merged.model.generation_config
    stops = stop_token_ids(tokenizer, template)
    if stops:
        generation.eos_token_id = stops if len(stops) > 1 else stops[0]
    if tokenizer.pad_token_id is not None:
        generation.pad_token_id = tokenizer.pad_token_id


def target_dtype(cfg: RunConfig, model) -> Any:
    """The dtype the exported weights are saved in: infer_dtype when set, else the base model's own."""
    import torch

    if cfg.model.infer_dtype != "auto":
        return getattr(torch, cfg.model.infer_dtype)
    declared = getattr(model.config, "dtype", None) or getattr(model.config, "torch_dtype", None)
    if isinstance(declared, str):
        declared = getattr(torch, declared, None)
    return declared if isinstance(declared, torch.dtype) else torch.float32


def save_merged(merged: Merged, cfg: RunConfig, export_dir: Path) -> list[Path]:
    """Write the transformers folder; returns the weight files written."""
    export = cfg.export
    prepare_for_export(merged)
    model = merged.model.to(target_dtype(cfg, merged.model))
    max_shard = max(int(export.export_size * 1e9), 1)
    export_dir.mkdir(parents=True, exist_ok=True)
    if export.export_legacy_format:
        model.config.save_pretrained(export_dir)
        model.generation_config.save_pretrained(export_dir)
        files = _save_bin(model, export_dir, max_shard)
    else:
        model.save_pretrained(export_dir, max_shard_size=max_shard)
        files = sorted(export_dir.glob("model*.safetensors"))
    merged.tokenizer.save_pretrained(export_dir)
    processor = run_processor(cfg.model, merged.tokenizer, own_template=merged.template is None)
    if processor is not None:  # a vision-language model loads with its processor (AutoProcessor)
        processor.save_pretrained(export_dir)
    log.info("saved the merged model to %s (%d weight file(s))", export_dir, len(files))
    return files


def _save_bin(model, export_dir: Path, max_shard: int) -> list[Path]:
    """Legacy pytorch_model*.bin shards plus their index (transformers 5 writes only safetensors itself)."""
    import torch
    from huggingface_hub import split_torch_state_dict_into_shards

    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    split = split_torch_state_dict_into_shards(state, filename_pattern="pytorch_model{suffix}.bin",
                                               max_shard_size=max_shard)
    files = []
    for file_name, names in split.filename_to_tensors.items():
        torch.save({name: state[name] for name in names}, export_dir / file_name)
        files.append(export_dir / file_name)
    if split.is_sharded:
        index = {"metadata": {"total_size": sum(t.numel() * t.element_size() for t in state.values())},
                 "weight_map": split.tensor_to_filename}
        (export_dir / "pytorch_model.bin.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return files


def check_hub_reachable(repo_id: str) -> None:
    """Fail before any work when a push was asked for but the hub is switched off."""
    import os

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        raise UserError(f"cannot push to '{repo_id}': the hub is switched off here (HF_HUB_OFFLINE is set); "
                        "export without export_hub_model_id and upload the folder later with `hf upload`",
                        field="export_hub_model_id")


def push_to_hub(export_dir: Path, repo_id: str, token: str | None) -> str:
    """Upload the exported folder; offline or refused uploads become a one-line UserError."""
    from huggingface_hub import HfApi

    check_hub_reachable(repo_id)

    try:
        api = HfApi(token=token)
        api.create_repo(repo_id, exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=str(export_dir))
    except Exception as exc:  # noqa: BLE001 - network, auth and hub errors all mean "not pushed"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise UserError(f"could not push to the hub ({first[:200]}); the model is saved in {export_dir}",
                        field="export_hub_model_id") from None
    return f"https://huggingface.co/{repo_id}"
