"""Vision-language models: telling one from a text model (its config.json, before anything loads), loading
its processor, and which of its parameters belong to the vision encoder, the projector and the language
model — the parts LLaMA-Factory's `freeze_vision_tower`, `freeze_multi_modal_projector`,
`freeze_language_model` and `train_mm_proj_only` freeze or train.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tuneforge.config.finetune import FinetuneConfig
from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry
from tuneforge.templates.media import MEDIA_TOKENS, MediaTokens


@dataclass(frozen=True)
class VisionParts:
    """Module-name prefixes (of the transformers model, before any peft wrapper) of each part."""
    vision_tower: tuple[str, ...]
    projector: tuple[str, ...]
    language_model: tuple[str, ...]


_QWEN = VisionParts(("model.visual.",), ("model.visual.merger.", "model.visual.deepstack_merger_list."),
                    ("model.language_model.", "lm_head."))
_TOWER = VisionParts(("model.vision_tower.",), ("model.multi_modal_projector.",),
                     ("model.language_model.", "lm_head."))
VISION_PARTS: Registry[VisionParts] = Registry("vision-language model type", {
    "qwen2_vl": _QWEN, "qwen2_5_vl": _QWEN, "qwen3_vl": _QWEN,
    "llava": _TOWER, "llava_next": _TOWER, "gemma3": _TOWER,
})


def _config(path: str | None) -> dict | None:
    """config.json of a local model folder, or of a hub id (None when it cannot be had: loading the model
    then reports why)."""
    if not path:
        return None
    local = Path(path).expanduser()
    return _read_json(local / "config.json") if local.is_dir() else _hub_config(path)


@cache
def _hub_config(repo_id: str) -> dict | None:
    """A hub model's config.json, from the hub cache or downloaded when online. Asked once per process:
    training, inference and export each ask, and an unreachable hub retries for ~20 s before giving up."""
    try:
        from huggingface_hub import hf_hub_download

        return _read_json(Path(hf_hub_download(repo_id, "config.json")))
    except Exception:  # noqa: BLE001 - offline, gated, no such repo: all mean "not known here"
        return None


def _read_json(file: Path) -> dict | None:
    try:
        return json.loads(file.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def media_tokens(path: str | None) -> MediaTokens | None:
    """How the model at `path` (a folder or hub id) writes media, or None for a text-only model. A
    vision-language model type tuneforge does not know is refused by name (it would otherwise train as text
    and ignore the images)."""
    config = _config(path)
    kind = config.get("model_type") if config else None
    if kind is None:
        return None
    if kind in MEDIA_TOKENS:
        return MEDIA_TOKENS[kind]
    if "vision_config" in config or "audio_config" in config:
        raise UserError(f"vision-language model type '{kind}' is not supported yet; supported: "
                        f"{', '.join(MEDIA_TOKENS)}", file=str(path), field="model_name_or_path")
    return None


def auto_model_class(path: str | None):
    """The transformers Auto class that loads the model folder at `path`: image-text-to-text for a
    vision-language model, causal LM otherwise (the one rule for training, export and its checks)."""
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText

    return AutoModelForImageTextToText if media_tokens(path) is not None else AutoModelForCausalLM


def load_processor(cfg: ModelConfig):
    from transformers import AutoProcessor

    path = cfg.model_name_or_path
    try:
        return AutoProcessor.from_pretrained(path, cache_dir=cfg.cache_dir, revision=cfg.model_revision,
                                             token=cfg.hf_hub_token, trust_remote_code=cfg.trust_remote_code)
    except ImportError as exc:  # the Qwen-VL processors and every video processor need torchvision
        raise UserError(f"this model's processor needs a package that is not installed ({exc}); "
                        "pip install 'tuneforge[vision]' (see docs/multimodal.md)", file=path) from None
    except OSError as exc:
        raise UserError(f"could not load the processor: {str(exc).splitlines()[0]}", file=path) from None


def run_processor(mc: ModelConfig, tokenizer, *, own_template: bool = False):
    """The processor of a run's vision-language model — from the last folder that saved a tokenizer (a run
    saves its processor beside it), else the base — around the run's own tokenizer, so it renders, expands and
    saves what the run trained on. One chat_template for both: the tokenizer's (a tuneforge template put
    there), or with `own_template` (no `template:` given) the processor's own when it has one — a vision
    model's template lives with its processor. None for a text model."""
    import dataclasses

    from tuneforge.model.stack import tokenizer_source

    if media_tokens(mc.model_name_or_path) is None:
        return None
    processor = load_processor(dataclasses.replace(mc, model_name_or_path=tokenizer_source(mc)))
    processor.tokenizer = tokenizer  # our instance: template tokens and chat_template included
    if own_template and processor.chat_template:
        tokenizer.chat_template = processor.chat_template
    else:
        processor.chat_template = tokenizer.chat_template
    return processor


def is_vision_model(model) -> bool:
    config = getattr(model, "config", None)
    return getattr(config, "model_type", None) in VISION_PARTS


def frozen_prefixes(model_kind: str, ft: FinetuneConfig) -> tuple[str, ...]:
    """The parameter-name prefixes that must not train under this config (LLaMA-Factory's rules)."""
    parts = VISION_PARTS[model_kind]
    if ft.train_mm_proj_only:
        return parts.language_model + parts.vision_tower  # the projector is tested first: see `frozen`
    out: tuple[str, ...] = ()
    if ft.freeze_vision_tower:
        out += parts.vision_tower
    if ft.freeze_multi_modal_projector:
        out += parts.projector
    if ft.freeze_language_model:
        out += parts.language_model
    return out


def frozen(name: str, model_kind: str, ft: FinetuneConfig) -> bool:
    """Whether the parameter or module `name` stays frozen: the most specific part decides (a Qwen-VL
    projector sits inside its vision encoder)."""
    parts = VISION_PARTS[model_kind]
    blocked = frozen_prefixes(model_kind, ft)
    if name.startswith(parts.projector):
        return any(p in blocked for p in parts.projector)
    if ft.train_mm_proj_only:
        return True
    return name.startswith(blocked)
