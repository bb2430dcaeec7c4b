"""Benchmark results: per-subject predictions, accuracy per category and overall, the printed table and the
files written to save_dir (results.json, results.log).

Averages follow LLaMA-Factory (and the MMLU paper's code): a category's accuracy is the fraction of its
questions answered correctly, pooled over its subjects (not a mean of subject accuracies); Average pools all
questions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.core.io import write_json_atomic, write_text_atomic
from tuneforge.evaluate.benchmarks.mapping import Subject, category_order


@dataclass(frozen=True)
class SubjectResult:
    subject: Subject
    predictions: tuple[str, ...]
    answers: tuple[str, ...]
    logits: tuple[tuple[float, ...], ...] = field(default=(), compare=False, repr=False)

    @property
    def correct(self) -> int:
        return sum(p == a for p, a in zip(self.predictions, self.answers))

    @property
    def total(self) -> int:
        return len(self.answers)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class BenchmarkResult:
    task: str
    subjects: tuple[SubjectResult, ...]
    settings: dict[str, Any] = field(default_factory=dict, compare=False)

    def scores(self) -> dict[str, float]:
        """Average, then each category present, as accuracies in [0, 1]."""
        counts = self.counts()
        return {name: correct / total for name, (correct, total) in counts.items()}

    def counts(self) -> dict[str, tuple[int, int]]:
        """(correct, total) for Average and each category, in report order."""
        out = {"Average": (sum(r.correct for r in self.subjects), sum(r.total for r in self.subjects))}
        for category in category_order(tuple(r.subject for r in self.subjects)):
            members = [r for r in self.subjects if r.subject.category == category]
            out[category] = (sum(r.correct for r in members), sum(r.total for r in members))
        return out


def format_table(result: BenchmarkResult) -> str:
    """LLaMA-Factory's score lines: `        Average: 62.50`, then one per category."""
    return "\n".join(f"{name:>15}: {100 * score:.2f}" for name, score in result.scores().items())


def format_log(result: BenchmarkResult) -> str:
    """The table, then each subject's accuracy (and counts)."""
    lines = [f"task: {result.task}", format_table(result), "", "per subject:"]
    width = max(len(r.subject.key) for r in result.subjects)
    for r in result.subjects:
        lines.append(f"{r.subject.key:>{width}}: {100 * r.accuracy:6.2f}  ({r.correct}/{r.total}, "
                     f"{r.subject.category})")
    return "\n".join(lines) + "\n"


def check_save_dir(save_dir: str | None) -> None:
    if save_dir and Path(save_dir).exists():
        raise UserError("already exists; choose a new folder (results are never overwritten)", file=save_dir,
                        field="save_dir")


def write_results(save_dir: str, result: BenchmarkResult) -> None:
    """results.json (scores, per-subject accuracy and predictions) and results.log (readable table)."""
    check_save_dir(save_dir)
    out = Path(save_dir)
    out.mkdir(parents=True)
    counts = result.counts()
    data = {
        "task": result.task,
        **result.settings,
        "scores": {name: round(100 * c / t, 4) if t else 0.0 for name, (c, t) in counts.items()},
        "counts": {name: {"correct": c, "total": t} for name, (c, t) in counts.items()},
        "subjects": {r.subject.key: {"name": r.subject.name, "category": r.subject.category,
                                     "accuracy": round(100 * r.accuracy, 4), "correct": r.correct,
                                     "total": r.total, "predictions": list(r.predictions),
                                     "answers": list(r.answers)} for r in result.subjects},
    }
    write_json_atomic(out / "results.json", data)
    write_text_atomic(out / "results.log", format_log(result))
