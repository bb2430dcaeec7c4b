"""Streaming (`streaming: true`): raw rows read lazily as `datasets.IterableDataset`s — one generator per
dataset over its files, so memory stays flat whatever their size — mixed like loaded data (concat /
interleave with probabilities), shuffled with a buffer, and `val_size` rows taken off the front for
evaluation, as LLaMA-Factory does.

Before training starts, `validate_streams` reads every row once and converts it (no tokenising): a bad row
stops the run with its file:row before any model loads, not an hour into training.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import StageNeeds
from tuneforge.core.errors import UserError
from tuneforge.data.arrow import raw_features
from tuneforge.data.convert import convert_batch
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.load import RawData, raise_bad_rows, resolve_specs
from tuneforge.data.mix import mix
from tuneforge.data.readers import spec_rows


def _rows(spec: DatasetSpec, source: int, limit: int | None):
    for n, (file, row, text) in enumerate(spec_rows(spec)):
        if limit is not None and n >= limit:
            return
        yield {"_source": source, "_file": file, "_row": row, "_raw": text}


def stream_spec(spec: DatasetSpec, source: int, limit: int | None):
    """A dataset's raw rows as an IterableDataset (read when iterated, never stored)."""
    from datasets import IterableDataset

    return IterableDataset.from_generator(_rows, features=raw_features(),
                                          gen_kwargs={"spec": spec, "source": source, "limit": limit})


@dataclass(frozen=True)
class RawStreams:
    train: RawData  # rows: an IterableDataset
    eval: RawData | None


def load_streams(cfg: DataConfig, *, stage: StageNeeds, seed: int, buffer_size: int) -> RawStreams:
    """The train stream (mixed, shuffled with `buffer_size`), and the eval rows (the first val_size rows of
    the mix, or eval_dataset)."""
    specs, eval_specs = resolve_specs(cfg, stage)
    parts = [stream_spec(spec, i, cfg.max_samples) for i, spec in enumerate(specs)]
    train = mix(parts, cfg.mix_strategy, cfg.interleave_weights(), seed)
    held_out = None
    if cfg.val_size:
        held_out, train = train.take(int(cfg.val_size)), train.skip(int(cfg.val_size))
    train = train.shuffle(seed=seed, buffer_size=buffer_size)
    evaluation = None
    if eval_specs:
        evaluation = RawData(mix([stream_spec(s, i, cfg.max_samples) for i, s in enumerate(eval_specs)], "concat",
                                 None, seed), tuple(eval_specs), stage.kind)
    elif held_out is not None:
        evaluation = RawData(held_out, tuple(specs), stage.kind)
    return RawStreams(RawData(train, tuple(specs), stage.kind), evaluation)


def validate_streams(cfg: DataConfig, *, stage: StageNeeds, batch_rows: int = 2000) -> int:
    """Convert every row of every dataset once (file order, max_samples each); raise a missing column or the
    first bad rows as one UserError. Returns the number of rows read."""
    specs, eval_specs = resolve_specs(cfg, stage)
    total = 0
    for group in (specs, eval_specs):
        for spec in group:
            total += _validate(spec, cfg.max_samples, stage, batch_rows)
    return total


def _validate(spec: DatasetSpec, limit: int | None, stage: StageNeeds, batch_rows: int) -> int:
    errors: list[UserError] = []
    bad = rows = 0
    seen: dict[int, int] = {}
    specs = (spec,)
    batch: dict[str, list[Any]] = {"_source": [], "_file": [], "_row": [], "_raw": []}

    def flush() -> None:
        nonlocal bad
        converted = convert_batch(batch, specs, stage.kind)
        for key, bits in converted.seen.items():
            seen[key] = seen.get(key, 0) | bits
        for item in converted.examples:
            if isinstance(item, UserError):
                bad += 1
                if len(errors) < 4:
                    errors.append(item)
        for column in batch.values():
            column.clear()

    for row in _rows(spec, 0, limit):
        rows += 1
        for key, value in row.items():
            batch[key].append(value)
        if len(batch["_raw"]) == batch_rows:
            flush()
    if batch["_raw"]:
        flush()
    raise_bad_rows(RawData(stream_spec(spec, 0, limit), specs, stage.kind), seen, errors, bad)
    return rows
