"""Rules that involve more than one config group. Each returns (key, problem) pairs; nothing raises here."""
from __future__ import annotations

from typing import TYPE_CHECKING

from tuneforge.config.stages import STAGE_NEEDS, ExampleKind

if TYPE_CHECKING:
    from tuneforge.config.run import RunConfig


def cross_group_problems(config: RunConfig, command: str = "train") -> list[tuple[str, str]]:
    """Rules across groups, for the command that will use the config (a chat needs no dataset)."""
    out: list[tuple[str, str]] = []
    if not config.model.model_name_or_path:
        out.append(("model_name_or_path", "is required"))
    if command in ("train", "export") and config.model.adapter_name_or_path and \
            config.finetune.finetuning_type != "lora":
        # LLaMA-Factory refuses this too ("Adapter is only valid for the LoRA method"): training full/freeze
        # would drop the adapter, export would merge it although the config says the model is no LoRA run.
        out.append(("adapter_name_or_path", f"is only valid with finetuning_type lora (got "
                                            f"{config.finetune.finetuning_type}); a model trained with full or "
                                            f"freeze is a model folder: give it as model_name_or_path"))
    if command == "train":
        out += _train_problems(config)
    if command == "export":
        out += _export_problems(config)
    if config.model.rope_scaling and config.generation.infer_backend == "vllm" and command in ("chat", "api", "predict"):
        out.append(("rope_scaling", "is applied by the huggingface engine; vLLM reads the model's own config"))
    return out


def _export_problems(config: RunConfig) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not config.export.export_dir:
        out.append(("export_dir", "is required"))
    bits = config.scale.quantization_bit
    if bits is not None:
        # A training/loading key: export merges and writes full-precision weights, so it would be ignored.
        instead = (f"set gguf_type: {'q4_0' if bits == 4 else 'q8_0'}" if config.export.export_format == "gguf"
                   else f"set export_quantization_bit: {bits}")
        out.append(("quantization_bit", f"loads a base model quantized for training and is not read by export; "
                                        f"to quantize the exported model {instead}"))
    return out


def _train_problems(config: RunConfig) -> list[tuple[str, str]]:
    data, finetune, train = config.data, config.finetune, config.train
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
    kind = STAGE_NEEDS[finetune.stage].kind if finetune.stage in STAGE_NEEDS else None
    if kind is ExampleKind.TEXT and (data.train_on_prompt or data.mask_history):
        out.append(("train_on_prompt" if data.train_on_prompt else "mask_history",
                    f"has no meaning for stage {finetune.stage} (every token is trained)"))
    if data.streaming:
        if train.max_steps <= 0:
            out.append(("max_steps", "is required with streaming (a stream's length is not known, so epochs "
                                     "cannot be counted); set max_steps"))
        if finetune.stage in STAGE_NEEDS and not STAGE_NEEDS[finetune.stage].tokenized_path:
            taking = "/".join(n for n, need in STAGE_NEEDS.items() if need.tokenized_path)
            out.append(("streaming", f"is supported for stages {taking}, whose data tuneforge encodes; stage "
                                     f"{finetune.stage}'s trainer reads its examples whole"))
    out += _training_extras_problems(config)
    if finetune.finetuning_type != "lora":
        for key in ("use_dora", "use_rslora", "pissa_init"):
            if getattr(finetune, key):
                out.append((key, f"needs finetuning_type lora (got {finetune.finetuning_type})"))
        if finetune.loraplus_lr_ratio is not None:
            out.append(("loraplus_lr_ratio", f"needs finetuning_type lora (got {finetune.finetuning_type})"))
    if finetune.use_dora and finetune.pissa_init:
        out.append(("pissa_init", "cannot be combined with use_dora"))
    if train.trains() and config.device_batches() is None:
        out.append(("per_device_train_batch_size", _kto_batch_problem(config)))
    if finetune.stage in STAGE_NEEDS:
        out += _online_rl_problems(config)
    if finetune.stage == "rm" and finetune.finetuning_type == "lora" and config.model.adapter_name_or_path:
        out.append(("adapter_name_or_path", "continuing a reward-model adapter is not supported yet"))
    out += _scale_problems(config)
    return out


