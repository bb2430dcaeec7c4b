"""The data layer's entry points: `load_raw(cfg, stage=StageNeeds, seed=, folder=)` → train (and eval) raw
rows, as memory-mapped Arrow tables in `folder`; `load_data(cfg, stage=, seed=)` → the same as lists of
validated examples.

Resolves dataset names (dataset_info.json or paths), checks every dataset against the stage before reading any,
reads each into Arrow, samples it, mixes them (concat / interleave), then either loads `eval_dataset` or splits
`val_size` off the training set. Rows are converted to examples later, batch by batch: by the encoder's map
for pt/sft, or here (`examples`) for the stages that hand examples to TRL. The system prompt default
(`default_system`) is not applied here: templates do that.
"""
from __future__ import annotations

import dataclasses

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import ExampleKind, StageNeeds
from tuneforge.core.errors import UserError
from tuneforge.data.convert import BadRows, check_columns, check_stage, convert_batch, first_errors, sample_rows
from tuneforge.data.dataset_info import DatasetSpec, load_dataset_specs
from tuneforge.data.example import Example
from tuneforge.data.mix import mix, split
from tuneforge.data.readers import read_spec


@dataclass(frozen=True)
class RawData:
    """Raw rows of one split (`rows`: a Dataset with `_source`, `_file`, `_row`, `_raw`), the datasets they
    come from (`specs[_source]`), the kind of example they become, and each dataset's rows before sampling
    (`tables[_source]`, read again only to word a missing-column error)."""
    rows: Any
    specs: tuple[DatasetSpec, ...]
    kind: ExampleKind
    tables: tuple[Any, ...]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class RawSplits:
    train: RawData
    eval: RawData | None


@dataclass(frozen=True)
class DataSplits:
    train: list[Example]
    eval: list[Example] | None


def per_dataset(data: RawData) -> dict[str, RawData]:
    """The rows of each dataset of a split, by dataset name (eval_on_each_dataset: pt/sft encode each eval
    dataset apart), in their order."""
    import numpy as np

    sources = np.asarray(data.rows.with_format("numpy")["_source"])
    return {spec.name: dataclasses.replace(data, rows=data.rows.select(np.flatnonzero(sources == i)))
            for i, spec in enumerate(data.specs)}


Specs = tuple[list[DatasetSpec], list[DatasetSpec]]  # (train, eval)


def resolve_specs(cfg: DataConfig, stage: StageNeeds) -> Specs:
    """(train specs, eval specs), each checked against the stage, before any data file is read."""
    names = cfg.dataset_names()
    if not names:
        raise UserError("no training dataset given", field="dataset")
    train = load_dataset_specs(names, cfg.dataset_dir)
    evaluation = load_dataset_specs(cfg.eval_dataset_names(), cfg.dataset_dir) if cfg.eval_dataset_names() else []
    media = cfg.media_folder()
    train, evaluation = ([dataclasses.replace(s, media_dir=media) for s in specs] for specs in (train, evaluation))
    for spec in train + evaluation:
        check_stage(spec, stage)
    return train, evaluation


def _read(specs: list[DatasetSpec], folder: Path) -> list:
    return [read_spec(spec, i, folder) for i, spec in enumerate(specs)]


def _sampled(tables: list, specs: list[DatasetSpec], cfg: DataConfig, seed: int) -> list:
    return [sample_rows(table, spec, cfg.max_samples, seed) for table, spec in zip(tables, specs)]


def load_raw(cfg: DataConfig, *, stage: StageNeeds, seed: int, folder: Path, specs: Specs | None = None) -> RawSplits:
    """Deterministic: the same config and seed give the same rows in the same order. `specs`: the
    `resolve_specs` result when the caller has it already."""
    train_specs, eval_specs = specs or resolve_specs(cfg, stage)
    tables = tuple(_read(train_specs, Path(folder) / "train"))
    train = mix(_sampled(list(tables), train_specs, cfg, seed), cfg.mix_strategy, cfg.interleave_weights(), seed)
    if not eval_specs:
        train, held_out = split(train, cfg.val_size, seed)
        return RawSplits(RawData(train, tuple(train_specs), stage.kind, tables),
                         RawData(held_out, tuple(train_specs), stage.kind, tables) if held_out is not None else None)
    eval_tables = tuple(_read(eval_specs, Path(folder) / "eval"))
    evaluation = mix(_sampled(list(eval_tables), eval_specs, cfg, seed), "concat", None, seed)
    return RawSplits(RawData(train, tuple(train_specs), stage.kind, tables),
                     RawData(evaluation, tuple(eval_specs), stage.kind, eval_tables))


def load_data(cfg: DataConfig, *, stage: StageNeeds, seed: int, limit: int | None = None) -> DataSplits:
    """Train (and eval) examples: `load_raw`, every row validated and converted (only the first `limit` rows
    of each split, for previews). For the stages that train on example lists (TRL's), previews and tools;
    pt/sft encode the raw rows instead (`encode.dataset`)."""
    import tempfile

    def convert(data: RawData | None) -> list[Example] | None:
        if data is None:
            return None
        if limit is not None:
            data = dataclasses.replace(data, rows=data.rows.select(range(min(limit, len(data)))))
        return examples(data)

    with tempfile.TemporaryDirectory(prefix="tuneforge-rows-") as folder:
        raw = load_raw(cfg, stage=stage, seed=seed, folder=Path(folder))
        return DataSplits(convert(raw.train), convert(raw.eval))


def examples(data: RawData) -> list[Example]:
    """Every row as a validated example, in order (for the stages that hand examples to TRL, and previews);
    a missing column, then the first bad rows, are raised as one UserError."""
    out: list[Example] = []
    found = BadRows()
    for batch in data.rows.iter(batch_size=1000):
        converted = convert_batch(batch, data.specs, data.kind)
        found.add(converted)
        out += [item for item in converted.examples if not isinstance(item, UserError)]
    raise_bad_rows(data, found)
    return out


def raise_bad_rows(data: RawData, found: BadRows) -> None:
    """After a pass over the rows: a column no row has, else the first bad rows, as one UserError."""
    for source, spec in enumerate(data.specs):
        if source in found.seen:  # a dataset none of whose rows parsed has only its bad rows to report
            check_columns(spec, data.kind, found.seen[source], data.tables[source])
    if found.errors:
        raise first_errors(found.errors, found.bad)
