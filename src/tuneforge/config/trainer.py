"""The `trainer` group: the rest of transformers.TrainingArguments, passed through as they are — so that a
LLaMA-Factory YAML carrying any of them runs unchanged — plus the fields tuneforge sets itself (`MANAGED`:
a user value is refused with what to set instead).

Every TrainingArguments field is accounted for: a key of one of the config groups (train, scale, …), a field
here, or MANAGED; tests/config/test_trainer_args.py walks the dataclass, so a new transformers release cannot add
a field that a YAML would stop at.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import option, split_names

# TrainingArguments fields tuneforge decides itself → what to set instead (or why it cannot be set).
MANAGED: dict[str, str] = {
    "activation_checkpointing": "set gradient_checkpointing (tuneforge turns it on with the device)",
    "activation_checkpointing_kwargs": "set gradient_checkpointing (tuneforge chooses non-reentrant checkpointing)",
    "gradient_checkpointing_kwargs": "set gradient_checkpointing (tuneforge chooses non-reentrant checkpointing)",
    "use_liger_kernel": "set enable_liger_kernel",
    "liger_kernel_config": "set enable_liger_kernel (tuneforge picks the kernels the fast step can use)",
    "accelerator_config": "tuneforge configures accelerate from its scale keys (deepspeed, fsdp, ddp_*)",
    "parallelism_config": "tuneforge configures accelerate from its scale keys (deepspeed, fsdp, ddp_*)",
    "remove_unused_columns": "tuneforge's collators read every column they are given",
    "label_names": "tuneforge's stages name their labels themselves",
    "train_sampling_strategy": "set group_by_length",
    "length_column_name": "set group_by_length (tuneforge knows each example's length)",
    "optim_target_modules": "set galore_target or apollo_target",
    "local_rank": "set by torchrun / the launcher",
    "dataloader_pin_memory": "tuneforge pins host memory exactly when a GPU trains (it only speeds up copies to one)",
}
_JSON_FIELDS = ("lr_scheduler_kwargs",)  # a mapping in YAML, JSON text on the command line (option mapping=True)
_LIST_FIELDS = ("include_for_metrics",)  # a YAML list or a comma list


@dataclass(frozen=True)
class TrainerConfig:
    lr_scheduler_kwargs: str | None = option(None, "Extra scheduler arguments as a mapping (YAML) or JSON text, "
                                                   "e.g. {min_lr: 1.0e-5} for cosine_with_min_lr.", mapping=True)
    optim_args: str | None = option(None, "Extra optimizer arguments as transformers takes them (k=v,k=v).")
    neftune_noise_alpha: float | None = option(None, "NEFTune: noise added to the input embeddings in training.")
    average_tokens_across_devices: bool = option(True, "Normalise the loss by the token count of all devices.")
    bf16_full_eval: bool = option(False, "Evaluate with the weights in bfloat16.")
    fp16_full_eval: bool = option(False, "Evaluate with the weights in float16.")
    tf32: bool | None = option(None, "Allow TF32 matmuls (Ampere+ GPUs).")
    torch_compile_backend: str | None = option(None, "torch.compile backend (with torch_compile).")
    torch_compile_mode: str | None = option(None, "torch.compile mode (with torch_compile).")
    torch_empty_cache_steps: int | None = option(None, "Empty the CUDA cache every N steps.")
    auto_find_batch_size: bool = option(False, "Halve the batch on out-of-memory and retry (accelerate).")
    logging_strategy: str = option("steps", "When to log.", ("no", "steps", "epoch"))
    log_on_each_node: bool = option(True, "Log on every node, not only the first.")
    logging_nan_inf_filter: bool = option(True, "Leave nan/inf losses out of the logged average.")
    log_level: str = option("passive", "transformers' log level on the main process.")
    log_level_replica: str = option("warning", "transformers' log level on the other processes.")
    project: str = option("huggingface", "Project name for trackers that have one (trackio).")
    trackio_space_id: str | None = option(None, "trackio: the Space to log to.")
    trackio_bucket_id: str | None = option(None, "trackio: the bucket to log to.")
    trackio_static_space_id: str | None = option(None, "trackio: a static Space to log to.")
    eval_delay: float = option(0.0, "Steps or epochs to wait before the first evaluation.")
    prediction_loss_only: bool = option(False, "Evaluation returns the loss only.")
    eval_on_start: bool = option(False, "Evaluate once before training (a sanity check).")
    eval_do_concat_batches: bool = option(True, "Concatenate evaluation batches before computing metrics.")
    eval_use_gather_object: bool = option(False, "Gather nested evaluation outputs from every device.")
    eval_accumulation_steps: int | None = option(None, "Move evaluation outputs to the CPU every N steps.")
    include_for_metrics: str | None = option(None, "Extra inputs handed to the metrics (inputs, loss).")
    batch_eval_metrics: bool = option(False, "Compute metrics batch by batch.")
    save_on_each_node: bool = option(False, "Save checkpoints on every node (no shared file system).")
    enable_jit_checkpoint: bool = option(False, "Save a checkpoint when the job is pre-empted (SIGTERM).")
    push_to_hub: bool = option(False, "Push checkpoints to the Hugging Face Hub while training.")
    hub_model_id: str | None = option(None, "Hub repository to push checkpoints to.")
    hub_strategy: str = option("every_save", "What to push and when.",
                               ("end", "every_save", "checkpoint", "all_checkpoints"))
    hub_token: str | None = option(None, "Hub token for pushing (default: the logged-in one).")
    hub_private_repo: bool | None = option(None, "Create the Hub repository private.")
    hub_always_push: bool = option(False, "Push even while the previous push runs.")
    hub_revision: str | None = option(None, "Hub branch to push to.")
    load_best_model_at_end: bool = option(False, "Keep the best checkpoint by metric_for_best_model at the end "
                                                 "(save and eval strategies must match).")
    metric_for_best_model: str | None = option(None, "Metric that picks the best checkpoint (default: loss).")
    greater_is_better: bool | None = option(None, "Whether a larger metric_for_best_model is better.")
    ignore_data_skip: bool = option(False, "On resume, do not skip the batches already seen.")
    restore_callback_states_from_checkpoint: bool = option(False, "On resume, restore callbacks' states.")
    full_determinism: bool = option(False, "Deterministic algorithms everywhere (slower).")
    dataloader_drop_last: bool = option(False, "Drop the last incomplete batch.")
    dataloader_persistent_workers: bool = option(False, "Keep data-loader workers between epochs.")
    dataloader_prefetch_factor: int | None = option(None, "Batches each data-loader worker prefetches.")
    dataloader_multiprocessing_context: str | None = option(None, "Start method of data-loader workers.")
    dataloader_in_order: bool = option(True, "Yield batches in order when workers finish out of order.")
    ddp_bucket_cap_mb: int | None = option(None, "DDP gradient bucket size (MB).")
    ddp_broadcast_buffers: bool | None = option(None, "DDP: broadcast buffers each step.")
    ddp_static_graph: bool | None = option(None, "DDP: the graph does not change between steps.")
    ddp_backend: str | None = option(None, "Distributed backend (nccl, gloo, …).")
    debug: str = option("", "transformers' debug options (underflow_overflow, tpu_metrics_debug).")
    skip_memory_metrics: bool = option(True, "Skip the memory profiler's metrics (it slows training).")

    def to_training_arguments(self) -> dict[str, Any]:
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in _JSON_FIELDS:
            if kwargs[name] is not None:
                kwargs[name] = json.loads(kwargs[name])
        for name in _LIST_FIELDS:
            kwargs[name] = split_names(kwargs[name])
        return kwargs

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for name in _JSON_FIELDS:
            value = getattr(self, name)
            try:
                parsed = json.loads(value) if value is not None else {}
            except json.JSONDecodeError:
                parsed = None
            if not isinstance(parsed, dict):
                out.append((name, f"expected a mapping (YAML) or JSON object text, got {value!r}"))
        return out
