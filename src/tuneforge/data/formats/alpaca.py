"""Alpaca rows → `Parsed`: instruction and input joined with "\\n" as the user turn, output as the assistant
turn, an optional system column, and history as [user, assistant] pairs before them (LLaMA-Factory's rules).
Ranking rows carry `chosen`/`rejected` strings instead of an output; KTO rows a boolean `kto_tag`.
"""
from __future__ import annotations

from tuneforge.config.stages import ExampleKind
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import Message
from tuneforge.data.formats.common import (
    MISSING,
    Parsed,
    fail,
    get,
    kto_label,
    text_value,
    tools_value,
)
from tuneforge.data.readers import RawRow


def _history(raw: RawRow, column: str | None) -> list[Message]:
    value = get(raw, column)
    if value is MISSING:
        return []
    if not isinstance(value, list):
        raise fail(raw, column, f"expected a list of [user, assistant] pairs, got {type(value).__name__}")
    messages: list[Message] = []
    for i, pair in enumerate(value):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(t, str) for t in pair)):
            raise fail(raw, f"{column}[{i}]", "expected a [user, assistant] pair of strings")
        for j, role in enumerate(("user", "assistant")):
            if not pair[j].strip():
                raise fail(raw, f"{column}[{i}][{j}]", f"empty {role} content")
            messages.append({"role": role, "content": pair[j]})
    return messages


def _user(raw: RawRow, spec: DatasetSpec) -> str:
    cols = spec.columns
    if cols.prompt and get(raw, cols.prompt) is MISSING and get(raw, cols.query) is MISSING:
        raise fail(raw, cols.prompt, "missing")
    parts = [text_value(raw, cols.prompt, required=False), text_value(raw, cols.query, required=False)]
    user = "\n".join(p for p in parts if p)  # "instruction\ninput", skipping empty ones
    if not user.strip():
        names = " and ".join(c for c in (cols.prompt, cols.query) if c)
        raise fail(raw, cols.prompt or cols.query, f"empty ({names} are both empty)" if " and " in names
                   else "empty")
    return user


def convert(raw: RawRow, spec: DatasetSpec, kind: ExampleKind) -> Parsed:
    cols = spec.columns
    messages: list[Message] = []
    system = text_value(raw, cols.system, required=False)
    if system.strip():
        messages.append({"role": "system", "content": system})
    messages += _history(raw, cols.history)
    messages.append({"role": "user", "content": _user(raw, spec)})
    chosen = rejected = None
    if spec.ranking:
        chosen = {"role": "assistant", "content": text_value(raw, cols.chosen, required=True)}
        rejected = {"role": "assistant", "content": text_value(raw, cols.rejected, required=True)}
    elif kind is ExampleKind.PROMPT:  # the output, when there is one, is the reference answer
        output = text_value(raw, cols.response, required=False)
        if output.strip():
            messages.append({"role": "assistant", "content": output})
    elif kind is not ExampleKind.TEXT:  # text stages read only the prompt, so an output is optional there
        messages.append({"role": "assistant", "content": text_value(raw, cols.response, required=True)})
    return Parsed(messages=tuple(messages), tools=tools_value(raw, cols.tools), chosen=chosen, rejected=rejected,
                  label=kto_label(raw, spec, kind))
