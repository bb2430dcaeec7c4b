"""The model to evaluate: the base model with any LoRA adapters merged in (scoring needs no trainable
weights), the tokenizer saved with the last adapter when it has one (it may hold added tokens), and the chat
template the config names (`fewshot` = no chat formatting, None = the tokenizer's own template)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.evaluate.benchmarks.prompt import FEWSHOT
from tuneforge.model.load import check_model_path, load_model, load_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec


def check_sources(mc: ModelConfig) -> None:
    """Cheap checks before anything loads."""
    check_model_path(mc.model_name_or_path)
    for path in mc.adapter_paths():
        if not (Path(path) / "adapter_config.json").is_file():
            raise UserError("not a LoRA adapter folder (no adapter_config.json)", file=path,
                            field="adapter_name_or_path")


def chat_format(template: str | None) -> TemplateSpec | str | None:
    if template == FEWSHOT:
        return FEWSHOT
    return get_template(template) if template else None


def load_for_eval(mc: ModelConfig) -> tuple[Any, Any]:
    """(model in eval mode on the best device, tokenizer)."""
    import torch

    adapters = mc.adapter_paths()
    with_tokenizer = [p for p in adapters if (Path(p) / "tokenizer_config.json").is_file()]
    tokenizer = load_tokenizer(mc, with_tokenizer[-1] if with_tokenizer else None)
    on_gpu = torch.cuda.is_available()
    model = load_model(mc, on_gpu=on_gpu, for_training=False)
    if adapters:
        from peft import PeftModel

        if len(tokenizer) > model.get_input_embeddings().num_embeddings:
            model.resize_token_embeddings(len(tokenizer))
        for path in adapters:
            model = PeftModel.from_pretrained(model, path).merge_and_unload()
    if on_gpu:
        model = model.to("cuda")
    return model.eval(), tokenizer
