"""Subject → (display name, category) mappings: the packaged ones for MMLU, CMMLU and C-Eval (JSON files in
`data/`, the benchmarks' published groupings) and a user's `mapping.json` for a custom task.

A mapping file is a JSON object keyed by subject file name. Each value is either
`{"name": "high school physics", "category": "STEM"}` (LLaMA-Factory's mapping.json shape) or just the
category string (the display name is then the subject with spaces for underscores). Order is kept: subjects
are evaluated and reported in file order.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from tuneforge.core.errors import UserError

CATEGORIES = ("STEM", "Social Sciences", "Humanities", "Other")


@dataclass(frozen=True)
class Subject:
    key: str  # file name stem, e.g. high_school_physics
    name: str  # what the prompt header says, e.g. "high school physics" / "高中物理"
    category: str


def packaged_mapping(family: str) -> tuple[Subject, ...]:
    """The mapping shipped for a benchmark family (mmlu, cmmlu, ceval)."""
    resource = resources.files("tuneforge.evaluate.benchmarks").joinpath("data", f"{family}.json")
    return parse_mapping(json.loads(resource.read_text(encoding="utf-8")), f"<tuneforge>/{family}.json")


def read_mapping(path: Any) -> tuple[Subject, ...]:
    """A mapping file on disk (or inside a zip archive)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read the subject mapping: {exc}", file=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"malformed JSON: {exc.msg} (column {exc.colno})", file=str(path), row=exc.lineno) from None
    return parse_mapping(data, str(path))


def parse_mapping(data: Any, file: str) -> tuple[Subject, ...]:
    if not isinstance(data, dict) or not data:
        raise UserError("a subject mapping must be a non-empty JSON object {subject: {name, category}}", file=file)
    subjects = []
    for key, value in data.items():
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise UserError("a subject must be a plain file name", file=file, field=str(key))
        if isinstance(value, str):
            value = {"name": key.replace("_", " "), "category": value}
        if not isinstance(value, dict) or not isinstance(value.get("category"), str) or not value["category"]:
            raise UserError('expected {"name": ..., "category": ...} or a category string', file=file, field=key)
        name = value.get("name", key.replace("_", " "))
        if not isinstance(name, str):
            raise UserError("name must be a string", file=file, field=key)
        subjects.append(Subject(key, name, value["category"]))
    return tuple(subjects)


def category_order(subjects: tuple[Subject, ...]) -> list[str]:
    """The four standard categories first (as the benchmarks report them), then any custom ones."""
    present = list(dict.fromkeys(s.category for s in subjects))
    return [c for c in CATEGORIES if c in present] + [c for c in present if c not in CATEGORIES]