def _training_extras_problems(config: RunConfig) -> list[tuple[str, str]]:
    """LLaMA-Factory's extra training keys, where their stage or companions would leave them without effect."""
    data, finetune, train = config.data, config.finetune, config.train
    out: list[tuple[str, str]] = []
    if config.model.moe_aux_loss_coef:
        if finetune.stage not in ("pt", "sft", "dpo", "kto"):
            out.append(("moe_aux_loss_coef", f"applies to stages pt, sft, dpo and kto, not {finetune.stage}"))
        elif config.loss_from_logits_elsewhere() and finetune.stage in ("pt", "sft"):
            out.append(("moe_aux_loss_coef", "cannot be combined with label_smoothing_factor or enable_liger_kernel "
                                             "(their losses are computed where the aux loss cannot be added)"))
    if config.model.rope_scaling:
        if finetune.stage == "rm":
            out.append(("rope_scaling", "is not supported for stage rm yet (its score-head model loads apart)"))
        if config.preference.ref_model:
            out.append(("rope_scaling", "with a separate ref_model: the reference would run unscaled positions"))
    if train.compute_accuracy:
        if finetune.stage not in ("pt", "sft"):
            out.append(("compute_accuracy", f"applies to stages pt and sft, not {finetune.stage}"))
        elif train.eval_strategy == "no" and not train.do_eval:
            out.append(("compute_accuracy", "needs an evaluation: eval_strategy steps/epoch or do_eval, with "
                                            "eval_dataset or val_size"))
    if config.data.eval_on_each_dataset and finetune.stage not in ("pt", "sft"):
        out.append(("eval_on_each_dataset", f"applies to stages pt and sft, not {finetune.stage}: TRL's trainers log "
                                            "their eval metrics (rewards/accuracies, …) under one eval_ prefix, so "
                                            "each dataset's figures would overwrite the last one's"))
    if train.swanlab_project and "swanlab" not in train.report_targets() and train.report_targets() != "all":
        out.append(("swanlab_project", "needs use_swanlab: true or report_to: swanlab"))
    if train.include_effective_tokens_per_second and (data.streaming or finetune.stage in ("ppo", "grpo")):
        why = "a stream has no size" if data.streaming else f"stage {finetune.stage} generates what it trains on"
        out.append(("include_effective_tokens_per_second", f"counts the training set's tokens, and {why}; use "
                                                            "include_num_input_tokens_seen"))
    if config.trainer.optim_args and config.scale.special_optimizer() in ("galore", "apollo"):
        out.append(("optim_args", f"is written by tuneforge from the {config.scale.special_optimizer()}_* keys; "
                                  f"set those instead"))
    return out


def _kto_batch_problem(config: RunConfig) -> str:
    from tuneforge.config.preference import KTO_MIN_DEVICE_BATCH as at_least

    loss = "stage kto" if config.finetune.stage == "kto" else "pref_loss kto_pair"
    return (f"must be at least {at_least} for {loss}: TRL estimates its KL term from the other answers in a device "
            f"batch (alone, an answer's KL term is its implied reward); set per_device_train_batch_size: {at_least}, "
            f"or a gradient_accumulation_steps that is a multiple of {at_least} (then run as batches of {at_least}, "
            f"the same examples per update)")


def _scale_problems(config: RunConfig) -> list[tuple[str, str]]:
    """Quantization and memory-saving optimizers against the method and the loop (the machine-dependent checks
    — package installed, GPU present — stay in training.setup)."""
    from tuneforge.config.scale import FULL_ONLY_OPTIMIZERS

    scale, finetune, train = config.scale, config.finetune, config.train
    out: list[tuple[str, str]] = []
    if scale.quantization_bit is not None and finetune.finetuning_type != "lora":
        out.append(("quantization_bit", f"a quantized base model can only be trained with LoRA (got "
                                        f"finetuning_type {finetune.finetuning_type})"))
    name = scale.special_optimizer()
    if name is None:
        return out
    key = f"use_{name}"
    if finetune.loraplus_lr_ratio is not None:
        out.append(("loraplus_lr_ratio", f"cannot be combined with {key}"))
    if name in FULL_ONLY_OPTIMIZERS and finetune.finetuning_type != "full":
        out.append((key, f"needs finetuning_type full (got {finetune.finetuning_type})"))
    if name in ("galore", "apollo") and train.optim not in ("adamw_torch", "adamw_torch_fused"):
        out.append(("optim", f"{key} picks the optimizer itself; leave optim at adamw_torch"))
    layerwise = (name == "galore" and scale.galore_layerwise) or (name == "apollo" and scale.apollo_layerwise)
    if layerwise and train.gradient_accumulation_steps != 1:
        out.append((f"{name}_layerwise", "layer-wise updates cannot accumulate gradients; set "
                                         "gradient_accumulation_steps: 1"))
    return out


