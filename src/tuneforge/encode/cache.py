"""The encoded-data cache: one folder per content key (raw data + tokenizer + template + encoding options),
holding the train (and eval) features as the Arrow files the encoder wrote (no copy), a manifest naming
them, and their statistics. An entry is written under a temporary name and renamed into place, so a crash
never leaves a half-written one; it is memory-mapped on reuse. A file lock per key makes one process encode
while the others wait (DDP ranks, two runs started together) and then map the same files."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.encode.options import EncodeOptions
from tuneforge.templates.spec import TemplateSpec

CACHE_VERSION = "3"


def default_cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tuneforge" / "encoded"


def encoding_key(data_identity: str, tokenizer, template: TemplateSpec | None, options: EncodeOptions) -> str:
    digest = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    for part in (CACHE_VERSION, data_identity, json.dumps(dataclasses.asdict(options), sort_keys=True, default=str),
                 backend.to_str() if backend is not None else repr(sorted(tokenizer.get_vocab().items())),
                 template.chat_template if template else str(tokenizer.chat_template or "")):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class Encoded:
    """A cache entry: features (memory-mapped Datasets) and their statistics (EncodeStats fields). `eval`: one
    Dataset, or one per eval dataset by name (eval_on_each_dataset)."""
    folder: Path
    train: Any
    eval: Any | dict[str, Any] | None
    stats: dict[str, dict]


@dataclass(frozen=True)
class EncodedCache:
    root: Path

    def folder(self, key: str) -> Path:
        return self.root / key

    @contextmanager
    def lock(self, key: str):
        from filelock import FileLock

        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / f"{key}.lock")):
            yield

    def work_folder(self) -> Path:
        """A scratch folder on the cache's disk for one encoding (removed by the caller)."""
        folder = self.root / f"work-{uuid.uuid4().hex[:12]}"
        folder.mkdir(parents=True)
        return folder

    def new_entry(self) -> Path:
        """A folder to encode into (`train/`, `eval/`), committed under its key by `commit`."""
        folder = self.root / f"entry-{uuid.uuid4().hex[:12]}.tmp"
        folder.mkdir(parents=True)
        return folder

    def load(self, key: str) -> Encoded | None:
        folder = self.folder(key)
        if not (folder / MANIFEST).is_file():
            return None
        manifest = json.loads((folder / MANIFEST).read_text())
        splits = {name: _open(folder / name, part) for name, part in manifest["splits"].items()}
        names = manifest.get("eval_names")
        evaluation = {name: splits[eval_folder(i)] for i, name in enumerate(names)} if names else splits.get("eval")
        return Encoded(folder, splits["train"], evaluation, manifest["stats"])

    def commit(self, key: str, entry: Path, train, evaluation, stats: dict[str, dict]) -> Encoded:
        """Name `entry` (whose split folders hold the files of `train`/`evaluation`) as the cache entry of `key`,
        replacing an older one, and return it memory-mapped from there. Per-dataset eval parts are in the
        folders `eval_folder(i)`."""
        per_dataset = isinstance(evaluation, dict)
        if per_dataset:
            eval_splits = {eval_folder(i): part for i, part in enumerate(evaluation.values())}
        else:
            eval_splits = {"eval": evaluation} if evaluation is not None else {}
        splits = {"train": train, **eval_splits}
        manifest = {"version": CACHE_VERSION, "stats": stats, "eval_names": list(evaluation) if per_dataset else None,
                    "splits": {name: _describe(entry / name, data) for name, data in splits.items()}}
        for name, part in manifest["splits"].items():  # what the features do not use (e.g. rows before packing)
            for file in (entry / name).glob("*.arrow"):
                if file.name not in part["files"]:
                    file.unlink()
        (entry / MANIFEST).write_text(json.dumps(manifest))
        final = self.folder(key)
        if final.exists():  # overwrite_cache: move the old entry aside first, so there is always one whole entry
            old = self.root / f"{key}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(entry, final)
        loaded = self.load(key)
        assert loaded is not None
        return loaded


MANIFEST = "manifest.json"


def eval_folder(index: int) -> str:
    """The folder of the index-th eval dataset's features in an entry (eval_on_each_dataset)."""
    return f"eval-{index}"


def _describe(folder: Path, data) -> dict:
    files = [Path(f["filename"]) for f in data.cache_files]
    outside = [f for f in files if f.parent.resolve() != folder.resolve()]
    assert not outside, f"features backed by files outside the entry: {outside}"
    return {"files": [f.name for f in files], "columns": list(data.column_names), "rows": len(data)}


def _open(folder: Path, part: dict):
    from datasets import Dataset, concatenate_datasets

    tables = [Dataset.from_file(str(folder / name)) for name in part["files"]]
    data = tables[0] if len(tables) == 1 else concatenate_datasets(tables)
    return data.select_columns(part["columns"])
