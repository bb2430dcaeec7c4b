"""Raw rows out of files, folders and hubs, before any format is applied.

Each reader yields `(row, text)` pairs: the row's 1-based number (the line in JSONL and .txt, the index in a
JSON list, CSV or Parquet table) and the row as JSON text. `read_spec` writes them into a memory-mapped Arrow
table (`data.arrow`: `_source`, `_file`, `_row`, `_raw`), so a dataset of millions of rows never sits in memory
as Python objects; the format converters parse `_raw` batch by batch (`data.convert`), where a malformed row
is reported with its file and row. JSONL lines are kept as they are (no parse here); a JSON list is parsed
once, whole, as LLaMA-Factory's loader does; CSV, Parquet and hub datasets come through `datasets`.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.core.io import read_json
from tuneforge.core.registry import Registry
from tuneforge.data.dataset_info import DatasetSpec

RowTexts = Iterator[tuple[int, str]]


@dataclass(frozen=True)
class RawRow:
    """One row as stored. `row` is the 1-based index in a JSON list / table, or the line number (JSONL, txt)."""
    file: str
    row: int
    data: dict[str, Any]


def parse_row(file: str, row: int, text: str) -> RawRow:
    """A stored row's JSON text as a RawRow; malformed JSON or a non-object is the user's, at file:row."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"malformed JSON line: {exc.msg} (column {exc.colno})", file=file, row=row) from None
    if not isinstance(data, dict):
        raise UserError(f"expected a JSON object for each row, got {type(data).__name__}", file=file, row=row)
    return RawRow(file, row, data)


def _dumps(row: Any) -> str:
    # default=str: table cells JSON has no type for (dates, decimals) reach the converters as text.
    return json.dumps(row, ensure_ascii=False, default=str)


def _json_rows(path: str) -> RowTexts:
    data = read_json(path)
    if not isinstance(data, list):
        raise UserError(f"expected a JSON list of rows, got a JSON {type(data).__name__}", file=path)
    if not data:
        raise UserError("no rows (the JSON list is empty)", file=path)
    for i, row in enumerate(data, start=1):
        yield i, _dumps(row)


def _lines(path: str) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8") as handle:
            for n, line in enumerate(handle, start=1):
                if line.strip():
                    yield n, line.rstrip("\r\n")
    except FileNotFoundError:
        raise UserError("file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", file=path) from None


def _jsonl_rows(path: str) -> RowTexts:
    return _lines(path)


def _text_rows(path: str) -> RowTexts:
    for n, line in _lines(path):
        yield n, json.dumps({"text": line}, ensure_ascii=False)


def _table_rows(builder: str) -> Callable[[str], RowTexts]:
    def read(path: str) -> RowTexts:
        if os.path.getsize(path) == 0:
            raise UserError("file is empty", file=path)
        import datasets

        try:
            table = datasets.load_dataset(builder, data_files=path, split="train")
        except Exception as exc:  # any parser error from pandas/pyarrow is the user's file
            raise UserError(f"could not read as {builder}: {_first_line(exc)}", file=path) from None
        return _dataset_rows(table)
    return read


def _dataset_rows(table) -> RowTexts:
    n = 0
    for batch in table.iter(batch_size=10_000):
        for row in _batch_rows(batch):
            n += 1
            yield n, _dumps(row)


def _batch_rows(batch: dict[str, list]) -> Iterator[dict[str, Any]]:
    keys = list(batch)
    return (dict(zip(keys, values)) for values in zip(*(batch[k] for k in keys)))


# Extension → (kind, reader). json and jsonl are one kind, as in LLaMA-Factory, so a folder may mix them.
READERS: Registry[tuple[str, Callable[[str], RowTexts]]] = Registry("data file type", {
    "json": ("json", _json_rows),
    "jsonl": ("json", _jsonl_rows),
    "csv": ("csv", _table_rows("csv")),
    "parquet": ("parquet", _table_rows("parquet")),
    "txt": ("text", _text_rows),
})


def data_files(path: str) -> list[str]:
    """The files a dataset path stands for: the file itself, or a folder's files (sorted, one kind only)."""
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path) if not f.startswith("."))
        if not files:
            raise UserError("folder has no data files", file=path)
        kinds = {_reader(f)[0] for f in files}
        if len(kinds) > 1:
            raise UserError(f"a dataset folder must hold one kind of file, found: {', '.join(sorted(kinds))}",
                            file=path)
        return files
    if not os.path.isfile(path):
        raise UserError("file not found", file=path)
    _reader(path)
    return [path]


