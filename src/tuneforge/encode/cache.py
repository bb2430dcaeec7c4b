"""The encoded-data cache: one folder per content key (raw data + tokenizer + template + encoding options),
holding the train (and eval) features as `datasets` folders and their statistics. Written under a temporary
name and renamed into place, so a crash never leaves a half-written entry; memory-mapped on reuse. A file
lock per key makes one process encode while the others wait (DDP ranks, two runs started together) and
then map the same files."""
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

CACHE_VERSION = "2"


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
    """A cache entry: features (memory-mapped Datasets) and their statistics (EncodeStats fields)."""
    folder: Path
    train: Any
    eval: Any | None
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

    def load(self, key: str) -> Encoded | None:
        from datasets import load_from_disk

        folder = self.folder(key)
        if not (folder / "stats.json").is_file():
            return None
        evaluation = load_from_disk(str(folder / "eval")) if (folder / "eval").is_dir() else None
        return Encoded(folder, load_from_disk(str(folder / "train")), evaluation,
                       json.loads((folder / "stats.json").read_text()))

    def store(self, key: str, train, evaluation, stats: dict[str, dict]) -> Encoded:
        """Save an encoding under `key` (replacing an older one) and return it memory-mapped from there."""
        tmp = self.root / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
        train.save_to_disk(str(tmp / "train"))
        if evaluation is not None:
            evaluation.save_to_disk(str(tmp / "eval"))
        (tmp / "stats.json").write_text(json.dumps(stats))
        final = self.folder(key)
        if final.exists():  # overwrite_cache: move the old entry aside first, so there is always one whole entry
            old = self.root / f"{key}.old-{uuid.uuid4().hex[:8]}"
            os.rename(final, old)
            shutil.rmtree(old, ignore_errors=True)
        os.rename(tmp, final)
        loaded = self.load(key)
        assert loaded is not None
        return loaded
