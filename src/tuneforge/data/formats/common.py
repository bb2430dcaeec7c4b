"""What every format converter shares: the `Parsed` row, row-located errors, tool/tool-call parsing, and the
turn-order rules (user → assistant, tool results only after a tool call) checked for every conversation.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tuneforge.config.stages import ExampleKind
from tuneforge.core.errors import UserError
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import NO_MEDIA, Media, Message
from tuneforge.data.readers import RawRow

MISSING = object()


@dataclass(frozen=True)
class Parsed:
    """A validated row, not yet shaped for a stage. For ranking rows `messages` is the prompt."""
    messages: tuple[Message, ...] = ()
    tools: tuple[dict[str, Any], ...] | None = None
    chosen: Message | None = None
    rejected: Message | None = None
    label: bool | None = None
    text: str | None = None  # plain-text rows only
    media: Media = NO_MEDIA  # filled in by data.convert (data.media), after the format's own checks
    reference: str | None = None  # prompt rows: filled in by data.convert (the `answer` column)
    columns: Mapping[str, Any] | None = None  # prompt rows: the columns the format does not read


Converter = Callable[[RawRow, DatasetSpec, ExampleKind], Parsed]


def fail(raw: RawRow, field: str | None, message: str) -> UserError:
    return UserError(message, file=raw.file, row=raw.row, field=field)


def get(raw: RawRow, column: str | None) -> Any:
    """The value of a column, MISSING when the spec does not name one or the row lacks it (None counts as
    missing: CSV/Parquet/hub tables fill absent cells with None)."""
    if not column:
        return MISSING
    value = raw.data.get(column, MISSING)
    return MISSING if value is None else value


def text_value(raw: RawRow, column: str | None, *, required: bool, allow_empty: bool = False) -> str:
    """A string column; '' when optional and absent."""
    value = get(raw, column)
    if value is MISSING:
        if required:
            raise fail(raw, column, "missing")
        return ""
    if not isinstance(value, str):
        raise fail(raw, column, f"expected text, got {type(value).__name__}")
    if required and not allow_empty and not value.strip():
        raise fail(raw, column, "empty")
    return value


def kto_label(raw: RawRow, spec: DatasetSpec, kind: ExampleKind) -> bool | None:
    if kind is not ExampleKind.KTO:
        return None
    value = get(raw, spec.columns.kto_tag)
    if value is MISSING:
        raise fail(raw, spec.columns.kto_tag, "missing")
    if not isinstance(value, bool):
        raise fail(raw, spec.columns.kto_tag, f"expected true or false, got {value!r}")
    return value


def tools_value(raw: RawRow, column: str | None) -> tuple[dict[str, Any], ...] | None:
    """The tools column (a JSON string or a list of function schemas) → OpenAI tool schemas, or None."""
    value = get(raw, column)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise fail(raw, column, f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    if value is MISSING or value == [] or value == {}:
        return None
    items = value if isinstance(value, list) else [value]
    tools = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise fail(raw, f"{column}[{i}]", f"expected a function schema object, got {type(item).__name__}")
        if item.get("type") == "function" and isinstance(item.get("function"), dict):
            tools.append(item)  # already an OpenAI tool schema
        elif "name" in item:
            tools.append({"type": "function", "function": item})
        else:
            raise fail(raw, f"{column}[{i}]", "a function schema needs a 'name'")
    return tuple(tools)


def tool_calls(raw: RawRow, field: str, value: Any) -> list[dict[str, Any]]:
    """A function call `{"name", "arguments"}` (or a list of them, or OpenAI `tool_calls`), possibly as a JSON
    string → OpenAI tool calls with `arguments` as a dict."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise fail(raw, field, f"a function call must be JSON {{\"name\": ..., \"arguments\": {{...}}}}: "
                                   f"{exc.msg} (column {exc.colno})") from None
    calls = value if isinstance(value, list) else [value]
    if not calls:
        raise fail(raw, field, "empty function call")
    out = []
    for call in calls:
        if not isinstance(call, dict):
            raise fail(raw, field, f"a function call must be an object, got {type(call).__name__}")
        extra = {k: call[k] for k in ("id",) if k in call}
        function = call["function"] if isinstance(call.get("function"), dict) else call
        name, arguments = function.get("name"), function.get("arguments", {})
        if not isinstance(name, str) or not name:
            raise fail(raw, field, "a function call needs a 'name'")
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as exc:
                raise fail(raw, field, f"arguments are not valid JSON: {exc.msg}") from None
        if not isinstance(arguments, dict):
            raise fail(raw, field, f"arguments must be an object, got {type(arguments).__name__}")
        out.append({**extra, "type": "function", "function": {"name": name, "arguments": arguments}})
    return out


# ---- turn order ---------------------------------------------------------------------------------------------
# Kinds: "user", "assistant", "function" (an assistant tool call), "observation" (a tool result).
# Like LLaMA-Factory a tool call stands in an assistant slot and a tool result in a user slot; unlike it we
# also require that a tool result answers a tool call.
NEXT_KINDS: dict[str | None, tuple[str, ...]] = {
    None: ("user",),
    "user": ("assistant", "function"),
    "assistant": ("user",),
    "function": ("observation", "user"),
    "observation": ("assistant", "function"),
}
ANSWER_KINDS = ("assistant", "function")
PROMPT_END_KINDS = ("user", "observation")


@dataclass(frozen=True)
class Turn:
    kind: str
    tag: str      # the role as spelled in the data, for messages
    field: str    # e.g. "conversations[3].from"


def check_order(raw: RawRow, turns: list[Turn], names: dict[str, str], *, ranking: bool,
                column: str, repeat_observation: bool = False, open_end: bool = False) -> None:
    """Raise on the first turn out of order, then check how the conversation ends. `names` spells each kind
    as the data would (e.g. {"user": "human", ...}); `open_end`: a prompt may end on either side (an answer at
    the end is its reference)."""
    prev: Turn | None = None
    for turn in turns:
        allowed = NEXT_KINDS[prev.kind if prev else None]
        if repeat_observation and prev is not None and prev.kind == "observation":
            allowed = allowed + ("observation",)
        if turn.kind not in allowed:
            expected = " or ".join(repr(names[k]) for k in allowed)
            after = f"after {prev.tag!r}" if prev else "first"
            raise fail(raw, turn.field, f"expected {expected} {after}, got {turn.tag!r}")
        prev = turn
    if prev is None:
        raise fail(raw, column, "no messages (besides a system message)")
    if open_end:
        return
    if ranking and prev.kind not in PROMPT_END_KINDS:
        raise fail(raw, column, f"the prompt of a ranking row must end with a {names['user']!r} message (the "
                                f"answers are in chosen/rejected), it ends with {prev.tag!r}")
    if not ranking and prev.kind not in ANSWER_KINDS:
        raise fail(raw, column, f"must end with a {names['assistant']!r} message, it ends with {prev.tag!r}")


# (row, spec, one message item, where it is) → its turn kind and canonical message
ItemParser = Callable[[RawRow, DatasetSpec, Any, str], "tuple[Turn, dict[str, Any]]"]


def parse_answer(raw: RawRow, spec: DatasetSpec, column: str | None, parse_item: ItemParser) -> dict[str, Any]:
    """A ranking row's chosen/rejected: one assistant (or tool-call) message."""
    value = get(raw, column)
    if value is MISSING:
        raise fail(raw, column, "missing")
    turn, message = parse_item(raw, spec, value, str(column))
    if turn.kind not in ANSWER_KINDS:
        raise fail(raw, turn.field, f"expected {spec.tags.assistant_tag!r}, got {turn.tag!r}")
    return message


def parse_conversation(raw: RawRow, spec: DatasetSpec, kind: ExampleKind, parse_item: ItemParser,
                       names: dict[str, str], *, repeat_observation: bool = False) -> Parsed:
    """A message-list row (sharegpt, openai) → Parsed, with the turn order checked."""
    column = spec.columns.messages
    items = get(raw, column)
    if items is MISSING:
        raise fail(raw, column, "missing")
    if not isinstance(items, list) or not items:
        raise fail(raw, column, "expected a non-empty list of messages")
    system = text_value(raw, spec.columns.system, required=False)
    turns: list[Turn] = []
    messages: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        turn, message = parse_item(raw, spec, item, f"{column}[{i}]")
        if turn.kind == "system":
            if i != 0:
                raise fail(raw, turn.field, "a system message is only allowed as the first message")
            system = message["content"]
            continue
        turns.append(turn)
        messages.append(message)
    check_order(raw, turns, names, ranking=spec.ranking, column=str(column), repeat_observation=repeat_observation,
                open_end=kind is ExampleKind.PROMPT)
    if system.strip():
        messages.insert(0, {"role": "system", "content": system})
    chosen = parse_answer(raw, spec, spec.columns.chosen, parse_item) if spec.ranking else None
    rejected = parse_answer(raw, spec, spec.columns.rejected, parse_item) if spec.ranking else None
    return Parsed(messages=tuple(messages), tools=tools_value(raw, spec.columns.tools), chosen=chosen,
                  rejected=rejected, label=kto_label(raw, spec, kind))
