"""Building the Hugging Face Trainer pieces from the config: TrainingArguments, the optimizer (LoRA+),
the device decision. Customisation goes through constructor arguments only."""
from __future__ import annotations

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError


def use_gpu(cfg: RunConfig) -> bool:
    import torch

    on_gpu = torch.cuda.is_available() and not cfg.train.use_cpu
    if cfg.train.fp16 and not on_gpu:
        raise UserError("fp16 needs a GPU; on CPU use bf16: true or neither", field="fp16")
    return on_gpu


def training_arguments(cfg: RunConfig, on_gpu: bool, has_eval: bool):
    from transformers import TrainingArguments

    kwargs = cfg.train.to_training_arguments()
    checkpointing = cfg.train.gradient_checkpointing
    if checkpointing is None:
        checkpointing = on_gpu and not cfg.model.disable_gradient_checkpointing
    kwargs.update(use_cpu=not on_gpu, remove_unused_columns=False, label_names=["labels"],
                  activation_checkpointing=bool(checkpointing), resume_from_checkpoint=None)
    if not has_eval:
        kwargs["eval_strategy"] = "no"
    if kwargs.get("ddp_find_unused_parameters") is None and cfg.finetune.finetuning_type != "full":
        kwargs["ddp_find_unused_parameters"] = False  # frozen parameters are never "unused" by mistake
    return TrainingArguments(**kwargs)


def build_optimizer(cfg: RunConfig, model):
    """(optimizer, scheduler) for Trainer(optimizers=...): LoRA+ when asked, else the Trainer's own."""
    if cfg.finetune.loraplus_lr_ratio is None:
        return None, None
    import torch
    from peft.optimizers import create_loraplus_optimizer

    optimizer = create_loraplus_optimizer(
        model=model, optimizer_cls=torch.optim.AdamW, lr=cfg.train.learning_rate,
        loraplus_lr_ratio=cfg.finetune.loraplus_lr_ratio, loraplus_lr_embedding=cfg.finetune.loraplus_lr_embedding,
        weight_decay=cfg.train.weight_decay, betas=(cfg.train.adam_beta1, cfg.train.adam_beta2),
        eps=cfg.train.adam_epsilon)
    return optimizer, None
