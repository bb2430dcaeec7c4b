"""The one way to load a trained model back: a base model with its stack of LoRA adapters, for chat, the API,
predict, eval, export and reward scoring.

The rules, each decided here once:
- the tokenizer comes from the last adapter folder that saved one (a run folder saves the tokenizer it trained
  with: its template and any tokens it added), else from the base;
- the base's embeddings are resized when that tokenizer has more tokens (training resized them too, and the
  adapter holds the new rows);
- adapters are applied in order, each merged before the next (each was trained on the base with the earlier
  ones merged); the last stays separate unless `merge_last` (eval and export merge it; chat keeps it apart);
- an adapter that does not fit the base is a UserError naming the folder;
- the model goes to the GPU when asked, in eval mode.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.model.load import check_model_path, load_model, load_tokenizer

log = get_logger()


@dataclass
class Loaded:
    model: Any  # the base with every adapter merged but (unless merged too) the last, which stays a PeftModel
    tokenizer: Any
    adapters: list[str]


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def check_adapter_folder(path: str, *, local_only: bool = False) -> Path:
    """An adapter named by the user, checked before anything loads: a local folder must hold adapter_config.json
    and its weights; a hub id (unless `local_only`) is checked when it downloads."""
    folder = Path(path).expanduser()
    if local_only and not folder.is_dir():
        raise UserError("adapter folder not found", file=path, field="adapter_name_or_path")
    check_model_path(path, field="adapter_name_or_path")
    if not folder.is_dir():
        return folder
    if not (folder / "adapter_config.json").is_file():
        raise UserError("no adapter_config.json in this folder (not a LoRA adapter)", file=path,
                        field="adapter_name_or_path")
    if not any((folder / name).is_file() for name in ADAPTER_WEIGHTS):
        raise UserError(f"adapter_config.json is there but the weights are missing ({' or '.join(ADAPTER_WEIGHTS)})",
                        file=path, field="adapter_name_or_path")
    return folder


def check_adapter_paths(mc: ModelConfig) -> None:
    """Cheap checks before anything loads: the base exists, and every adapter is a LoRA adapter."""
    check_model_path(mc.model_name_or_path)
    for path in mc.adapter_paths():
        check_adapter_folder(path)


def tokenizer_source(mc: ModelConfig, adapters: list[str] | None = None) -> str:
    """The last adapter folder that holds a tokenizer, else the base model."""
    for folder in reversed(mc.adapter_paths() if adapters is None else adapters):
        if (Path(folder) / "tokenizer_config.json").is_file():
            return str(folder)
    return str(mc.model_name_or_path)


def load_adapter(model, folder: str):
    """`PeftModel.from_pretrained`, with an adapter that does not fit the base reported as a user error."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, folder)
    except (RuntimeError, ValueError, KeyError) as exc:  # size mismatch, unknown target module
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"this adapter does not fit the base model ({first[:200]})", file=folder,
                        field="adapter_name_or_path") from None


def load_with_adapters(mc: ModelConfig, *, on_gpu: bool, merge_last: bool,
                       load_base: Callable[..., Any] | None = None, context_length: int | None = None) -> Loaded:
    """The base of `mc` with its adapters (see the module's rules). `load_base(tokenizer)` replaces the causal-LM
    base (a reward model's score head, say); `context_length`: the run's cutoff_len, for rope_scaling."""
    check_adapter_paths(mc)
    adapters = mc.adapter_paths()
    tokenizer = load_tokenizer(mc, path=tokenizer_source(mc, adapters))
    model = load_base(tokenizer) if load_base else load_model(mc, on_gpu=on_gpu, for_training=False,
                                                              context_length=context_length)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))
    for index, folder in enumerate(adapters):
        model = load_adapter(model, folder)
        if index < len(adapters) - 1 or merge_last:
            model = model.merge_and_unload()
    if adapters:
        log.info("loaded adapter %s (%s)", adapters[-1], "merged" if merge_last else "unmerged")
    if on_gpu:
        model = model.to("cuda")
    return Loaded(model.eval(), tokenizer, adapters)