def file_rows(path: str) -> RowTexts:
    """(row, JSON text) of every row of one data file; a file without rows is an error."""
    empty = True
    for item in _reader(path)[1](path):
        empty = False
        yield item
    if empty:
        raise UserError("file is empty" if not path.endswith((".csv", ".parquet")) else "file has no rows",
                        file=path)


def first_row(path: str) -> RawRow:
    """The first row of a data file or folder (for inferring its format)."""
    first = data_files(path)[0]
    row, text = next(iter(file_rows(first)))
    return parse_row(first, row, text)


def _reader(path: str) -> tuple[str, Callable[[str], RowTexts]]:
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext not in READERS:
        raise UserError(f"unsupported file type '.{ext}'; use one of: "
                        f"{', '.join('.' + e for e in READERS)}", file=path)
    return READERS[ext]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# ---- hubs -----------------------------------------------------------------------------------------------

def _read_hf(spec: DatasetSpec):
    import datasets

    return datasets.load_dataset(path=spec.source_url, name=spec.subset, data_dir=spec.folder, split=spec.split)


def _read_script(spec: DatasetSpec):
    import datasets

    return datasets.load_dataset(path=spec.path, name=spec.subset, data_dir=spec.folder, split=spec.split)


def _read_ms(spec: DatasetSpec):
    from modelscope import MsDataset  # optional dependency; ImportError is reported like any failure

    dataset = MsDataset.load(dataset_name=spec.source_url, subset_name=spec.subset, data_dir=spec.folder,
                             split=spec.split)
    return dataset.to_hf_dataset() if isinstance(dataset, MsDataset) else dataset


def _unsupported(spec: DatasetSpec):
    raise RuntimeError(f"{spec.load_from} datasets are not supported by tuneforge")


HUB_READERS: Registry[tuple[str, Callable[[DatasetSpec], Any]]] = Registry("dataset source", {
    "hf_hub": ("the Hugging Face Hub", _read_hf),
    "ms_hub": ("ModelScope", _read_ms),
    "om_hub": ("openMind", _unsupported),
    "script": ("a dataset script", _read_script),
    "cloud_file": ("cloud storage", _unsupported),
})


def spec_files(spec: DatasetSpec) -> list[str] | None:
    """The local files of a file dataset (None for hub datasets)."""
    if spec.load_from != "file":
        return None
    if spec.path is None:
        raise UserError("needs file_name", file=spec.info_file, field=spec.name)
    return data_files(spec.path)


def spec_rows(spec: DatasetSpec) -> Iterator[tuple[str, int, str]]:
    """(file, row, JSON text) of every row of a dataset, from its local file/folder or its hub."""
    files = spec_files(spec)
    if files is not None:
        for path in files:
            for row, text in file_rows(path):
                yield path, row, text
        return
    where, read = HUB_READERS.get_or_raise(spec.load_from, field=spec.name)
    url = str(spec.source_url or spec.path)
    try:
        table = read(spec)
    except Exception as exc:  # network, auth, missing package, missing split: all are the user's to fix
        raise UserError(f"could not fetch '{url}' from {where} ({_first_line(exc)}); if this machine is offline, "
                        f"download the data and point the entry at the local copy with \"file_name\"",
                        file=spec.info_file, field=f"dataset {spec.name}") from None
    if len(table) == 0:
        raise UserError(f"'{url}' split '{spec.split}' has no rows", file=spec.info_file,
                        field=f"dataset {spec.name}")
    for row, text in _dataset_rows(table):
        yield url, row, text


def row_batches(spec: DatasetSpec, source: int, size: int = 10_000, limit: int | None = None):
    """A dataset's raw rows as column batches (`_source`, `_file`, `_row`, `_raw`) of `size` rows; the first
    `limit` rows only, when given."""
    batch: dict[str, list] = {"_source": [], "_file": [], "_row": [], "_raw": []}
    for n, (file, row, text) in enumerate(spec_rows(spec)):
        if limit is not None and n >= limit:
            break
        batch["_source"].append(source)
        batch["_file"].append(file)
        batch["_row"].append(row)
        batch["_raw"].append(text)
        if len(batch["_raw"]) == size:
            yield batch
            batch = {"_source": [], "_file": [], "_row": [], "_raw": []}
    if batch["_raw"]:
        yield batch


def read_spec(spec: DatasetSpec, source: int, folder: Path):
    """A dataset's rows as a memory-mapped Arrow table in `folder` (`source` tags its rows for mixing)."""
    from tuneforge.data.arrow import raw_features, write_table

    return write_table(Path(folder) / f"raw-{source}.arrow", raw_features(), row_batches(spec, source))
