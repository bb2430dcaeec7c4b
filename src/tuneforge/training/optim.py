"""Memory-saving optimizers, reached through the Trainer's own doors.

GaLore and APOLLO are transformers optimizers: they become `optim=` / `optim_target_modules=` / `optim_args=`
TrainingArguments. BAdam (block-coordinate Adam), Adam-mini and Muon (torch's own, with AdamW for what is not
a weight matrix) are built here and handed to `Trainer(optimizers=(optimizer, None))`, so the Trainer still
makes the learning-rate schedule. LoRA+ lives in
setup.build_optimizer (peft's create_loraplus_optimizer).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.model.adapters import linear_module_names


@dataclass(frozen=True)
class OptimizerSpec:
    package: str        # import name that must be installed
    pip_name: str


# Which of them train the base weights themselves is a config rule (config.scale.FULL_ONLY_OPTIMIZERS).
SPECIAL_OPTIMIZERS: dict[str, OptimizerSpec] = {
    "galore": OptimizerSpec("galore_torch", "galore-torch"),
    "apollo": OptimizerSpec("apollo_torch", "apollo-torch"),
    "badam": OptimizerSpec("badam", "badam"),
    "adam_mini": OptimizerSpec("adam_mini", "adam-mini"),
    "muon": OptimizerSpec("torch", "torch>=2.9"),  # torch.optim.Muon
}


def check_optimizer_installed(cfg: RunConfig) -> None:
    """The chosen memory-saving optimizer's package must be installed here (its config rules are in
    config.rules)."""
    name = cfg.scale.special_optimizer()
    if name is None:
        return
    spec = SPECIAL_OPTIMIZERS[name]
    if name == "muon":
        import torch

        if not hasattr(torch.optim, "Muon"):
            raise UserError(f"needs torch.optim.Muon (torch 2.9 or newer; this is {torch.__version__})",
                            field="use_muon")
        return
    if find_spec(spec.package) is None:
        raise UserError(f"needs the {spec.pip_name} package: pip install {spec.pip_name}", field=f"use_{name}")


def _targets(value: str, model) -> str | list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if names == ["all"]:
        # Every Linear but the output head, as LoRA's "all" (transformers' all-linear would include lm_head).
        return linear_module_names(model) if model is not None else "all-linear"
    return names


def optimizer_arguments(cfg: RunConfig, model=None) -> dict[str, Any]:
    """TrainingArguments keywords for GaLore/APOLLO (empty for every other optimizer)."""
    s = cfg.scale
    if s.use_galore:
        return {"optim": "galore_adamw_layerwise" if s.galore_layerwise else "galore_adamw",
                "optim_target_modules": _targets(s.galore_target, model),
                "optim_args": f"rank={s.galore_rank},update_proj_gap={s.galore_update_interval},"
                              f"scale={s.galore_scale},proj_type={s.galore_proj_type}"}
    if s.use_apollo:
        return {"optim": "apollo_adamw_layerwise" if s.apollo_layerwise else "apollo_adamw",
                "optim_target_modules": _targets(s.apollo_target, model),
                "optim_args": f"rank={s.apollo_rank},update_proj_gap={s.apollo_update_interval},"
                              f"scale={s.apollo_scale},proj={s.apollo_proj},proj_type={s.apollo_proj_type},"
                              f"scale_type={s.apollo_scale_type}"}
    return {}


def _adam_kwargs(cfg: RunConfig) -> dict[str, Any]:
    t = cfg.train
    return {"lr": t.learning_rate, "betas": (t.adam_beta1, t.adam_beta2), "eps": t.adam_epsilon}


def _badam(cfg: RunConfig, model):
    import torch
    from badam import BlockOptimizer, BlockOptimizerRatio

    s = cfg.scale
    named = list(model.named_parameters())
    if s.badam_mode == "ratio":
        return BlockOptimizerRatio(param_groups=[{"params": [p for _, p in named],
                                                  "weight_decay": cfg.train.weight_decay}],
                                   named_parameters_list=named, update_ratio=s.badam_update_ratio,
                                   mask_mode=s.badam_mask_mode, verbose=s.badam_verbose,
                                   switch_every=s.badam_switch_interval, **_adam_kwargs(cfg))
    base = torch.optim.AdamW([p for _, p in named], weight_decay=cfg.train.weight_decay, **_adam_kwargs(cfg))
    return BlockOptimizer(base_optimizer=base, named_parameters_list=named, block_prefix_list=None,
                          switch_block_every=s.badam_switch_interval, start_block=s.badam_start_block,
                          switch_mode=s.badam_switch_mode, verbose=s.badam_verbose, ds_zero3_enabled=False)


def _adam_mini(cfg: RunConfig, model):
    from adam_mini import Adam_mini

    text = getattr(model.config, "text_config", None) or model.config
    return Adam_mini(named_parameters=[(n, p) for n, p in model.named_parameters() if p.requires_grad],
                     weight_decay=cfg.train.weight_decay, dim=text.hidden_size, n_heads=text.num_attention_heads,
                     n_kv_heads=getattr(text, "num_key_value_heads", None), verbose=False, **_adam_kwargs(cfg))


def _muon(cfg: RunConfig, model):
    from tuneforge.training.muon import MuonWithAdamW

    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    matrices = [p for n, p in trainable if p.ndim == 2 and "embed" not in n and "lm_head" not in n]
    chosen = {id(p) for p in matrices}
    t = cfg.train
    return MuonWithAdamW(matrices, [p for _, p in trainable if id(p) not in chosen], lr=t.learning_rate,
                         weight_decay=t.weight_decay, betas=(t.adam_beta1, t.adam_beta2), eps=t.adam_epsilon)


_BUILT_HERE: dict[str, Callable] = {"badam": _badam, "adam_mini": _adam_mini, "muon": _muon}


def build_special_optimizer(cfg: RunConfig, model):
    """The BAdam / Adam-mini / Muon optimizer for Trainer(optimizers=(it, None)), or None."""
    builder = _BUILT_HERE.get(cfg.scale.special_optimizer() or "")
    return builder(cfg, model) if builder else None
