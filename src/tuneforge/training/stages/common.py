"""What the preference and RL stages (rm, dpo, kto, ppo, grpo) share: their inputs loaded and checked before any
heavy work (template, tokenizer, raw examples, encoding with file/row errors), TRL configs built from the run
config, and the run's outputs (run files, metric plots, the finished mark)."""
from __future__ import annotations

import dataclasses
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tuneforge.artifacts.run_dir import (
    RunDir,
    mark_finished,
    prepare_output_dir,
    write_run_files,
)
from tuneforge.config.run import RunConfig
from tuneforge.config.stages import STAGE_NEEDS
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.training.checkpointing import train_until_done
from tuneforge.training.plot import plot_loss
from tuneforge.training.prepare import Inputs, load_inputs
from tuneforge.training.setup import training_arguments

log = get_logger()


def load_stage_inputs(cfg: RunConfig) -> Inputs:
    """`prepare.load_inputs` — the step sft, pt and preview-data take too — after refusing tokenized_path,
    which these stages cannot read (TRL's trainers tokenize the examples themselves)."""
    if cfg.data.tokenized_path:
        takers = "/".join(need.name for need in STAGE_NEEDS.values() if need.tokenized_path)
        raise UserError(f"stage {cfg.finetune.stage} reads the datasets itself; tokenized_path is for {takers}",
                        field="tokenized_path")
    return load_inputs(cfg)


def encode_located(encode: Callable, examples: Sequence, inputs: Inputs) -> list:
    """encode(example, tokenizer, template, options) for each example, user errors located at file:row."""
    out = []
    for example in examples:
        try:
            out.append(encode(example, inputs.tokenizer, inputs.template, inputs.options))
        except UserError as exc:
            raise example.source.locate(exc) from None
    return out


def trl_config(config_cls: type, cfg: RunConfig, on_gpu: bool, has_eval: bool, **extra: Any):
    """A TRL config with exactly our TrainingArguments (TRL's own defaults — bf16, gradient checkpointing,
    learning rate — would otherwise silently replace the user's) plus the stage's own fields."""
    from transformers import TrainingArguments

    base = training_arguments(cfg, on_gpu, has_eval)
    kwargs = {f.name: getattr(base, f.name) for f in dataclasses.fields(TrainingArguments)
              if f.init and hasattr(base, f.name)}
    kwargs.pop("label_names", None)  # preference batches have no "labels"
    return config_cls(**{**kwargs, **extra})


def start_output(cfg: RunConfig) -> tuple[Path, Path | None]:
    out = Path(cfg.train.output_dir)
    resume = prepare_output_dir(str(out), overwrite=cfg.train.overwrite_output_dir,
                                resume_from=cfg.train.resume_from_checkpoint,
                                config=cfg.to_flat(without_secrets=True))
    if resume:
        log.info("resuming from %s", resume)
    return out, resume


def run_info(cfg: RunConfig, train_rows: int | None, **extra: Any) -> dict:
    """tuneforge_run.json: what ran (stage, method, base, template), on how much data, with which libraries;
    `extra` adds a stage's own facts (sft: sequences after packing and the encoding statistics)."""
    import torch
    import transformers

    return {"stage": cfg.finetune.stage, "finetuning_type": cfg.finetune.finetuning_type,
            "base_model": cfg.model.model_name_or_path, "template": cfg.data.template,
            "pref_loss": cfg.preference.pref_loss if cfg.finetune.stage == "dpo" else None,
            "train_examples": train_rows, **extra,
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "python": platform.python_version()}, "finished": False}


def plot_metrics(output_dir: Path, keys: Sequence[str]) -> list[Path]:
    """training_loss.png plus one plot per stage metric (rewards/accuracies → training_rewards_accuracies.png)."""
    return plot_loss(output_dir, keys=("loss", "eval_loss", *keys))


def load_policy(cfg: RunConfig, tokenizer, added_tokens: tuple[str, ...], on_gpu: bool, *,
                gradient_checkpointing: bool = False):
    """The trainable model of every stage: base model (QLoRA when asked), embeddings resized for added tokens
    (and then trained, or the new tokens mean nothing), adapter applied — seeded so the adapter's
    initialisation is reproducible, not only the data order."""
    from transformers import set_seed

    from tuneforge.model.adapters import apply_adapter
    from tuneforge.model.load import load_model

    set_seed(cfg.train.seed)
    model = load_model(cfg.model, on_gpu=on_gpu, scale=cfg.scale, gradient_checkpointing=gradient_checkpointing,
                       context_length=cfg.data.cutoff_len)
    if added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    return apply_adapter(model, cfg.finetune, cfg.model, train_embeddings=bool(added_tokens))



def finish_trainer_run(trainer, cfg: RunConfig, out: Path, resume: Path | None, metric_keys: Sequence[str],
                       eval_rows: bool, after_save: Callable[[], None] | None = None) -> RunDir:
    """Train, save the adapter/model + tokenizer (then `after_save`), metrics, plots and the finished mark —
    the same ending for every Trainer-based stage."""
    result = train_until_done(trainer, resume)
    if cfg.train.include_effective_tokens_per_second:
        from tuneforge.training.throughput import effective_tokens_per_second

        rate = effective_tokens_per_second(trainer.train_dataset, result.metrics, trainer.args.world_size)
        if rate is not None:
            result.metrics["effective_tokens_per_sec"] = rate
    trainer.save_model()
    if after_save is not None and trainer.is_world_process_zero():
        after_save()
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    trainer.save_state()
    if eval_rows and cfg.train.do_eval:
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)
    if trainer.is_world_process_zero():
        if cfg.train.plot_loss:  # eval_on_each_dataset: an eval loss curve per dataset too
            per_dataset = trainer.eval_dataset if isinstance(trainer.eval_dataset, dict) else {}
            plot_metrics(out, (*metric_keys, *(f"eval_{name}_loss" for name in per_dataset)))
        mark_finished(out, {"train_metrics": result.metrics})
    return RunDir(out)


def write_run(trainer, cfg: RunConfig, out: Path, train_rows: int | None, **extra: Any) -> None:
    if trainer is None or trainer.is_world_process_zero():
        write_run_files(out, cfg.to_flat(without_secrets=True), run_info(cfg, train_rows, **extra))


def reference_by_disabling(model, cfg: RunConfig, added_tokens: tuple[str, ...]):
    """(model, peft_config) for TRL's DPO/KTO trainers. Handed a fresh LoRA as `peft_config`, TRL creates the
    adapter itself and computes the reference with the adapter disabled (no second model, no adapter copy);
    handed a PeftModel it would copy the adapter into a second "ref" adapter. A continued adapter, PiSSA
    (which rewrites base weights), LoRA+ (its optimizer needs the final model) and resized embeddings keep the
    PeftModel, whose starting adapter then is the reference."""
    ft = cfg.finetune
    fresh = (ft.finetuning_type == "lora" and not cfg.model.adapter_name_or_path and not ft.pissa_init
             and ft.loraplus_lr_ratio is None and not added_tokens)
    if not fresh:
        return model, None
    return model.unload(), model.peft_config["default"]
