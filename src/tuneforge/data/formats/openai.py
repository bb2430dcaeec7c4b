"""OpenAI chat rows → `Parsed`: a list of {role, content} messages, assistant `tool_calls` passed through
(arguments given as a JSON string become a dict), `tool` messages as tool results (several in a row for
parallel calls). Role names can be changed with "tags" in dataset_info.json, as for sharegpt.
"""
from __future__ import annotations

from typing import Any

from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import Message
from tuneforge.data.formats.common import (MISSING, Parsed, Turn, check_order, fail, get, kto_label,
                                           text_value, tool_calls, tools_value)
from tuneforge.data.readers import RawRow

TOOL_KEYS = ("tool_call_id", "name")  # kept on tool results so templates can pair them with their call


def _content(raw: RawRow, field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # content parts: only text parts exist in a text-only dataset
        texts = [p.get("text") for p in value if isinstance(p, dict) and p.get("type") == "text"]
        if len(texts) != len(value) or not all(isinstance(t, str) for t in texts):
            raise fail(raw, field, "only text content parts are supported")
        return "".join(texts)
    if not isinstance(value, str):
        raise fail(raw, field, f"expected text, got {type(value).__name__}")
    return value


def _message(raw: RawRow, spec: DatasetSpec, item: Any, where: str) -> tuple[Turn, Message]:
    tags = spec.tags
    if not isinstance(item, dict):
        raise fail(raw, where, f"expected a message object like {{\"{tags.role_tag}\": \"{tags.user_tag}\", "
                               f"\"{tags.content_tag}\": \"...\"}}, got {type(item).__name__}")
    role_field, content_field = f"{where}.{tags.role_tag}", f"{where}.{tags.content_tag}"
    role = item.get(tags.role_tag, MISSING)
    if role is MISSING:
        raise fail(raw, role_field, "missing")
    kinds = {tags.user_tag: "user", tags.assistant_tag: "assistant", tags.observation_tag: "observation",
             tags.function_tag: "function", tags.system_tag: "system"}
    if role not in kinds:
        raise fail(raw, role_field, f"unknown role {role!r}; expected one of: {', '.join(map(repr, kinds))}")
    kind = kinds[role]
    content = _content(raw, content_field, item.get(tags.content_tag))
    calls = item.get("tool_calls")
    if kind == "assistant" and calls:
        message: Message = {"role": "assistant", "content": content,
                            "tool_calls": tool_calls(raw, f"{where}.tool_calls", calls)}
        return Turn("function", role, role_field), message
    if kind == "function":  # LLaMA-Factory's own spelling: the call as JSON in the content
        return Turn(kind, role, role_field), {"role": "assistant", "content": "",
                                              "tool_calls": tool_calls(raw, content_field, content)}
    if kind in ("user", "assistant") and not content.strip():
        raise fail(raw, content_field, "empty content")
    message = {"role": {"observation": "tool"}.get(kind, kind), "content": content}
    if kind == "observation":
        message.update({k: item[k] for k in TOOL_KEYS if k in item})
    return Turn(kind, role, role_field), message


def _answer(raw: RawRow, spec: DatasetSpec, column: str | None) -> Message:
    value = get(raw, column)
    if value is MISSING:
        raise fail(raw, column, "missing")
    turn, message = _message(raw, spec, value, str(column))
    if turn.kind not in ("assistant", "function"):
        raise fail(raw, turn.field, f"expected {spec.tags.assistant_tag!r}, got {turn.tag!r}")
    return message


def convert(raw: RawRow, spec: DatasetSpec, stage: str) -> Parsed:
    column = spec.columns.messages
    items = get(raw, column)
    if items is MISSING:
        raise fail(raw, column, "missing")
    if not isinstance(items, list) or not items:
        raise fail(raw, column, "expected a non-empty list of messages")
    system = text_value(raw, spec.columns.system, required=False)
    turns: list[Turn] = []
    messages: list[Message] = []
    for i, item in enumerate(items):
        turn, message = _message(raw, spec, item, f"{column}[{i}]")
        if turn.kind == "system":
            if i != 0:
                raise fail(raw, turn.field, "a system message is only allowed as the first message")
            system = message["content"]
            continue
        turns.append(turn)
        messages.append(message)
    names = {"user": spec.tags.user_tag, "assistant": spec.tags.assistant_tag,
             "observation": spec.tags.observation_tag, "function": f"{spec.tags.assistant_tag} with tool_calls"}
    check_order(raw, turns, names, ranking=spec.ranking, column=str(column), repeat_observation=True)
    if system.strip():
        messages.insert(0, {"role": "system", "content": system})
    chosen = _answer(raw, spec, spec.columns.chosen) if spec.ranking else None
    rejected = _answer(raw, spec, spec.columns.rejected) if spec.ranking else None
    return Parsed(messages=tuple(messages), tools=tools_value(raw, spec.columns.tools), chosen=chosen,
                  rejected=rejected, label=kto_label(raw, spec, stage))