# rl-group keys only GRPO reads (TRL's GRPOConfig); PPO's own are the preference group's ppo_* keys.
GRPO_ONLY_KEYS = ("num_generations", "beta", "epsilon", "epsilon_high", "loss_type", "scale_rewards",
                  "num_iterations", "mask_truncated_completions", "use_vllm")


def _set_keys(group, prefix: str = "") -> list[str]:
    """The keys of a config group (starting with `prefix`) that hold other than their default."""
    import dataclasses

    return [f.name for f in dataclasses.fields(group) if f.name.startswith(prefix)
            and getattr(group, f.name) != f.default]


def _online_rl_problems(config: RunConfig) -> list[tuple[str, str]]:
    """grpo and ppo: a reward, whole answer groups per batch, and checkpoints only between batches of answers
    (the updates that reuse one batch, num_iterations / ppo_epochs, keep it in memory only)."""
    finetune, train, rl, scale = config.finetune, config.train, config.rl, config.scale
    stage = finetune.stage
    out: list[tuple[str, str]] = []
    online = STAGE_NEEDS[stage].kind is ExampleKind.PROMPT
    for key in _set_keys(rl) + _set_keys(config.preference, "ppo_"):
        only = "ppo" if key.startswith("ppo_") else "grpo" if key in GRPO_ONLY_KEYS else None
        if not online or (only is not None and only != stage):  # set, but nothing this stage runs reads it
            readers = f"stage {only}" if only else "stages grpo and ppo"
            out.append((key, f"is read by {readers} only, not by stage {stage}"))
    if not online:
        return out
    if not rl.reward_funcs and not config.preference.reward_model:
        out.append(("reward_funcs", f"stage {stage} needs a reward: reward_funcs (accuracy, format, length, "
                                    "tool_call or path/to/file.py:function) and/or reward_model (a run of stage rm)"))
    if stage == "grpo":
        batch = train.per_device_train_batch_size * train.gradient_accumulation_steps
        if batch % rl.num_generations:
            out.append(("num_generations", f"must divide per_device_train_batch_size × gradient_accumulation_steps "
                                           f"({batch}): a batch holds whole groups of answers to one prompt"))
        reuse_key, reuse = "num_iterations", rl.num_iterations
    else:
        reuse_key, reuse = "ppo_epochs", config.preference.ppo_epochs
        if finetune.finetuning_type != "lora":
            out.append(("finetuning_type", "stage ppo trains a LoRA policy (its reference is the adapter "
                                           "disabled); set finetuning_type: lora"))
        if scale.special_optimizer():
            out.append((f"use_{scale.special_optimizer()}", "stage ppo trains its policy and value head with the "
                                                            "optim optimizers only"))
        if finetune.loraplus_lr_ratio is not None:
            out.append(("loraplus_lr_ratio", "stage ppo does not support LoRA+ yet"))
        if scale.deepspeed or scale.fsdp:
            out.append(("deepspeed" if scale.deepspeed else "fsdp", "stage ppo runs on one device or under "
                                                                   "DDP (torchrun), not DeepSpeed/FSDP yet"))
    if reuse > 1 and train.save_strategy == "steps" and train.save_steps % reuse:
        out.append(("save_steps", f"must be a multiple of {reuse_key} ({reuse}): a checkpoint between the updates "
                                  "that reuse one batch of answers could not resume exactly"))
    return out
