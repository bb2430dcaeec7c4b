"""A dataset given as a file or folder path, without a dataset_info.json entry: its entry is inferred from
the first row (alpaca: instruction/output; sharegpt: conversations; openai: messages; text: a `text` column
or a .txt file) and then parsed like any written entry, so both paths share every rule."""
from __future__ import annotations

import os
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.data.dataset_info import DatasetSpec, parse_entry
from tuneforge.data.readers import first_row


def infer_spec(name: str, path: str) -> DatasetSpec:
    """The spec of a data file or folder, from the keys of its first row."""
    first = first_row(path)
    entry = infer_entry(first.data)
    if entry is None:
        raise UserError(f"cannot tell the format from the keys ({', '.join(map(str, first.data)) or 'none'}); "
                        "expected instruction/output (alpaca), conversations (sharegpt), messages (openai) or "
                        "text; or describe the file in dataset_info.json", file=first.file, row=first.row)
    path = os.path.normpath(path)
    entry["file_name"] = os.path.basename(path)
    return parse_entry(name, entry, os.path.dirname(path), info_path=path)


def infer_entry(row: dict[str, Any]) -> dict[str, Any] | None:
    """A dataset_info.json entry that describes rows shaped like `row`, or None."""
    columns: dict[str, str] = {}
    entry: dict[str, Any] = {}
    if "chosen" in row and "rejected" in row:
        entry["ranking"] = True
        columns.update(chosen="chosen", rejected="rejected")
    for key in ("kto_tag", "label"):
        if isinstance(row.get(key), bool):
            columns["kto_tag"] = key
            break
    for key in ("system", "tools"):
        if key in row:
            columns[key] = key
    chat = next((key for key in ("conversations", "messages") if isinstance(row.get(key), list)), None)
    if chat is not None:
        first = next((m for m in row[chat] if isinstance(m, dict)), {})
        entry["formatting"] = "sharegpt" if "from" in first else "openai"
        columns["messages"] = chat
    elif "instruction" in row and ("output" in row or "chosen" in row):
        entry["formatting"] = "alpaca"
        optional = {"query": "input", "response": "output", "history": "history"}
        columns.update(prompt="instruction", **{k: v for k, v in optional.items() if v in row})
    elif isinstance(row.get("text"), str):
        entry["formatting"] = "text"
        columns = {"prompt": "text"}
    else:
        return None
    entry["columns"] = columns
    return entry
