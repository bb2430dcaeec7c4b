"""Which benchmark a `task:` names, and where its files are.

TASKS holds LLaMA-Factory's task names. Any other `<folder>_<split>` names a custom task: the folder
`task_dir/<folder>/` in the custom layout with its own `mapping.json`. A built-in task reads
`task_dir/<family>/` (or `<family>.zip` there or inside it, as LLaMA-Factory's evaluation folder ships them);
a `mapping.json` inside that folder replaces the packaged mapping (to evaluate a subset, or renamed subjects).
When no local copy exists the files come from the hub (see hub.py).
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.core.errors import UserError, did_you_mean
from tuneforge.core.registry import Registry
from tuneforge.evaluate.benchmarks.hub import HUB_SOURCES, HubSource
from tuneforge.evaluate.benchmarks.mapping import Subject, packaged_mapping, read_mapping


@dataclass(frozen=True)
class TaskSpec:
    name: str
    family: str  # folder under task_dir; name of the packaged mapping (built-in tasks)
    layout: str  # key of readers.LAYOUTS
    split: str  # the split whose questions are scored (file name spelling: test, val)
    hub: HubSource | None = None
    builtin: bool = True


TASKS: Registry[TaskSpec] = Registry("task", {
    "mmlu_test": TaskSpec("mmlu_test", "mmlu", "mmlu", "test", HUB_SOURCES["mmlu"]),
    "mmlu_validation": TaskSpec("mmlu_validation", "mmlu", "mmlu", "val", HUB_SOURCES["mmlu"]),
    "cmmlu_test": TaskSpec("cmmlu_test", "cmmlu", "cmmlu", "test", HUB_SOURCES["cmmlu"]),
    "ceval_validation": TaskSpec("ceval_validation", "ceval", "ceval", "val", HUB_SOURCES["ceval"]),
})
_SPLITS = {"test": "test", "validation": "val", "val": "val", "dev": "dev"}


def resolve_task(name: str | None, task_dir: str) -> TaskSpec:
    """The spec of a built-in task, or of a custom `<folder>_<split>` task found in task_dir."""
    if not name:
        raise UserError("is required: mmlu_test, mmlu_validation, cmmlu_test, ceval_validation, or "
                        "<folder>_<split> for a custom task in task_dir", field="task")
    if name in TASKS:
        return TASKS[name]
    folder, _, split = name.rpartition("_")
    hint = did_you_mean(name, TASKS)
    if not folder or split not in _SPLITS or "/" in folder or "\\" in folder or folder.startswith("."):
        raise UserError(f"unknown task '{name}'{hint}; built-in tasks: {', '.join(TASKS)}; a custom task is "
                        "written <folder>_<split> with split test, validation or dev", field="task")
    if not (Path(task_dir) / folder).is_dir():
        raise UserError(f"unknown task '{name}'{hint}: no custom task folder '{folder}' in task_dir",
                        file=str(Path(task_dir) / folder), field="task")
    return TaskSpec(name, folder, "custom", _SPLITS[split], None, builtin=False)


def task_root(spec: TaskSpec, task_dir: str) -> Any | None:
    """The folder (Path, or zipfile.Path into an archive) holding the task's files; None if absent here."""
    base = Path(task_dir)
    folder = base / spec.family
    if folder.is_dir():
        archive = folder / f"{spec.family}.zip"
        has_files = any((folder / d).is_dir() for d in ("data", "dev", "val", "test"))
        if archive.is_file() and not has_files:
            return _zip_root(archive)
        return folder
    if (base / f"{spec.family}.zip").is_file():
        return _zip_root(base / f"{spec.family}.zip")
    return None


def _zip_root(archive: Path) -> Any:
    try:
        root = zipfile.Path(zipfile.ZipFile(archive))
    except zipfile.BadZipFile:
        raise UserError("not a readable zip archive", file=str(archive)) from None
    # Archives often wrap everything in one top folder (mmlu.zip → mmlu/...); step into it.
    entries = list(root.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and entries[0].name not in ("data", "dev", "val", "test"):
        return entries[0]
    return root


def task_subjects(spec: TaskSpec, task_dir: str) -> tuple[Subject, ...]:
    """The subjects to evaluate: `mapping.json` in the task folder if there is one, else the packaged mapping
    (built-in tasks); a custom task must bring its own."""
    own = Path(task_dir) / spec.family / "mapping.json"
    if own.is_file():
        return read_mapping(own)
    if not spec.builtin:
        raise UserError("a custom task needs a mapping.json: {\"<subject>\": {\"name\": ..., \"category\": ...}}",
                        file=str(own))
    return packaged_mapping(spec.family)
