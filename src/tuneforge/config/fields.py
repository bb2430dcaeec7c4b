"""Field helpers shared by the config groups: every field carries its help text and allowed choices, so
`--help`, validation and (later) the web UI form are generated from one place."""
from __future__ import annotations

import dataclasses
from typing import Any


def option(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with help text (and optional choices) in its metadata."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices})


def split_names(value: str | None) -> list[str]:
    """'a, b,c' → ['a', 'b', 'c']; LLaMA-Factory writes lists as comma-separated strings."""
    if not value:
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


def check_choices(obj: Any) -> list[tuple[str, str]]:
    """(field, problem) for each field whose value is not among its declared choices."""
    problems = []
    for f in dataclasses.fields(obj):
        choices = f.metadata.get("choices")
        value = getattr(obj, f.name)
        if choices and value is not None and value not in choices:
            problems.append((f.name, f"'{value}' is not one of: {', '.join(choices)}"))
    return problems
