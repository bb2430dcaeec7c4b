"""Field helpers shared by the config groups: every field carries its help text and allowed choices, and
`field_facts` reads each field's type once (through typing, not by parsing its annotation string), so the
loader's coercion, `--help` and the web UI's forms are generated from one place."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from tuneforge.core.errors import did_you_mean

_BASES = {"bool": bool, "int": int, "float": float, "str": str}


@dataclass(frozen=True)
class FieldFacts:
    """What the loader, `--help` and the web UI need to know about one config key."""
    name: str
    base: str  # bool | int | float | str
    optional: bool  # None is a valid value (unset)
    default: Any
    choices: tuple[str, ...] | None
    help: str
    mapping: bool = False  # a str field that also takes a YAML mapping, kept as JSON text

    @property
    def kind(self) -> str:
        """How a form shows it: a choice list when it has choices, else its base type."""
        return "choice" if self.choices else self.base

    def type_label(self) -> str:
        """`str?` for an optional string, `a|b|c` for a choice."""
        return "|".join(self.choices) if self.choices else self.base + ("?" if self.optional else "")


@cache
def field_facts(cls: type) -> tuple[FieldFacts, ...]:
    """The facts of every field of a config dataclass, in declaration order."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        members = typing.get_args(hint) or (hint,)
        bases = [m for m in members if m is not type(None)]
        if len(bases) != 1 or bases[0] not in _BASES.values():
            raise TypeError(f"{cls.__name__}.{f.name}: config fields are bool, int, float or str (got {hint})")
        out.append(FieldFacts(f.name, bases[0].__name__, type(None) in members, f.default,
                              f.metadata.get("choices"), f.metadata.get("help", ""), f.metadata.get("mapping", False)))
    return tuple(out)


def option(default: Any, help: str, choices: tuple[str, ...] | None = None, *, mapping: bool = False) -> Any:
    """A dataclass field with help text (and optional choices) in its metadata; `mapping`: a str field that
    also takes a YAML mapping (stored as JSON text)."""
    return dataclasses.field(default=default, metadata={"help": help, "choices": choices, "mapping": mapping})


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
            problems.append((f.name, f"'{value}' is not one of: {', '.join(choices)}"
                                     f"{did_you_mean(str(value), choices)}"))
    return problems
