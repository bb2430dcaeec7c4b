"""Benchmark files from the Hugging Face hub through `datasets`, for when no local copy is in task_dir.

Each family has one public dataset with a config per subject. Rows are turned into the same `Question`s the
CSV readers make (cais/mmlu stores `choices` as a list and `answer` as an index; the others store A–D columns
and a letter). Offline, or when the hub cannot be reached, the user gets one line saying where to put the files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.evaluate.benchmarks.readers import LETTERS, Question, make_question

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class HubSource:
    repo: str
    splits: dict[str, str] = field(default_factory=dict)  # our split name → the dataset's split name


HUB_SOURCES: dict[str, HubSource] = {
    "mmlu": HubSource("cais/mmlu", {"dev": "dev", "val": "validation", "test": "test"}),
    "cmmlu": HubSource("haonan-li/cmmlu", {"dev": "dev", "test": "test"}),
    "ceval": HubSource("ceval/ceval-exam", {"dev": "dev", "val": "val", "test": "test"}),
}


def hub_offline() -> bool:
    return any(os.environ.get(name, "").strip().lower() in _TRUE for name in ("HF_HUB_OFFLINE",
                                                                              "HF_DATASETS_OFFLINE"))


def hub_row(row: dict[str, Any], where: str, index: int) -> Question:
    """One dataset row (any of the three schemas) as a Question."""
    values = {str(k).lower(): v for k, v in row.items()}
    if isinstance(values.get("choices"), (list, tuple)):
        choices = list(values["choices"])
        if len(choices) != 4:
            raise UserError(f"expected 4 choices, got {len(choices)}", file=where, row=index)
        values.update(zip(("a", "b", "c", "d"), choices))
    answer = values.get("answer")
    if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < len(LETTERS):
        values["answer"] = LETTERS[answer]
    text = {k: "" if values.get(k) is None else str(values.get(k)) for k in ("question", "a", "b", "c", "d",
                                                                              "answer")}
    return make_question(text, where, index)


def load_hub_split(source: HubSource, subject: str, split: str, *, cache_dir: str | None = None,
                   token: str | None = None, missing_local: str = "") -> list[Question]:
    """Questions of one subject's split from the hub; a UserError when offline or unreachable."""
    where = f"{source.repo}:{subject}/{split}"
    if split not in source.splits:
        raise UserError(f"{source.repo} has no {split} split", file=where)
    if hub_offline():
        raise UserError(f"no local copy of the benchmark ({missing_local}) and the hub is offline, so "
                        f"{source.repo} cannot be downloaded; put the files there as docs/evaluation.md "
                        "describes", field="task_dir")
    from datasets import load_dataset

    try:
        rows = load_dataset(source.repo, subject, split=source.splits[split], cache_dir=cache_dir, token=token)
    except Exception as exc:  # noqa: BLE001 — datasets raises many types for network/hub problems
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserError(f"could not load {source.repo} ({subject}, {split}) from the hub: {first}; or put the "
                        f"files in {missing_local} as docs/evaluation.md describes", field="task_dir") from None
    return [hub_row(dict(row), where, i + 1) for i, row in enumerate(rows)]
