"""KTO encoding: a KTOExample → prompt ids + completion ids (+ label), with the same template rendering and
trained span as SFT; and the conversational rows handed to TRL's KTOTrainer (prompt / completion / label)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.data.example import KTOExample
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.pairwise import encode_answer, fit_lengths, template_kwargs
from tuneforge.templates.render import with_default_system
from tuneforge.templates.spec import TemplateSpec


@dataclass(frozen=True)
class KTOEncoded:
    prompt_ids: list[int]
    completion_ids: list[int]
    label: bool
    truncated: bool = False


def _split(example: KTOExample) -> tuple[list[dict], dict]:
    messages = list(example.messages)
    if not messages or messages[-1].get("role") != "assistant":
        raise example.source.locate(UserError("a KTO example must end with an assistant message",
                                              field="messages"))
    return messages[:-1], messages[-1]


def encode_kto(example: KTOExample, tokenizer, template: TemplateSpec | None, options: EncodeOptions) -> KTOEncoded:
    prompt, answer = _split(example)
    prompt = with_default_system(tuple(prompt), options.default_system)
    prompt_ids, completion = encode_answer(tokenizer, template, prompt, answer, example.tools, example.source)
    prompt_ids, (completion,), truncated = fit_lengths(prompt_ids, [completion], options.cutoff_len)
    return KTOEncoded(prompt_ids, completion, example.label, truncated)


def trl_kto_row(example: KTOExample, options: EncodeOptions, tokenizer) -> dict[str, Any]:
    prompt, answer = _split(example)
    return {"prompt": with_default_system(tuple(prompt), options.default_system), "completion": [dict(answer)],
            "label": bool(example.label), "tools": json.dumps(list(example.tools)) if example.tools else None,
            "chat_template_kwargs": template_kwargs(tokenizer)}
