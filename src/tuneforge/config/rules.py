"""Rules that involve more than one config group. Each returns (key, problem) pairs; nothing raises here."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tuneforge.config.run import RunConfig


def cross_group_problems(config: RunConfig, command: str = "train") -> list[tuple[str, str]]:
    """Rules across groups, for the command that will use the config (a chat needs no dataset)."""
    out: list[tuple[str, str]] = []
    if not config.model.model_name_or_path:
        out.append(("model_name_or_path", "is required"))
    if command == "train":
        out += _train_problems(config)
    if command == "export" and not config.export.export_dir:
        out.append(("export_dir", "is required"))
    return out


def _train_problems(config: RunConfig) -> list[tuple[str, str]]:
    model, data, finetune, train = config.model, config.data, config.finetune, config.train
    out: list[tuple[str, str]] = []
    if train.trains():
        if not data.dataset:
            out.append(("dataset", "is required when do_train is true"))
        if not train.output_dir:
            out.append(("output_dir", "is required when do_train is true"))
    if train.eval_strategy != "no" and not (data.eval_dataset or data.val_size > 0):
        out.append(("eval_strategy", "needs eval_dataset or val_size > 0"))
    if train.do_eval and not (data.eval_dataset or data.val_size > 0):
        out.append(("do_eval", "needs eval_dataset or val_size > 0"))
    if finetune.stage == "pt" and (data.train_on_prompt or data.mask_history):
        out.append(("train_on_prompt" if data.train_on_prompt else "mask_history",
                    "has no meaning for stage pt (every token is trained)"))
    if finetune.finetuning_type != "lora":
        for key in ("use_dora", "use_rslora", "pissa_init"):
            if getattr(finetune, key):
                out.append((key, f"needs finetuning_type lora (got {finetune.finetuning_type})"))
        if finetune.loraplus_lr_ratio is not None:
            out.append(("loraplus_lr_ratio", f"needs finetuning_type lora (got {finetune.finetuning_type})"))
    if finetune.use_dora and finetune.pissa_init:
        out.append(("pissa_init", "cannot be combined with use_dora"))
    return out
