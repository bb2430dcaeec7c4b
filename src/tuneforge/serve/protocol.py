"""The OpenAI chat-completions request, as pydantic models (wrong types and unknown roles are rejected before
any work), and its conversion to the engine's messages, tools and sampling values."""
from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tuneforge.core.errors import UserError
from tuneforge.core.media import PLACEHOLDERS
from tuneforge.data.example import NO_MEDIA, Media
from tuneforge.inference.engine import Sampling

_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,(.*)$", re.DOTALL)


def decode_image(url: str, field: str):
    """A PIL image from a `data:image/...;base64,` URL; anything else is refused by name."""
    import base64
    import binascii
    import io

    from PIL import Image, UnidentifiedImageError

    match = _DATA_URL.match(url)
    if match is None:
        raise UserError("expected a data:image/...;base64, URL (this server does not fetch URLs or read "
                        "files a client names)", field=field)
    try:
        with Image.open(io.BytesIO(base64.b64decode(match.group(1), validate=True))) as image:
            return image.convert("RGB")
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError) as exc:
        raise UserError(f"not a readable image ({exc})", field=field) from None


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")  # clients send fields we do not use (user, metadata, …)


class FunctionCall(_Model):
    name: str
    arguments: str | dict[str, Any] = "{}"


class ToolCall(_Model):
    id: str | None = None
    type: Literal["function"] = "function"
    function: FunctionCall


class TextPart(_Model):
    type: Literal["text"]
    text: str


class ImageURL(_Model):
    url: str
    detail: str | None = None


class ImagePart(_Model):
    type: Literal["image_url"]
    image_url: ImageURL


class ChatMessage(_Model):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart | ImagePart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _content_present(self) -> ChatMessage:
        if self.content is None and not (self.role == "assistant" and self.tool_calls):
            raise ValueError(f"a {self.role} message needs content")
        return self

    def text(self) -> str:
        """The content as text; each image part becomes an <image> placeholder where it stands."""
        if isinstance(self.content, list):
            return "".join(part.text if isinstance(part, TextPart) else PLACEHOLDERS["images"]
                           for part in self.content)
        return self.content or ""


class FunctionDef(_Model):
    name: str = Field(min_length=1)
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(_Model):
    type: Literal["function"] = "function"
    function: FunctionDef


class StreamOptions(_Model):
    include_usage: bool = False


class ChatCompletionRequest(_Model):
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | dict[str, Any] | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    n: int = Field(1, ge=1, le=16)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    presence_penalty: float | None = Field(None, ge=-2, le=2)  # accepted for compatibility, not applied
    frequency_penalty: float | None = Field(None, ge=-2, le=2)

    def sampling(self) -> Sampling:
        stop = [self.stop] if isinstance(self.stop, str) else list(self.stop or [])
        if len(stop) > 4:
            raise UserError("at most 4 stop sequences", field="stop")
        # As in OpenAI's API, a positive temperature samples and 0 decodes greedily; unset keeps the server's config.
        do_sample = None if self.temperature is None else self.temperature > 0
        return Sampling(max_new_tokens=self.max_completion_tokens or self.max_tokens, do_sample=do_sample,
                        temperature=self.temperature, top_p=self.top_p, stop=tuple(s for s in stop if s),
                        seed=self.seed, n=self.n)

    def engine_tools(self) -> list[dict[str, Any]] | None:
        if not self.tools:
            return None
        return [{"type": "function", "function": t.function.model_dump(exclude_none=True)} for t in self.tools]

    def parse_calls(self) -> bool:
        """Whether replies are read for tool calls (tools given and not switched off)."""
        return bool(self.tools) and self.tool_choice != "none"

    def engine_messages(self) -> list[dict[str, Any]]:
        check_turn_order(self.messages)
        return [_engine_message(i, m) for i, m in enumerate(self.messages)]

    def engine_media(self) -> Media:
        """The images of the messages' image_url parts, in order, decoded from their data: URLs (the server
        never fetches a URL a client names). A part that is not a readable image is a UserError (400)."""
        images = []
        for i, message in enumerate(self.messages):
            for j, part in enumerate(message.content if isinstance(message.content, list) else ()):
                if isinstance(part, ImagePart):
                    images.append(decode_image(part.image_url.url, f"messages[{i}].content[{j}].image_url.url"))
        return Media(images=tuple(images)) if images else NO_MEDIA


