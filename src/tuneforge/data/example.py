"""The canonical example types every source format is converted to, before any tokenisation.

Messages are OpenAI/Hugging Face chat dicts, the lingua franca the templates render:
  {"role": "system" | "user" | "assistant" | "tool", "content": str}
  assistant tool calls: {"role": "assistant", "content": str, "tool_calls": [{"type": "function",
                         "function": {"name": str, "arguments": dict}}]}
Tools are OpenAI tool schemas: {"type": "function", "function": {"name", "description", "parameters"}}.
`source` is "file:row" so that any later error (e.g. an example the template rejects) can name its origin.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

Message = dict[str, Any]


@dataclass(frozen=True)
class Conversation:
    """A chat whose assistant turns are learned (sft). Ends with an assistant message."""
    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...] | None = None
    source: str = ""


@dataclass(frozen=True)
class PreferencePair:
    """A prompt conversation and two candidate final assistant messages (rm, dpo)."""
    prompt: tuple[Message, ...]
    chosen: Message
    rejected: Message
    tools: tuple[dict[str, Any], ...] | None = None
    source: str = ""


@dataclass(frozen=True)
class KTOExample:
    """A conversation whose final assistant message is labelled desirable (True) or not (kto)."""
    messages: tuple[Message, ...]
    label: bool
    tools: tuple[dict[str, Any], ...] | None = None
    source: str = ""


@dataclass(frozen=True)
class Text:
    """Plain text for pre-training (pt)."""
    text: str
    source: str = ""


Example = Union[Conversation, PreferencePair, KTOExample, Text]
