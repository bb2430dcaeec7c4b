"""Model + tokenizer for inference from the `model` config: a base model with LoRA adapters loaded on top,
unmerged (the last one; earlier ones in a stack are merged first, as they were when the last was trained),
or a merged/full model folder. The tokenizer comes from the last adapter folder when it holds one (a run
folder saves the tokenizer it trained with, template and any added tokens included)."""
from __future__ import annotations

from pathlib import Path

from tuneforge.config.model import ModelConfig
from tuneforge.core.log import get_logger
from tuneforge.model.load import check_model_path, load_model, load_tokenizer

log = get_logger()


def _has_tokenizer(folder: str) -> bool:
    return (Path(folder) / "tokenizer_config.json").is_file()


def check_inference_paths(mc: ModelConfig) -> None:
    """Cheap checks before anything loads."""
    check_model_path(mc.model_name_or_path)
    for path in mc.adapter_paths():
        check_model_path(path, field="adapter_name_or_path")


def load_for_inference(mc: ModelConfig, *, on_gpu: bool):
    """(model in eval mode, tokenizer)."""
    check_inference_paths(mc)
    adapters = mc.adapter_paths()
    tokenizer_path = adapters[-1] if adapters and _has_tokenizer(adapters[-1]) else None
    tokenizer = load_tokenizer(mc, path=tokenizer_path)
    model = load_model(mc, on_gpu=on_gpu, for_training=False)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        model.resize_token_embeddings(len(tokenizer))  # tokens added in training (resize_vocab)
    if adapters:
        from peft import PeftModel

        for path in adapters[:-1]:
            model = PeftModel.from_pretrained(model, path).merge_and_unload()
        model = PeftModel.from_pretrained(model, adapters[-1])
        log.info("loaded adapter %s (unmerged)", adapters[-1])
    if on_gpu:
        model = model.to("cuda")
    return model.eval(), tokenizer
