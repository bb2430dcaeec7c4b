"""The canonical example types every source format is converted to, before any tokenisation.

Messages are OpenAI/Hugging Face chat dicts, the lingua franca the templates render:
  {"role": "system" | "user" | "assistant" | "tool", "content": str}
  assistant tool calls: {"role": "assistant", "content": str, "tool_calls": [{"type": "function",
                         "function": {"name": str, "arguments": dict}}]}
Tools are OpenAI tool schemas: {"type": "function", "function": {"name", "description", "parameters"}}.
`source` is the example's `Origin` (file and row), so that any later error (an example the template rejects,
say) names where it came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from tuneforge.core.errors import UserError

Message = dict[str, Any]


@dataclass(frozen=True)
class Origin:
    """Where an example came from: its file (or hub dataset) and row (1-based; the line in JSONL, CSV, text)."""
    file: str = ""
    row: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.row}" if self.row is not None else self.file

    def locate(self, error: UserError) -> UserError:
        """The same user error, placed at this example (an error already naming a file keeps it)."""
        if error.file is not None or not self.file:
            return error
        return UserError(error.message, file=self.file, row=self.row, field=error.field)


@dataclass(frozen=True)
class Media:
    """The media files a row's `<image>`/`<video>`/`<audio>` placeholders stand for, in order, as paths
    that exist (resolved against media_dir). Only references: files are opened when encoded or batched."""
    images: tuple[str, ...] = ()
    videos: tuple[str, ...] = ()
    audios: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.images or self.videos or self.audios)

    def counts(self) -> dict[str, int]:
        """Files per media column (the placeholders each must match)."""
        return {"images": len(self.images), "videos": len(self.videos), "audios": len(self.audios)}


NO_MEDIA = Media()


@dataclass(frozen=True)
class Conversation:
    """A chat whose assistant turns are learned (sft). Ends with an assistant message."""
    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...] | None = None
    source: Origin = Origin()
    media: Media = NO_MEDIA


@dataclass(frozen=True)
class PreferencePair:
    """A prompt conversation and two candidate final assistant messages (rm, dpo)."""
    prompt: tuple[Message, ...]
    chosen: Message
    rejected: Message
    tools: tuple[dict[str, Any], ...] | None = None
    source: Origin = Origin()


@dataclass(frozen=True)
class KTOExample:
    """A conversation whose final assistant message is labelled desirable (True) or not (kto)."""
    messages: tuple[Message, ...]
    label: bool
    tools: tuple[dict[str, Any], ...] | None = None
    source: Origin = Origin()


@dataclass(frozen=True)
class Text:
    """Plain text for pre-training (pt)."""
    text: str
    source: Origin = Origin()


@dataclass(frozen=True)
class Prompt:
    """A prompt the model answers while it trains (grpo, ppo): the conversation so far (it ends before an
    assistant turn), the reference answer when the data has one (the row's final assistant turn, or its
    `answer` column), and the row's other columns, which reward functions receive by name."""
    messages: tuple[Message, ...]
    reference: str | None = None
    columns: dict[str, Any] = field(default_factory=dict)
    tools: tuple[dict[str, Any], ...] | None = None
    source: Origin = Origin()


Example = Union[Conversation, PreferencePair, KTOExample, Text, Prompt]
