"""Which parameters train: `ADAPTERS[finetuning_type]` wraps or freezes the base model.

lora  — peft LoraConfig (DoRA, rsLoRA, PiSSA init), optionally on top of adapters loaded from disk.
freeze — only the last (or first) N decoder layers, optionally only some of their modules, plus extras.
full  — every parameter.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tuneforge.config.finetune import FinetuneConfig
from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.core.registry import Registry
from tuneforge.model.vision import VISION_PARTS, frozen, is_vision_model

log = get_logger()
_LAYER = re.compile(r"\.layers\.(\d+)\.")


def _upcast_trainable(model) -> None:
    """Half-precision trainable weights break mixed-precision optimisers; keep them in float32."""
    import torch

    for param in model.parameters():
        if param.requires_grad and param.dtype in (torch.float16, torch.bfloat16):
            param.data = param.data.float()


def linear_module_names(model) -> list[str]:
    import torch

    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
             if isinstance(module, torch.nn.Linear) and "lm_head" not in name}
    return sorted(names)


def _embedding_module_names(model) -> list[str]:
    names = []
    for module in (model.get_input_embeddings(), model.get_output_embeddings()):
        for name, candidate in model.named_modules():
            if candidate is module and module is not None:
                names.append(name.rsplit(".", 1)[-1])
    return names


def _vision_lora_targets(model, targets: list[str], ft: FinetuneConfig) -> list[str]:
    """A vision-language model's LoRA targets as full module names: the linear layers named by lora_target
    (every one for 'all') outside the parts its freeze keys keep frozen — by default only the language model's,
    as LLaMA-Factory does (its vision encoder has q_proj/k_proj too)."""
    import torch

    kind = model.config.model_type
    return [name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and not name.startswith("lm_head")
            and (targets == ["all"] or name.rsplit(".", 1)[-1] in targets) and not frozen(name + ".", kind, ft)]


def _lora_config(ft: FinetuneConfig, model, train_embeddings: bool):
    from peft import LoraConfig, TaskType

    targets = ft.lora_targets()
    if targets != ["all"]:
        available = linear_module_names(model)
        unknown = [t for t in targets if t not in available]
        if unknown:
            raise UserError(f"no linear module named {', '.join(unknown)} in this model; available: "
                            f"{', '.join(available)}", field="lora_target")
    if is_vision_model(model):
        if ft.train_mm_proj_only:
            raise UserError("train_mm_proj_only trains the projector itself; use finetuning_type: full or "
                            "freeze", field="train_mm_proj_only")
        target_modules: str | list[str] = _vision_lora_targets(model, targets, ft)
        if not target_modules:
            raise UserError("no linear layer left for LoRA outside the frozen parts (freeze_* keys)",
                            field="lora_target")
    else:
        target_modules = "all-linear" if targets == ["all"] else targets
    init: bool | str = True
    if ft.pissa_init:
        init = "pissa" if ft.pissa_iter == -1 else f"pissa_niter_{ft.pissa_iter}"
    to_save = ft.additional_targets() + (_embedding_module_names(model) if train_embeddings else [])
    return LoraConfig(task_type=TaskType.CAUSAL_LM, r=ft.lora_rank, lora_alpha=ft.lora_alpha_value(),
                      lora_dropout=ft.lora_dropout, target_modules=target_modules,
                      modules_to_save=list(dict.fromkeys(to_save)) or None, use_dora=ft.use_dora,
                      use_rslora=ft.use_rslora, init_lora_weights=init)


def apply_lora(model, ft: FinetuneConfig, mc: ModelConfig, train_embeddings: bool = False):
    from peft import PeftModel, get_peft_model

    adapters = mc.adapter_paths()
    if adapters and not ft.create_new_adapter:
        # Continue training the last adapter; earlier ones become part of the base.
        for path in adapters[:-1]:
            model = PeftModel.from_pretrained(model, path).merge_and_unload()
        log.info("continuing training of adapter %s", adapters[-1])
        return PeftModel.from_pretrained(model, adapters[-1], is_trainable=True)
    for path in adapters:
        model = PeftModel.from_pretrained(model, path).merge_and_unload()
    return get_peft_model(model, _lora_config(ft, model, train_embeddings))


def apply_freeze(model, ft: FinetuneConfig, mc: ModelConfig, train_embeddings: bool = False):
    n_layers = model.config.get_text_config().num_hidden_layers
    k = ft.freeze_trainable_layers
    if ft.use_llama_pro:  # the blocks `tuneforge expand-blocks` added: every (layers ÷ k)-th
        from tuneforge.model.expand import expanded_layer_ids

        layer_ids = set(expanded_layer_ids(n_layers, k))
    else:
        layer_ids = set(range(max(n_layers - k, 0), n_layers)) if k > 0 else set(range(min(-k, n_layers)))
    modules = [] if ft.freeze_trainable_modules.strip() == "all" else \
        [m.strip() for m in ft.freeze_trainable_modules.split(",") if m.strip()]
    extras = [m.strip() for m in (ft.freeze_extra_modules or "").split(",") if m.strip()]
    names = [name for name, _ in model.named_parameters()]
    kind = model.config.model_type if is_vision_model(model) else None
    parts = VISION_PARTS[kind] if kind else None
    for field, wanted in (("freeze_trainable_modules", modules), ("freeze_extra_modules", extras)):
        missing = [m for m in wanted if not any(f".{m}." in f".{n}" for n in names)]
        if missing:
            raise UserError(f"no module named {', '.join(missing)} in this model", field=field)

    def trainable(name: str) -> bool:
        if kind is not None and frozen(name, kind, ft):
            return False
        if kind is not None and name.startswith(parts.vision_tower + parts.projector):
            return True  # an unfrozen vision part trains whole
        match = _LAYER.search(f".{name}")
        if match and int(match.group(1)) in layer_ids:
            return not modules or any(f".{m}." in f".{name}" for m in modules)
        return any(f".{m}." in f".{name}" for m in extras)

    for name, param in model.named_parameters():
        param.requires_grad_(trainable(name))
    if train_embeddings:
        for module in (model.get_input_embeddings(), model.get_output_embeddings()):
            if module is not None:
                module.requires_grad_(True)
    return model


def apply_full(model, ft: FinetuneConfig, mc: ModelConfig, train_embeddings: bool = False):
    kind = model.config.model_type if is_vision_model(model) else None
    for name, param in model.named_parameters():
        param.requires_grad_(kind is None or not frozen(name, kind, ft))
    return model


@dataclass(frozen=True)
class AdapterSpec:
    apply: Callable
    description: str


ADAPTERS: Registry[AdapterSpec] = Registry("finetuning_type", {
    "lora": AdapterSpec(apply_lora, "low-rank adapters (LoRA, DoRA, rsLoRA, PiSSA) via peft"),
    "freeze": AdapterSpec(apply_freeze, "train only some decoder layers"),
    "full": AdapterSpec(apply_full, "train every parameter"),
})


def apply_adapter(model, ft: FinetuneConfig, mc: ModelConfig, train_embeddings: bool = False):
    """The model with exactly the parameters this config trains set trainable (plus the embeddings when the
    vocabulary was resized)."""
    spec = ADAPTERS.get_or_raise(ft.finetuning_type, field="finetuning_type")
    model = spec.apply(model, ft, mc, train_embeddings)
    _upcast_trainable(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    if trainable == 0:
        raise UserError("no parameter would be trained with these settings", field="finetuning_type")
    log.info("trainable params: %d || all params: %d || trainable%%: %.4f", trainable, total,
             100 * trainable / total)
    return model


def base_model(model):
    """The transformers model under a peft wrapper (the model itself when there is none)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model
