"""Streaming (`streaming: true`): raw rows read lazily as `datasets.IterableDataset`s — one generator per
dataset over its files, so memory stays flat whatever their size — mixed like loaded data (concat /
interleave with probabilities), shuffled with a buffer, and `val_size` rows taken off the front for
evaluation, as LLaMA-Factory does.

Before training starts, `validate_streams` reads every row once and converts it (no tokenising): a bad row
stops the run with its file:row before any model loads, not an hour into training.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import StageNeeds
from tuneforge.core.errors import UserError
from tuneforge.data.arrow import raw_features
from tuneforge.data.convert import BadRows, convert_batch
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.load import RawData, Specs, raise_bad_rows
from tuneforge.data.mix import mix
from tuneforge.data.readers import row_batches, spec_files


def _rows(spec: DatasetSpec, source: int, limit: int | None):
    for batch in row_batches(spec, source, 1000, limit):
        for values in zip(*batch.values()):
            yield dict(zip(batch, values))


def stream_spec(spec: DatasetSpec, source: int, limit: int | None):
    """A dataset's raw rows as an IterableDataset (read when iterated, never stored)."""
    from datasets import IterableDataset

    return IterableDataset.from_generator(_rows, features=raw_features(),
                                          gen_kwargs={"spec": spec, "source": source, "limit": limit})


@dataclass(frozen=True)
class RawStreams:
    train: RawData  # rows: an IterableDataset
    eval: RawData | None


def check_streamable(specs: Specs) -> None:
    """Refuse what a stream cannot do (`specs`: from `data.load.resolve_specs`)."""
    for spec in specs[0] + specs[1]:
        if spec.num_samples is not None:  # a seeded random subset needs the whole dataset's size first
            raise UserError("cannot be used with streaming (a random subset needs the size of the whole dataset); "
                            "use max_samples for the first N rows", file=spec.info_file,
                            field=f"{spec.name}.num_samples")


def load_streams(cfg: DataConfig, specs: Specs, *, stage: StageNeeds, seed: int, buffer_size: int) -> RawStreams:
    """The train stream (mixed, shuffled with `buffer_size`), and the eval rows (the first val_size rows of
    the mix, or eval_dataset). `specs`: checked by `check_streamable`."""
    specs, eval_specs = specs
    parts = [stream_spec(spec, i, cfg.max_samples) for i, spec in enumerate(specs)]
    train = mix(parts, cfg.mix_strategy, cfg.interleave_weights(), seed)
    held_out = None
    tables = tuple(stream_spec(spec, i, None) for i, spec in enumerate(specs))
    if cfg.val_size:
        held_out, train = train.take(int(cfg.val_size)), train.skip(int(cfg.val_size))
    train = train.shuffle(seed=seed, buffer_size=buffer_size)
    evaluation = None
    if eval_specs:
        evaluation = RawData(mix([stream_spec(s, i, cfg.max_samples) for i, s in enumerate(eval_specs)], "concat",
                                 None, seed), tuple(eval_specs), stage.kind,
                             tuple(stream_spec(s, i, None) for i, s in enumerate(eval_specs)))
    elif held_out is not None:
        evaluation = RawData(held_out, tuple(specs), stage.kind, tables)
    return RawStreams(RawData(train, tuple(specs), stage.kind, tables), evaluation)


def validate_streams(cfg: DataConfig, specs: Specs, *, stage: StageNeeds, workers: int = 1,
                     chunk_rows: int = 5000) -> int:
    """Convert every row of every dataset (`specs`, checked by `check_streamable`) once (file order, max_samples each),
    in `workers` processes; raise a missing column or the first bad rows as one UserError. Returns the number
    of rows read."""
    specs, eval_specs = specs
    total = 0
    for spec in specs + eval_specs:
        total += _validate(spec, cfg.max_samples, stage, workers, chunk_rows)
    return total


def _check_chunk(args: tuple) -> BadRows:
    """What one chunk of a dataset's rows holds that is bad (run in the worker processes)."""
    batch, spec, kind = args
    found = BadRows()
    found.add(convert_batch(batch, (spec,), kind, build=False))
    return found


def _jsonl_ranges(path: str, block: int = 4 << 20):
    """(path, offset, size, first line number) of ~4 MB pieces of a JSONL file, cut at line ends: the workers
    read and parse the pieces themselves, so the main process only counts newlines."""
    with open(path, "rb") as handle:
        offset, line = 0, 1
        while True:
            data = handle.read(block)
            if not data:
                return
            if not data.endswith(b"\n"):
                data += handle.readline()
            yield path, offset, len(data), line
            offset += len(data)
            line += data.count(b"\n")


def _range_batch(path: str, offset: int, size: int, line: int) -> dict[str, list]:
    with open(path, "rb") as handle:
        handle.seek(offset)
        data = handle.read(size)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"not UTF-8 text ({exc.reason})", file=path, row=line + data[:exc.start].count(b"\n")) from None
    batch: dict[str, list] = {"_source": [], "_file": [], "_row": [], "_raw": []}
    for n, row in enumerate(text.split("\n"), start=line):
        if row.strip():
            batch["_file"].append(path)
            batch["_row"].append(n)
            batch["_raw"].append(row.rstrip("\r"))
    batch["_source"] = [0] * len(batch["_raw"])
    return batch


def _check_range(args: tuple) -> BadRows:
    path, offset, size, line, spec, kind = args
    return _check_chunk((_range_batch(path, offset, size, line), spec, kind))


def _validate(spec: DatasetSpec, limit: int | None, stage: StageNeeds, workers: int, chunk_rows: int) -> int:
    found = BadRows()
    files = spec_files(spec)
    if files and limit is None and all(f.lower().endswith(".jsonl") for f in files):
        check, chunks = _check_range, ((*piece, spec, stage.kind) for f in files for piece in _jsonl_ranges(f))
    else:
        check, chunks = _check_chunk, ((chunk, spec, stage.kind) for chunk in row_batches(spec, 0, chunk_rows, limit))
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: the workers inherit the loaded converters instead of importing them again
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for result in pool.map(check, chunks):  # in file order, so the first errors are the first rows
                found.merge(result)
    else:
        for chunk in chunks:
            found.merge(check(chunk))
    everything = stream_spec(spec, 0, None)
    raise_bad_rows(RawData(stream_spec(spec, 0, limit), (spec,), stage.kind, (everything,)), found)
    return found.rows