# Which roles may follow which (LLaMA-Factory's rule, with OpenAI's tool turns): an optional system message,
# then user and assistant alternate; an assistant's tool_calls are answered by one tool message per call,
# after which the assistant speaks again. "tool_calls" stands for an assistant message that makes calls.
_MAY_FOLLOW: dict[str, tuple[str, ...]] = {
    "start": ("system", "user"), "system": ("user",), "user": ("assistant", "tool_calls"),
    "assistant": ("user",), "tool_calls": ("tool",), "tool": ("tool", "assistant", "tool_calls"),
}


def _turn(message: ChatMessage) -> str:
    if message.role == "developer":
        return "system"
    return "tool_calls" if message.role == "assistant" and message.tool_calls else message.role


def check_turn_order(messages: list[ChatMessage]) -> None:
    """A 400 (UserError) for a conversation the model cannot continue: one that starts with an assistant
    message, repeats a role, puts a system message after the first turn, answers no tool call with a tool
    message, or ends with the assistant (the reply is the next assistant turn)."""
    previous = "start"
    for index, message in enumerate(messages):
        turn = _turn(message)
        if turn not in _MAY_FOLLOW[previous]:
            field = f"messages[{index}].role"
            if turn == "system":
                raise UserError("a system message is allowed only as the first message", field=field)
            if previous in ("start", "system"):
                raise UserError(f"the conversation must start with a user message (after an optional system "
                                f"message), not {message.role}", field=field)
            if turn == "tool":
                raise UserError("a tool message must answer an assistant message's tool_calls", field=field)
            expected = " or ".join(sorted({"assistant" if t == "tool_calls" else t for t in _MAY_FOLLOW[previous]}))
            raise UserError(f"{message.role} cannot follow {messages[index - 1].role}: roles alternate user / "
                            f"assistant after an optional system message (expected {expected})", field=field)
        previous = turn
    if previous not in ("user", "tool"):
        raise UserError("the conversation must end with a user or tool message (the reply is the next assistant "
                        "turn)", field=f"messages[{len(messages) - 1}].role")


def _engine_message(index: int, message: ChatMessage) -> dict[str, Any]:
    role = "system" if message.role == "developer" else message.role
    out: dict[str, Any] = {"role": role, "content": message.text()}
    if message.tool_calls:
        out["tool_calls"] = [_engine_call(index, j, call) for j, call in enumerate(message.tool_calls)]
    if message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    return out


def _engine_call(index: int, j: int, call: ToolCall) -> dict[str, Any]:
    # Templates write the arguments object themselves; OpenAI clients send it as a JSON string.
    args = call.function.arguments
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise UserError(f"not valid JSON: {exc.msg}",
                            field=f"messages[{index}].tool_calls[{j}].function.arguments") from None
    if not isinstance(args, dict):
        raise UserError("must be a JSON object", field=f"messages[{index}].tool_calls[{j}].function.arguments")
    out: dict[str, Any] = {"type": "function", "function": {"name": call.function.name, "arguments": args}}
    if call.id:
        out["id"] = call.id
    return out


class ScoreEvaluationRequest(_Model):
    """LLaMA-Factory's /v1/score/evaluation: `messages` are whole texts (scored as given) or, here also,
    conversations (message lists ending with the assistant answer, rendered with the model's template)."""
    model: str | None = None
    messages: list[str | list[ChatMessage]]
    max_length: int | None = None
