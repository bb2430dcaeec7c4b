"""Loading the tokenizer and the base model (local folder or hub id), with the dtype and attention
implementation the config and the device call for. Hub failures and missing folders become UserErrors."""
from __future__ import annotations

import os
import re
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from tuneforge.config.model import ModelConfig
from tuneforge.config.scale import ScaleConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
log = get_logger()


def check_model_path(path: str | None, field: str = "model_name_or_path") -> None:
    """Cheap check before any heavy work: a local folder must exist; anything else must look like a hub id."""
    if not path:
        raise UserError("is required", field=field)
    local = Path(path).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file() and not (local / "adapter_config.json").is_file():
            raise UserError("folder has no config.json (not a transformers model folder)", file=str(local),
                            field=field)
        return
    if local.exists() or not _HUB_ID.match(path) or path.startswith((".", "/", "~")):
        raise UserError("model folder not found", file=path, field=field)


def _hub_kwargs(cfg: ModelConfig) -> dict[str, Any]:
    return {"cache_dir": cfg.cache_dir, "revision": cfg.model_revision, "token": cfg.hf_hub_token,
            "trust_remote_code": cfg.trust_remote_code}


def _loading(what: str, path: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except OSError as exc:  # offline hub, missing files, gated repos: all surface as OSError
        raise UserError(f"could not load {what}: {str(exc).splitlines()[0]}", file=path) from None


def load_tokenizer(cfg: ModelConfig, path: str | None = None):
    from transformers import AutoTokenizer

    path = path or cfg.model_name_or_path
    tokenizer = _loading("tokenizer", path, AutoTokenizer.from_pretrained, path, use_fast=cfg.use_fast_tokenizer,
                         split_special_tokens=cfg.split_special_tokens, **_hub_kwargs(cfg))
    if len(tokenizer) < 10:
        raise UserError(f"tokenizer has only {len(tokenizer)} tokens (no vocabulary file in the folder?)",
                        file=path)
    if tokenizer.pad_token is None:
        # Padding is never trained (labels are -100), so reusing EOS for it is safe.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def resolve_dtype(cfg: ModelConfig, on_gpu: bool):
    import torch

    if cfg.infer_dtype != "auto":
        return getattr(torch, cfg.infer_dtype)
    if on_gpu:
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _check_attention(cfg: ModelConfig, on_gpu: bool) -> None:
    if cfg.flash_attn != "fa2":
        return
    if not on_gpu:
        raise UserError("fa2 (FlashAttention-2) needs a CUDA GPU; on CPU use flash_attn: sdpa or auto",
                        field="flash_attn")
    if find_spec("flash_attn") is None:
        raise UserError("fa2 needs the flash-attn package (pip install flash-attn --no-build-isolation); "
                        "or use flash_attn: sdpa", field="flash_attn")


def _quantized_kwargs(scale: ScaleConfig | None, path: str, on_gpu: bool, dtype) -> dict[str, Any]:
    if scale is None or scale.quantization_bit is None:
        return {}
    from transformers import AutoConfig

    from tuneforge.model.quantize import check_cpu_quantizable, quantization_config

    if not on_gpu:
        check_cpu_quantizable(_loading("config", path, AutoConfig.from_pretrained, path))
    kwargs: dict[str, Any] = {"quantization_config": quantization_config(scale, on_gpu=on_gpu,
                                                                         compute_dtype=dtype)}
    if on_gpu:
        # Each process keeps its whole quantized copy on its own GPU (DDP); "auto" would spread it.
        kwargs["device_map"] = scale.quantization_device_map or {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return kwargs


def load_model(cfg: ModelConfig, *, on_gpu: bool, for_training: bool = True, scale: ScaleConfig | None = None,
               gradient_checkpointing: bool = False, context_length: int | None = None):
    """The base model in the dtype and attention implementation the config asks for; quantized (and prepared
    for k-bit training) when `scale` asks for quantization_bit; its rotary positions stretched to
    `context_length` (the run's cutoff_len) when the config asks for rope_scaling."""
    from tuneforge.model.vision import auto_model_class

    _check_attention(cfg, on_gpu)
    path = cfg.model_name_or_path
    auto = auto_model_class(path)
    kwargs = dict(_hub_kwargs(cfg), dtype=resolve_dtype(cfg, on_gpu))
    if cfg.rope_scaling or (for_training and cfg.moe_aux_loss_coef):  # judged on the config, before the weights
        from transformers import AutoConfig

        config = _loading("config", path, AutoConfig.from_pretrained, path, **_hub_kwargs(cfg))
        if cfg.rope_scaling:
            from tuneforge.model.rope import scaled_rope

            if context_length is None:
                raise ValueError("rope_scaling needs the run's context length (cutoff_len)")
            scaled_rope(config, cfg.rope_scaling, context_length)
        if for_training and cfg.moe_aux_loss_coef:
            _ask_router_aux_loss(config, cfg.moe_aux_loss_coef)
        kwargs["config"] = config
    if cfg.attn_implementation():
        kwargs["attn_implementation"] = cfg.attn_implementation()
    kwargs.update(_quantized_kwargs(scale, path, on_gpu, kwargs["dtype"]))
    model = _loading("model", path, auto.from_pretrained, path, **kwargs)
    if not for_training:
        model.generation_config.use_cache = cfg.use_cache
    if for_training:
        # The KV cache is useless in training and its presence disables packed-sequence masking.
        model.config.use_cache = False
        if "quantization_config" in kwargs:
            from tuneforge.model.quantize import prepare_for_kbit_training

            model = prepare_for_kbit_training(model, gradient_checkpointing)
    log.info("loaded %s (%.1fM parameters, %s%s)", path, model.num_parameters() / 1e6, kwargs["dtype"],
             f", {scale.quantization_bit}-bit" if "quantization_config" in kwargs else "")
    return model


def _ask_router_aux_loss(config, coefficient: float) -> None:
    """Have the MoE model's forward return its router load-balancing loss (`outputs.aux_loss`)."""
    if not hasattr(config, "router_aux_loss_coef") or not hasattr(config, "output_router_logits"):
        raise UserError(f"needs a mixture-of-experts model; {getattr(config, 'model_type', 'this model')} has no "
                        f"router", field="moe_aux_loss_coef")
    config.output_router_logits = True
    config.router_aux_loss_coef = coefficient
