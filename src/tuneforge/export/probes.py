"""The few prompts the post-export checks run through both the source and the exported model."""
from __future__ import annotations

from typing import Any

from tuneforge.templates.render import render_prompt
from tuneforge.templates.spec import TemplateSpec

DEFAULT_PROMPTS = ("Who are you?", "Give three tips for staying healthy.", "你好，请介绍一下你自己。")


def probe_inputs(tokenizer, template: TemplateSpec | None, prompts: str | None = None) -> list[list[int]]:
    """Token ids of each probe: rendered as a chat turn with the template (or the tokenizer's own chat
    template), plain text when there is neither."""
    texts = [p.strip() for p in prompts.split("|") if p.strip()] if prompts else list(DEFAULT_PROMPTS)
    out = []
    for text in texts:
        if template is not None or getattr(tokenizer, "chat_template", None):
            ids = render_prompt(tokenizer, [{"role": "user", "content": text}], template=template)
        else:
            ids = tokenizer(text, add_special_tokens=True)["input_ids"]
        out.append(list(ids))
    return out


def probe_logits(model, probes: list[list[int]]) -> list[Any]:
    """float32 logits (positions × vocab) of each probe, on the CPU."""
    import torch

    device = next(model.parameters()).device
    out = []
    with torch.no_grad():
        for ids in probes:
            logits = model(input_ids=torch.tensor([ids], device=device)).logits[0]
            out.append(logits.float().cpu())
    return out
