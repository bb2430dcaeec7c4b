"""Building the Hugging Face Trainer pieces from the config: TrainingArguments (distributed engines, kernels,
memory-saving optimizers), the optimizer (LoRA+, BAdam, Adam-mini), the device decision, and the checks of the
scale options that need the machine to judge. Customisation goes through constructor arguments only."""
from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from importlib.util import find_spec
from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.training.optim import build_special_optimizer, check_optimizer_installed, optimizer_arguments
from tuneforge.training.trackers import check_trackers_installed

log = get_logger()


def check_machine(cfg: RunConfig) -> None:
    """The checks that need the machine but not torch (packages installed, config files, a launcher): run
    before the data is encoded; `use_gpu` adds the ones that need to know whether there is a GPU."""
    check_scale(cfg)
    check_trackers_installed(cfg)


def use_gpu(cfg: RunConfig) -> bool:
    """Whether this run trains on a GPU — and every check that needs the machine to judge (`check_machine`,
    and what needs a GPU)."""
    import torch

    check_machine(cfg)
    on_gpu = torch.cuda.is_available() and not cfg.train.use_cpu
    if cfg.train.fp16 and not on_gpu:
        raise UserError("fp16 needs a GPU; on CPU use bf16: true or neither", field="fp16")
    if cfg.scale.enable_liger_kernel and not on_gpu:
        raise UserError("Liger kernels are GPU (Triton) kernels; turn enable_liger_kernel off on CPU",
                        field="enable_liger_kernel")
    if cfg.train.bf16 and not on_gpu:
        if cpu_has_bf16() is False:
            log.warning("bf16: this CPU has no bfloat16 instructions (no avx512_bf16 or amx_bf16 flag), so "
                        "autocast emulates them and trains slower than float32; consider bf16: false")
        else:
            log.info("bf16 on CPU: autocast in bfloat16 (measured slower than float32 on small models; "
                     "docs/training.md)")
    return on_gpu


def cpu_has_bf16() -> bool | None:
    """Whether this CPU has bfloat16 instructions (AVX512-BF16 or AMX-BF16); None where /proc/cpuinfo is not
    there to say (not Linux)."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return None
    return "avx512_bf16" in flags or "amx_bf16" in flags


def uses_gradient_checkpointing(cfg: RunConfig, on_gpu: bool) -> bool:
    """On by default on GPUs (memory is the limit there), off on CPU (speed is)."""
    if cfg.train.gradient_checkpointing is not None:
        return cfg.train.gradient_checkpointing
    return on_gpu and not cfg.model.disable_gradient_checkpointing


def _check_json_file(path: str, field: str) -> None:
    if not Path(path).is_file():
        raise UserError("file not found", file=path, field=field)
    try:
        json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise UserError(f"not valid JSON: {exc}", file=path, field=field) from None


def check_scale(cfg: RunConfig) -> None:
    """Scale options this machine cannot honour (a package missing, a config file absent, no launcher), as
    UserErrors before any heavy work. Rules the config alone decides are in config.rules; needing a GPU is
    `use_gpu`'s."""
    s = cfg.scale
    if s.enable_liger_kernel and find_spec("liger_kernel") is None:
        raise UserError("needs the liger-kernel package: pip install liger-kernel", field="enable_liger_kernel")
    if s.deepspeed:
        _check_json_file(s.deepspeed, "deepspeed")
        if find_spec("deepspeed") is None:
            raise UserError("needs the deepspeed package: pip install deepspeed", field="deepspeed")
        if not under_launcher(os.environ):  # DeepSpeed would look for MPI and fail with a long traceback
            raise UserError("needs a distributed launcher: run it with `tuneforge train`, which starts torchrun "
                            "itself, or under torchrun / accelerate launch", field="deepspeed")
    if s.fsdp_config:
        _check_json_file(s.fsdp_config, "fsdp_config")
    check_optimizer_installed(cfg)


def training_arguments(cfg: RunConfig, on_gpu: bool, has_eval: bool, *, model=None):
    """TrainingArguments for this run; `model` lets GaLore/APOLLO target every Linear but the output head."""
    from transformers import TrainingArguments

    kwargs = {**cfg.train.to_training_arguments(), **cfg.trainer.to_training_arguments()}
    if cfg.train.swanlab_project:  # transformers' SwanLab callback reads its project from the environment
        os.environ["SWANLAB_PROJECT"] = cfg.train.swanlab_project
    kwargs.update(use_cpu=not on_gpu, remove_unused_columns=False, label_names=["labels"],
                  activation_checkpointing=uses_gradient_checkpointing(cfg, on_gpu), resume_from_checkpoint=None,
                  dataloader_pin_memory=on_gpu)  # pinned host memory only helps copies to a GPU
    if not has_eval:
        kwargs["eval_strategy"] = "no"
    if kwargs.get("ddp_find_unused_parameters") is None and cfg.finetune.finetuning_type != "full":
        kwargs["ddp_find_unused_parameters"] = False  # frozen parameters are never "unused" by mistake
    s = cfg.scale
    if s.deepspeed:
        kwargs["deepspeed"] = s.deepspeed
    if s.fsdp:
        kwargs["fsdp"] = s.fsdp
        if s.fsdp_config:
            kwargs["fsdp_config"] = s.fsdp_config
    if s.enable_liger_kernel:
        kwargs["use_liger_kernel"] = True
    if s.use_badam:
        # Inactive blocks have no gradient; DDP must not wait for them.
        kwargs["ddp_find_unused_parameters"] = True
    if cfg.train.fast_path and kwargs["optim"] == "adamw_torch":
        kwargs["optim"] = "adamw_torch_fused"  # the same AdamW update in one fused kernel per parameter group
    kwargs.update(optimizer_arguments(cfg, model))
    try:
        return TrainingArguments(**kwargs)
    except ValueError as exc:  # transformers' own checks of combinations (load_best_model_at_end & co.)
        raise UserError(f"transformers refuses these training arguments: {str(exc).splitlines()[0]}") from None


def build_optimizer(cfg: RunConfig, model):
    """(optimizer, scheduler) for Trainer(optimizers=...): LoRA+, BAdam or Adam-mini when asked, else the
    Trainer's own (None, None)."""
    special = build_special_optimizer(cfg, model)
    if special is not None:
        return special, None
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


def under_launcher(env: Mapping[str, str]) -> bool:
    """Whether this process was started by a distributed launcher (torchrun, accelerate launch, deepspeed)."""
    return env.get("RANK") is not None or env.get("LOCAL_RANK") is not None


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


@contextlib.contextmanager
def main_process_first(cfg: RunConfig, on_gpu: bool):
    """Under torchrun/accelerate, the main process runs the block first (encoding data into the shared cache,
    preparing output_dir); the others run it after, reading the cache, and nobody leaves before all are done.
    A single process just runs the block."""
    if world_size() <= 1:
        yield True
        return
    from datetime import timedelta

    from accelerate import PartialState

    # The first PartialState decides the process group: gloo on CPU, with the run's ddp_timeout.
    state = PartialState(cpu=not on_gpu, timeout=timedelta(seconds=cfg.train.ddp_timeout))
    with state.main_process_first():
        yield state.is_main_process
    state.wait_for_everyone()
