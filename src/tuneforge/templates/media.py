"""How a vision-language model writes the media a conversation's `<image>`/`<video>`/`<audio>` placeholders
stand for: per model type (config.json's `model_type`), the text one placeholder becomes before the model's
processor expands it into its feature tokens (one image token per patch group, grid sizes, frames). The
processor does the expansion, so token counts are always the model's own.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.core.media import PLACEHOLDERS
from tuneforge.core.registry import Registry


@dataclass(frozen=True)
class MediaTokens:
    """What one placeholder of each modality is written as; None: the model does not take that modality."""
    images: str | None = None
    videos: str | None = None
    audios: str | None = None

    def modalities(self) -> tuple[str, ...]:
        return tuple(m for m in PLACEHOLDERS if getattr(self, m) is not None)


_QWEN_VL = MediaTokens(images="<|vision_start|><|image_pad|><|vision_end|>",
                       videos="<|vision_start|><|video_pad|><|vision_end|>")

MEDIA_TOKENS: Registry[MediaTokens] = Registry("vision-language model type", {
    "qwen2_vl": _QWEN_VL,
    "qwen2_5_vl": _QWEN_VL,
    "qwen3_vl": _QWEN_VL,
    "llava": MediaTokens(images="<image>"),
    "llava_next": MediaTokens(images="<image>"),
    "gemma3": MediaTokens(images="<start_of_image>"),
})


def with_media_tokens(messages: Sequence[Mapping[str, Any]], tokens: MediaTokens | None,
                      counts: Mapping[str, int], *, as_parts: bool = False) -> list[dict]:
    """The messages with each placeholder written as the model's media tokens — for a tuneforge template,
    which renders string contents. `as_parts`: for the model's own chat template instead, every content as
    Hugging Face content parts ({"type": "image"}, {"type": "text", ...}), which such templates turn into
    the media tokens themselves. `counts`: how many files of each modality the row has (the data layer
    matched them to the placeholders). A modality the model does not take, or media for a text-only model,
    is a UserError naming the field."""
    wanted = [m for m, n in counts.items() if n]
    if not wanted:
        return [dict(m) for m in messages]
    if tokens is None:
        raise UserError(f"the row has {wanted[0]} but the model is a text-only model; use a vision-language "
                        f"model (see docs/multimodal.md)", field=wanted[0])
    for modality in wanted:
        if getattr(tokens, modality) is None:
            takes = ", ".join(tokens.modalities())
            raise UserError(f"the row has {modality} but this model takes only {takes}", field=modality)
    out = []
    for message in messages:
        message = dict(message)
        if isinstance(message.get("content"), str):
            message["content"] = _parts(message["content"]) if as_parts else _written(message["content"], tokens)
        out.append(message)
    return out


def _written(text: str, tokens: MediaTokens) -> str:
    for key, placeholder in PLACEHOLDERS.items():
        if getattr(tokens, key) is not None:
            text = text.replace(placeholder, getattr(tokens, key))
    return text


_PART_TYPES = {placeholder: key[:-1] for key, placeholder in PLACEHOLDERS.items()}  # "<image>" → "image"
_SPLIT = re.compile("(" + "|".join(map(re.escape, _PART_TYPES)) + ")")


def _parts(text: str) -> list[dict]:
    return [{"type": _PART_TYPES[piece]} if piece in _PART_TYPES else {"type": "text", "text": piece}
            for piece in _SPLIT.split(text) if piece]


def content_text(content: Any) -> str:
    """A message content as text: a string as it is, content parts' texts joined."""
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or () if isinstance(part, Mapping))
