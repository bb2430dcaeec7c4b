"""OpenAI chat rows → `Parsed`: a list of {role, content} messages, assistant `tool_calls` passed through
(arguments given as a JSON string become a dict), `tool` messages as tool results (several in a row for
parallel calls). Role names can be changed with "tags" in dataset_info.json, as for sharegpt.
"""
from __future__ import annotations

from typing import Any

from tuneforge.config.stages import ExampleKind
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import Message
from tuneforge.data.formats.common import (
    MISSING,
    Parsed,
    Turn,
    fail,
    parse_conversation,
    tool_calls,
)
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


def convert(raw: RawRow, spec: DatasetSpec, kind: ExampleKind) -> Parsed:
    tags = spec.tags
    names = {"user": tags.user_tag, "assistant": tags.assistant_tag, "observation": tags.observation_tag,
             "function": f"{tags.assistant_tag} with tool_calls"}
    return parse_conversation(raw, spec, kind, _message, names, repeat_observation=True)
