"""Reading user files (JSON, JSONL, YAML) with errors that name the file and line, and safe writes."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tuneforge.core.errors import UserError


def read_json(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    if not text.strip():
        raise UserError("file is empty", file=str(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"malformed JSON: {exc.msg} (column {exc.colno})", file=str(path),
                        row=exc.lineno) from None


def read_jsonl(path: str | Path) -> list[Any]:
    """Rows of a JSON-lines file; blank lines are skipped, a bad line is reported with its line number."""
    path = Path(path)
    rows: list[Any] = []
    try:
        handle = path.open(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    with handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise UserError(f"malformed JSON line: {exc.msg} (column {exc.colno})", file=str(path),
                                row=lineno) from None
    if not rows:
        raise UserError("file is empty", file=str(path))
    return rows


def read_yaml(path: str | Path) -> Any:
    import yaml  # yaml is the one third-party import allowed this low: config files are YAML

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError("file not found", file=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise UserError(f"malformed YAML: {getattr(exc, 'problem', exc)}", file=str(path),
                        row=(mark.line + 1) if mark else None) from None


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: str | Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
