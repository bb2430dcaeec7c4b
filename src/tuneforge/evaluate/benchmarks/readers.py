"""Reading benchmark files in the public layouts into `Question`s, with `file:row` in every error.

LAYOUTS maps a layout name to where a subject's split lives under the task root and how its rows read:
  mmlu   — [data/]{dev,val,test}/<subject>_<split>.csv, no header: question,A,B,C,D,answer
  cmmlu  — {dev,test}/<subject>.csv, header `,Question,A,B,C,D,Answer` (first column is a row index)
  ceval  — {dev,val,test}/<subject>_<split>.csv, header `id,question,A,B,C,D,answer[,explanation]`
  custom — {dev,val,test}/<subject>.csv (header with question,A,B,C,D,answer) or <subject>.jsonl
A task root is a folder or a folder inside a zip archive (`zipfile.Path`): both offer `/`, `exists`,
`read_text`. Rows are located by the line their record starts on (quoted cells may span lines).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError

LETTERS = ("A", "B", "C", "D")
_COLUMNS = ("question", "a", "b", "c", "d", "answer")


@dataclass(frozen=True)
class Question:
    question: str
    choices: tuple[str, str, str, str]
    answer: str  # one of LETTERS
    source: str  # "file:row"

    def as_dict(self) -> dict[str, str]:
        return {"question": self.question, **dict(zip(LETTERS, self.choices)), "answer": self.answer}


@dataclass(frozen=True)
class Layout:
    name: str
    splits: tuple[str, ...]
    path: Callable[[Any, str, str], Any]  # (root, subject, split) -> file (Path or zipfile.Path)
    header: bool  # False: fixed column order question,A,B,C,D,answer


def _mmlu_path(root: Any, subject: str, split: str) -> Any:
    base = root / "data" if (root / "data").is_dir() else root  # the official archive unpacks into data/
    return base / split / f"{subject}_{split}.csv"


def _custom_path(root: Any, subject: str, split: str) -> Any:
    csv_file = root / split / f"{subject}.csv"
    jsonl_file = root / split / f"{subject}.jsonl"
    return jsonl_file if jsonl_file.exists() and not csv_file.exists() else csv_file


LAYOUTS: dict[str, Layout] = {
    "mmlu": Layout("mmlu", ("dev", "val", "test"), _mmlu_path, header=False),
    "cmmlu": Layout("cmmlu", ("dev", "test"), lambda root, s, split: root / split / f"{s}.csv", header=True),
    "ceval": Layout("ceval", ("dev", "val", "test"),
                    lambda root, s, split: root / split / f"{s}_{split}.csv", header=True),
    "custom": Layout("custom", ("dev", "val", "test"), _custom_path, header=True),
}


def read_questions(layout: Layout, root: Any, subject: str, split: str) -> list[Question]:
    """Every question of one subject's split; a missing file or a malformed row raises a UserError."""
    path = layout.path(root, subject, split)
    if not path.exists():
        raise UserError(f"missing file for subject '{subject}' ({split} split)", file=str(path))
    text = _read_text(path)
    if str(path).endswith(".jsonl"):
        questions = _jsonl_questions(text, str(path))
    elif layout.header:
        questions = _header_questions(text, str(path))
    else:
        questions = _plain_questions(text, str(path))
    if not questions:
        raise UserError("has no questions", file=str(path))
    return questions


def _read_text(path: Any) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None


def _records(text: str, file: str):
    """(line the record starts on, cells) for each non-blank CSV record."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UserError(f"malformed CSV: {exc}", file=file, row=reader.line_num) from None


def make_question(values: dict[str, str], file: str, row: int) -> Question:
    answer = values["answer"].strip()
    if answer not in LETTERS:
        raise UserError(f"answer must be one of A, B, C, D, got '{values['answer']}'", file=file, row=row,
                        field="answer")
    if not values["question"].strip():
        raise UserError("question is empty", file=file, row=row, field="question")
    choices = tuple(values[c] for c in ("a", "b", "c", "d"))
    return Question(values["question"], choices, answer, f"{file}:{row}")  # type: ignore[arg-type]


def _plain_questions(text: str, file: str) -> list[Question]:
    out = []
    for row, cells in _records(text, file):
        if len(cells) != 6:
            raise UserError(f"expected 6 columns (question,A,B,C,D,answer), got {len(cells)}", file=file, row=row)
        out.append(make_question(dict(zip(_COLUMNS, cells)), file, row))
    return out


def _header_questions(text: str, file: str) -> list[Question]:
    records = iter(_records(text, file))
    first = next(records, None)
    if first is None:
        return []
    header_row, header = first
    index = {name.strip().lower(): i for i, name in enumerate(header) if name.strip()}
    missing = [c for c in _COLUMNS if c not in index]
    if missing == ["answer"]:
        raise UserError("has no answer column (C-Eval's test answers are not public: evaluate the val split, "
                        "task ceval_validation)", file=file, row=header_row)
    if missing:
        names = ", ".join(c.upper() if len(c) == 1 else c for c in missing)
        raise UserError(f"header lacks column(s) {names}; expected question,A,B,C,D,answer", file=file,
                        row=header_row)
    out = []
    for row, cells in records:
        if len(cells) != len(header):
            raise UserError(f"expected {len(header)} columns like the header, got {len(cells)}", file=file, row=row)
        out.append(make_question({c: cells[index[c]] for c in _COLUMNS}, file, row))
    return out


def _jsonl_questions(text: str, file: str) -> list[Question]:
    out = []
    for row, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"malformed JSON line: {exc.msg}", file=file, row=row) from None
        if not isinstance(obj, dict):
            raise UserError("each line must be a JSON object", file=file, row=row)
        keys = {str(k).lower(): v for k, v in obj.items()}
        missing = [c for c in _COLUMNS if c not in keys]
        if missing:
            raise UserError(f"missing key(s) {', '.join(missing)}; expected question,A,B,C,D,answer", file=file,
                            row=row)
        out.append(make_question({c: "" if keys[c] is None else str(keys[c]) for c in _COLUMNS}, file, row))
    return out
