"""Raw rows out of files, folders and hubs: `RawRow(file, row, data)` before any format is applied.

JSON and JSONL go through our own readers so that errors carry a line number; CSV and Parquet go through
`datasets`; `.txt` is one row per non-empty line (column `text`), as LLaMA-Factory's text loader gives.
Hub datasets are fetched with `datasets.load_dataset`; any failure there becomes one `UserError`.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.core.io import read_json, read_jsonl
from tuneforge.core.registry import Registry
from tuneforge.data.dataset_info import DatasetSpec


@dataclass(frozen=True)
class RawRow:
    """One row as stored. `row` is the 1-based index in a JSON list / table, or the line number (JSONL, txt)."""
    file: str
    row: int
    data: dict[str, Any]


def _read_json_file(path: str) -> list[RawRow]:
    data = read_json(path)
    if not isinstance(data, list):
        raise UserError(f"expected a JSON list of rows, got a JSON {type(data).__name__}", file=path)
    if not data:
        raise UserError("no rows (the JSON list is empty)", file=path)
    return [RawRow(path, i, _as_object(row, path, i)) for i, row in enumerate(data, start=1)]


def _read_jsonl_file(path: str) -> list[RawRow]:
    rows = read_jsonl(path)  # raises with the line number on the first bad line
    with open(path, encoding="utf-8") as handle:
        linenos = [n for n, line in enumerate(handle, start=1) if line.strip()]
    return [RawRow(path, n, _as_object(row, path, n)) for n, row in zip(linenos, rows)]


def _read_text_file(path: str) -> list[RawRow]:
    try:
        with open(path, encoding="utf-8") as handle:
            rows = [RawRow(path, n, {"text": line.rstrip("\r\n")}) for n, line in enumerate(handle, start=1)
                    if line.strip()]
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", file=path) from None
    if not rows:
        raise UserError("file is empty", file=path)
    return rows


def _read_table(builder: str) -> Callable[[str], list[RawRow]]:
    def read(path: str) -> list[RawRow]:
        if os.path.getsize(path) == 0:
            raise UserError("file is empty", file=path)
        import datasets

        try:
            table = datasets.load_dataset(builder, data_files=path, split="train")
        except Exception as exc:  # any parser error from pandas/pyarrow is the user's file
            raise UserError(f"could not read as {builder}: {_first_line(exc)}", file=path) from None
        rows = table.to_list()
        if not rows:
            raise UserError("file has no rows", file=path)
        return [RawRow(path, i, row) for i, row in enumerate(rows, start=1)]
    return read


# Extension → reader. json and jsonl are one kind, as in LLaMA-Factory, so a folder may mix them.
READERS: Registry[tuple[str, Callable[[str], list[RawRow]]]] = Registry("data file type", {
    "json": ("json", _read_json_file),
    "jsonl": ("json", _read_jsonl_file),
    "csv": ("csv", _read_table("csv")),
    "parquet": ("parquet", _read_table("parquet")),
    "txt": ("text", _read_text_file),
})


def read_path(path: str) -> list[RawRow]:
    """Rows of a data file, or of every data file in a folder (sorted by name, one kind of file only)."""
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if not f.startswith("."))
        if not files:
            raise UserError("folder has no data files", file=path)
        kinds = {_reader(f)[0] for f in files}
        if len(kinds) > 1:
            raise UserError(f"a dataset folder must hold one kind of file, found: {', '.join(sorted(kinds))}",
                            file=path)
        return [row for f in files for row in _reader(f)[1](f)]
    if not os.path.isfile(path):
        raise UserError("file not found", file=path)
    return _reader(path)[1](path)


def _reader(path: str) -> tuple[str, Callable[[str], list[RawRow]]]:
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in READERS:
        raise UserError(f"unsupported file type '.{ext}'; use one of: "
                        f"{', '.join('.' + e for e in READERS)}", file=path)
    return READERS[ext]


def _as_object(row: Any, path: str, n: int) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise UserError(f"expected a JSON object for each row, got {type(row).__name__}", file=path, row=n)
    return row


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# ---- hubs -----------------------------------------------------------------------------------------------

def _read_hf(spec: DatasetSpec) -> list[dict[str, Any]]:
    import datasets

    return datasets.load_dataset(path=spec.source_url, name=spec.subset, data_dir=spec.folder,
                                 split=spec.split).to_list()


def _read_script(spec: DatasetSpec) -> list[dict[str, Any]]:
    import datasets

    return datasets.load_dataset(path=spec.path, name=spec.subset, data_dir=spec.folder,
                                 split=spec.split).to_list()


def _read_ms(spec: DatasetSpec) -> list[dict[str, Any]]:
    from modelscope import MsDataset  # optional dependency; ImportError is reported like any failure

    dataset = MsDataset.load(dataset_name=spec.source_url, subset_name=spec.subset, data_dir=spec.folder,
                             split=spec.split)
    return (dataset.to_hf_dataset() if isinstance(dataset, MsDataset) else dataset).to_list()


def _unsupported(spec: DatasetSpec) -> list[dict[str, Any]]:
    raise RuntimeError(f"{spec.load_from} datasets are not supported by tuneforge")


HUB_READERS: Registry[tuple[str, Callable[[DatasetSpec], list[dict[str, Any]]]]] = Registry("dataset source", {
    "hf_hub": ("the Hugging Face Hub", _read_hf),
    "ms_hub": ("ModelScope", _read_ms),
    "om_hub": ("openMind", _unsupported),
    "script": ("a dataset script", _read_script),
    "cloud_file": ("cloud storage", _unsupported),
})


def read_spec(spec: DatasetSpec) -> list[RawRow]:
    """All rows of a dataset, from its local file/folder or its hub."""
    if spec.load_from == "file":
        if spec.path is None:
            raise UserError("needs file_name", file=spec.info_file, field=spec.name)
        return read_path(spec.path)
    where, read = HUB_READERS.get_or_raise(spec.load_from, field=spec.name)
    url = spec.source_url or spec.path
    try:
        rows = read(spec)
    except Exception as exc:  # network, auth, missing package, missing split: all are the user's to fix
        raise UserError(f"could not fetch '{url}' from {where} ({_first_line(exc)}); if this machine is offline, "
                        f"download the data and point the entry at the local copy with \"file_name\"",
                        file=spec.info_file, field=f"dataset {spec.name}") from None
    if not rows:
        raise UserError(f"'{url}' split '{spec.split}' has no rows", file=spec.info_file,
                        field=f"dataset {spec.name}")
    return [RawRow(str(url), i, row) for i, row in enumerate(rows, start=1)]
