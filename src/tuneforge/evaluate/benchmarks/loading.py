"""The model to evaluate: the base model with every LoRA adapter merged in (scoring needs no trainable
weights; model.stack decides the tokenizer and the resize), and the chat template the config names
(`fewshot` = no chat formatting, None = the tokenizer's own template)."""
from __future__ import annotations

from typing import Any

from tuneforge.config.model import ModelConfig
from tuneforge.evaluate.benchmarks.prompt import FEWSHOT
from tuneforge.model.stack import load_with_adapters
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec


def chat_format(template: str | None) -> TemplateSpec | str | None:
    if template == FEWSHOT:
        return FEWSHOT
    return get_template(template) if template else None


def load_for_eval(mc: ModelConfig, context_length: int | None = None) -> tuple[Any, Any]:
    """(model with every adapter merged, in eval mode on the best device; tokenizer)."""
    import torch

    loaded = load_with_adapters(mc, on_gpu=torch.cuda.is_available(), merge_last=True, context_length=context_length)
    return loaded.model, loaded.tokenizer
