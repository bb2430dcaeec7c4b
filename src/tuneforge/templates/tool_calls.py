"""Tool calls in generated replies, per template `tool_format`: how each family writes a call, and parsing a
reply back into (content, calls) — the reverse of what the template renders.

qwen     `<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>` (one block per call, after any text)
llama3   the whole reply is `{"name": ..., "parameters": {...}}` (a list of them is accepted too)
glm4     `name\n{arguments}` (a plain reply starts with a newline instead)
mistral  `[TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]`

`markers` are special tokens that must survive decoding with skip_special_tokens, or the calls vanish.
A reply that does not parse as calls is plain text: a model is never forced into a call it did not make.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tuneforge.core.registry import Registry

Call = dict[str, Any]  # {"name": str, "arguments": dict}


@dataclass(frozen=True)
class ParsedReply:
    content: str
    calls: tuple[Call, ...] = ()


def _call(obj: Any, arguments_key: str = "arguments") -> Call | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or not obj["name"]:
        return None
    args = obj.get(arguments_key, obj.get("arguments", obj.get("parameters", {})))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError:
            return None
    return {"name": obj["name"], "arguments": args} if isinstance(args, dict) else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


_QWEN_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)


def _parse_qwen(text: str) -> ParsedReply:
    blocks = list(_QWEN_BLOCK.finditer(text))
    calls = [_call(_json(b.group(1))) for b in blocks]
    if not blocks or any(c is None for c in calls):
        return ParsedReply(text)
    return ParsedReply(text[:blocks[0].start()].strip(), tuple(calls))  # type: ignore[arg-type]


def _parse_json_calls(text: str, arguments_key: str) -> tuple[Call, ...] | None:
    value = _json(text.strip())
    items = value if isinstance(value, list) else [value]
    calls = [_call(item, arguments_key) for item in items]
    return tuple(calls) if calls and all(c is not None for c in calls) else None  # type: ignore[misc]


def _parse_llama3(text: str) -> ParsedReply:
    calls = _parse_json_calls(text, "parameters")
    return ParsedReply("", calls) if calls else ParsedReply(text)


_GLM_NAME = re.compile(r"^[A-Za-z_][\w.\-]*$")


def _parse_glm4(text: str) -> ParsedReply:
    name, newline, rest = text.partition("\n")
    args = _json(rest.strip()) if newline else None
    if _GLM_NAME.match(name.strip()) and isinstance(args, dict):
        return ParsedReply("", ({"name": name.strip(), "arguments": args},))
    return ParsedReply(text.lstrip("\n") if text.startswith("\n") else text)


def _parse_mistral(text: str) -> ParsedReply:
    body = text.strip()
    if body.startswith("[TOOL_CALLS]"):
        body = body[len("[TOOL_CALLS]"):]
    calls = _parse_json_calls(body, "arguments") if body.lstrip().startswith("[") else None
    return ParsedReply("", calls) if calls else ParsedReply(text)


@dataclass(frozen=True)
class ToolFormat:
    parse: Callable[[str], ParsedReply]
    markers: tuple[str, ...] = ()


TOOL_FORMATS: Registry[ToolFormat] = Registry("tool format", {
    "qwen": ToolFormat(_parse_qwen, ("<tool_call>", "</tool_call>")),
    "llama3": ToolFormat(_parse_llama3),
    "glm4": ToolFormat(_parse_glm4),
    "mistral": ToolFormat(_parse_mistral, ("[TOOL_CALLS]",)),
})


def parse_reply(text: str, tool_format: str | None) -> ParsedReply:
    """(content, tool calls) of a generated reply; no format = plain text."""
    if tool_format is None:
        return ParsedReply(text)
    return TOOL_FORMATS.get_or_raise(tool_format, field="tool_format").parse(text)


def marker_ids(tokenizer: Any, tool_format: str | None) -> set[int]:
    """Token ids of the format's markers that the tokenizer holds as single tokens."""
    if tool_format is None or tool_format not in TOOL_FORMATS:
        return set()
    vocab = tokenizer.get_vocab()
    return {vocab[m] for m in TOOL_FORMATS[tool_format].markers if m in vocab}
