"""ShareGPT rows → `Parsed`: a list of {from, value} turns (tags configurable in dataset_info.json).

Role tags map as LLaMA-Factory maps them: human → user, gpt → assistant, system → system (first turn only),
function_call → assistant with `tool_calls` parsed from its JSON, observation → tool. A ranking row's
`chosen`/`rejected` are single turns spelled with the same tags.
"""
from __future__ import annotations

from typing import Any

from tuneforge.config.stages import ExampleKind
from tuneforge.data.dataset_info import DatasetSpec, Tags
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


def _kinds(tags: Tags) -> dict[str, str]:
    return {tags.user_tag: "user", tags.assistant_tag: "assistant", tags.observation_tag: "observation",
            tags.function_tag: "function", tags.system_tag: "system"}


def _names(tags: Tags) -> dict[str, str]:
    return {kind: tag for tag, kind in _kinds(tags).items()}


def _message(raw: RawRow, kind: str, content: str, field: str) -> Message:
    if kind == "function":
        return {"role": "assistant", "content": "", "tool_calls": tool_calls(raw, field, content)}
    return {"role": {"user": "user", "assistant": "assistant", "observation": "tool"}[kind], "content": content}


def _turn(raw: RawRow, spec: DatasetSpec, item: Any, where: str) -> tuple[Turn, str]:
    tags = spec.tags
    if not isinstance(item, dict):
        raise fail(raw, where, f"expected a message object like {{\"{tags.role_tag}\": \"{tags.user_tag}\", "
                               f"\"{tags.content_tag}\": \"...\"}}, got {type(item).__name__}")
    role_field, content_field = f"{where}.{tags.role_tag}", f"{where}.{tags.content_tag}"
    tag = item.get(tags.role_tag, MISSING)
    if tag is MISSING:
        raise fail(raw, role_field, "missing")
    kinds = _kinds(tags)
    if tag not in kinds:
        raise fail(raw, role_field, f"unknown role tag {tag!r}; expected one of: "
                                    f"{', '.join(repr(t) for t in kinds)}")
    content = item.get(tags.content_tag)
    if not isinstance(content, str):
        raise fail(raw, content_field, "missing" if content is None else
                   f"expected text, got {type(content).__name__}")
    if kinds[tag] in ("user", "assistant", "function") and not content.strip():
        raise fail(raw, content_field, "empty content")
    return Turn(kinds[tag], tag, role_field), content


def _item(raw: RawRow, spec: DatasetSpec, item: Any, where: str) -> tuple[Turn, Message]:
    turn, content = _turn(raw, spec, item, where)
    if turn.kind == "system":
        return turn, {"role": "system", "content": content}
    return turn, _message(raw, turn.kind, content, f"{where}.{spec.tags.content_tag}")


def convert(raw: RawRow, spec: DatasetSpec, kind: ExampleKind) -> Parsed:
    return parse_conversation(raw, spec, kind, _item, _names(spec.tags))
