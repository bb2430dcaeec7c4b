"""What the raw rows of a run depend on, as one digest (part of the encoded-data cache key): the datasets'
entries, the content of every local data file, and the keys that sample, mix and split them. Computed from
the files without reading them into tables, so a run whose encoding is cached reads no data at all."""
from __future__ import annotations

import dataclasses
import hashlib
import json

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import StageNeeds
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.readers import spec_files


def _plain(value):
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _spec_part(spec: DatasetSpec) -> dict:
    entry = {k: v for k, v in dataclasses.asdict(spec).items() if k != "info_file"}
    files = spec_files(spec)
    # Hub datasets are identified by their entry (repo, subset, split): re-encode them with overwrite_cache.
    return {"entry": entry, "files": [(f, _file_digest(f)) for f in files] if files is not None else None}


def data_identity(cfg: DataConfig, specs: list[DatasetSpec], eval_specs: list[DatasetSpec], stage: StageNeeds,
                  seed: int) -> str:
    parts = {"train": [_spec_part(s) for s in specs], "eval": [_spec_part(s) for s in eval_specs],
             "stage_kind": stage.kind.value, "seed": seed, "max_samples": cfg.max_samples,
             "mix_strategy": cfg.mix_strategy, "interleave_probs": cfg.interleave_weights(),
             "val_size": cfg.val_size, "eval_on_each_dataset": cfg.eval_on_each_dataset}
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=_plain).encode()).hexdigest()
