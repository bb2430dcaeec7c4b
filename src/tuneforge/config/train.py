"""The `train` group: the optimisation loop and outputs. Field names are HF TrainingArguments' (and
LLaMA-Factory's), so `to_training_arguments()` hands them straight to transformers."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import option, split_names

# The fast step's output head computes at most this many logits at once: 2**24 float32 values are 64 MB (at a
# 152k vocabulary, 110 positions per chunk; at 6k, 2,796 — a whole batch of short chat rows, so no chunking
# and no recomputation). training/head.py; the memory estimate counts one chunk.
CHUNK_LOGITS = 2**24

# Our own keys, not TrainingArguments fields.
_OWN_KEYS = {"overwrite_output_dir", "plot_loss", "warmup_ratio", "group_by_length", "fast_path",
             "include_effective_tokens_per_second", "use_swanlab", "swanlab_project", "compute_accuracy"}
# include_num_input_tokens_seen as YAML/CLI spell it → transformers' value
_TOKENS_SEEN = {"true": "all", "yes": "all", "all": "all", "non_padding": "non_padding", "false": "no", "no": "no"}


@dataclass(frozen=True)
class TrainConfig:
    do_train: bool | None = option(None, "Train (default: yes, unless do_predict asks for prediction only, as in "
                                         "LLaMA-Factory's predict YAMLs).")
    do_eval: bool = option(False, "Evaluate on the validation split after training.")
    do_predict: bool = option(False, "Generate replies for eval_dataset and score BLEU-4/ROUGE "
                                     "(with predict_with_generate).")
    output_dir: str | None = option(None, "Where checkpoints, the adapter/model, logs and plots go.")
    overwrite_output_dir: bool = option(False, "Allow writing into a non-empty output_dir (deletes its "
                                               "checkpoints). Without it, training resumes from the last one.")
    resume_from_checkpoint: str | None = option(None, "Resume from this checkpoint folder (default: the "
                                                      "newest complete checkpoint in output_dir, if any).")
    plot_loss: bool = option(False, "Save training_loss.png (and eval_loss.png) after training.")
    # optimisation
    per_device_train_batch_size: int = option(1, "Examples per device per step.")
    per_device_eval_batch_size: int = option(1, "Examples per device per evaluation step.")
    gradient_accumulation_steps: int = option(1, "Steps accumulated before each optimizer update.")
    learning_rate: float = option(5e-5, "Peak learning rate.")
    num_train_epochs: float = option(3.0, "Passes over the training data.")
    max_steps: int = option(-1, "Stop after this many optimizer steps (overrides epochs when > 0).")
    lr_scheduler_type: str = option("cosine", "Learning-rate schedule (linear, cosine, constant, "
                                              "constant_with_warmup, …).")
    warmup_ratio: float = option(0.0, "Fraction of steps spent warming up the learning rate.")
    warmup_steps: int = option(0, "Warm-up steps (overrides warmup_ratio when > 0).")
    weight_decay: float = option(0.0, "AdamW weight decay.")
    adam_beta1: float = option(0.9, "AdamW beta1.")
    adam_beta2: float = option(0.999, "AdamW beta2.")
    adam_epsilon: float = option(1e-8, "AdamW epsilon.")
    max_grad_norm: float = option(1.0, "Gradient clipping norm.")
    optim: str = option("adamw_torch", "Optimizer name as transformers knows it (adamw_torch, adafactor, …).")
    label_smoothing_factor: float = option(0.0, "Label smoothing.")
    bf16: bool = option(False, "Train in bfloat16 mixed precision.")
    fp16: bool = option(False, "Train in float16 mixed precision (GPU only).")
    gradient_checkpointing: bool | None = option(None, "Recompute activations to save memory "
                                                       "(default: on when a GPU is used).")
    torch_compile: bool = option(False, "Compile the model with torch.compile.")
    group_by_length: bool = option(False, "Batch examples of similar length together (changes the order).")
    fast_path: bool = option(True, "The training step that computes only what the loss needs: batches without "
                                   "padding (attention within each example), the output head only at trained "
                                   "positions, fused AdamW. The same examples, order, loss and optimizer; false "
                                   "runs transformers' padded step, for comparisons and debugging.")
    seed: int = option(42, "Random seed (data order, initialisation, splits).")
    data_seed: int | None = option(None, "Seed for the data sampler (default: seed).")
    # logging and saving
    logging_steps: int = option(5, "Log every N steps.")
    logging_first_step: bool = option(True, "Log the first step too.")
    save_strategy: str = option("steps", "When to save checkpoints.", ("no", "steps", "epoch"))
    save_steps: int = option(500, "Save a checkpoint every N steps.")
    save_total_limit: int | None = option(None, "Keep at most N checkpoints (oldest deleted).")
    save_only_model: bool = option(False, "Checkpoints without optimizer state (cannot resume exactly).")
    eval_strategy: str = option("no", "When to evaluate.", ("no", "steps", "epoch"))
    eval_steps: int | None = option(None, "Evaluate every N steps (default: logging_steps).")
    report_to: str = option("none", "Experiment trackers, comma-separated (none, all = every installed one, "
                                    "tensorboard, wandb, mlflow, …).")
    run_name: str | None = option(None, "Name of the run in trackers.")
    use_swanlab: bool = option(False, "Log to SwanLab (LLaMA-Factory's key: adds swanlab to report_to; "
                                      "pip install swanlab).")
    swanlab_project: str | None = option(None, "SwanLab project name (with use_swanlab or report_to swanlab).")
    include_num_input_tokens_seen: str = option("no", "Count input tokens seen (num_input_tokens_seen in the logs "
                                                      "and train metrics): all, non_padding (padding left out), "
                                                      "no; true means all, as in transformers.")
    compute_accuracy: bool = option(False, "Report eval_accuracy with every evaluation (pt/sft): per example, the "
                                           "share of trained tokens the top prediction gets right, averaged, as "
                                           "LLaMA-Factory computes it.")
    include_effective_tokens_per_second: bool = option(False, "Report effective_tokens_per_sec in the train "
                                                              "metrics (all_results.json), as LLaMA-Factory: the "
                                                              "training set's tokens × epochs ÷ runtime, per "
                                                              "device.")
    disable_tqdm: bool = option(False, "Hide the progress bar.")
    # hardware
    use_cpu: bool = option(False, "Train on the CPU even when a GPU is present.")
    dataloader_num_workers: int = option(0, "Worker processes loading batches.")
    ddp_timeout: int = option(1800, "Seconds before a distributed collective times out.")
    ddp_find_unused_parameters: bool | None = option(None, "DDP: look for unused parameters.")

    def trains(self) -> bool:
        return self.do_train if self.do_train is not None else not self.do_predict

    def warmup(self) -> float:
        return float(self.warmup_steps) if self.warmup_steps > 0 else float(self.warmup_ratio)

    def warmup_steps_for(self, total_steps: int) -> int:
        """Warm-up steps of a run of `total_steps` (a ratio rounds up, as transformers does)."""
        return self.warmup_steps if self.warmup_steps > 0 else math.ceil(self.warmup_ratio * total_steps)

    def device_batches(self, at_least: int = 1) -> tuple[int, int] | None:
        """(examples per device step, steps accumulated per update) for a loss that needs `at_least` examples in
        one device batch: the user's own when they suffice, else the same examples per update regrouped into
        batches of `at_least` (1 × 8 → 2 × 4); None when they cannot be (1 × 1, or 1 × 3 for at least 2)."""
        batch, steps = self.per_device_train_batch_size, self.gradient_accumulation_steps
        if batch >= at_least:
            return batch, steps
        per_update = batch * steps
        if per_update % at_least:
            return None
        return at_least, per_update // at_least

    def report_targets(self) -> str | list[str]:
        """report_to as transformers takes it: "none", "all", or the list of tracker names (LLaMA-Factory's YAMLs
        may hold a list, which the loader joins with commas; transformers would read that as one name)."""
        names = split_names(self.report_to)
        if self.use_swanlab and "swanlab" not in names and names != ["all"]:
            names = [n for n in names if n != "none"] + ["swanlab"]
        if names in ([], ["none"]):
            return "none"
        return "all" if names == ["all"] else names

    def tokens_seen(self) -> str:
        """include_num_input_tokens_seen as transformers takes it: all, non_padding or no."""
        return _TOKENS_SEEN.get(self.include_num_input_tokens_seen.strip().lower(), "no")

    def to_training_arguments(self) -> dict[str, Any]:
        """Keyword arguments for transformers.TrainingArguments (the caller adds device-dependent ones)."""
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in _OWN_KEYS}
        kwargs["do_train"] = self.trains()
        kwargs["warmup_steps"] = self.warmup()
        kwargs["train_sampling_strategy"] = "group_by_length" if self.group_by_length else "random"
        kwargs["include_num_input_tokens_seen"] = self.tokens_seen()
        kwargs["eval_steps"] = self.eval_steps or self.logging_steps
        kwargs["report_to"] = self.report_targets()
        kwargs.pop("gradient_checkpointing")  # decided with the device, by the train layer
        return kwargs

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.include_num_input_tokens_seen.strip().lower() not in _TOKENS_SEEN:
            out.append(("include_num_input_tokens_seen", f"'{self.include_num_input_tokens_seen}' is not one of: "
                                                         "all, non_padding, no (or true/false)"))
        if self.bf16 and self.fp16:
            out.append(("fp16", "bf16 and fp16 cannot both be on"))
        for name in ("per_device_train_batch_size", "per_device_eval_batch_size",
                     "gradient_accumulation_steps", "logging_steps", "save_steps"):
            if getattr(self, name) < 1:
                out.append((name, "must be at least 1"))
        if self.learning_rate <= 0:
            out.append(("learning_rate", "must be positive"))
        if not 0 <= self.warmup_ratio < 1:
            out.append(("warmup_ratio", "must be in [0, 1)"))
        if self.max_steps <= 0 and self.num_train_epochs <= 0:
            out.append(("num_train_epochs", "must be positive when max_steps is not set"))
        return out
