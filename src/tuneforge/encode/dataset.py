"""Encoding a whole split: a batched `Dataset.map` over the memory-mapped raw rows (in
`preprocessing_num_workers` processes), then the refusals that protect a run (a bad row or a missing column,
nothing to train, an end-of-turn token never learned), packing or grouping, and the statistics.

Every step reads and writes Arrow files in `folder`; only per-row numbers (status, lengths) are held in
memory, as numpy arrays.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tuneforge.config.stages import ExampleKind
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.data.convert import BadRows
from tuneforge.data.load import RawData, raise_bad_rows
from tuneforge.encode.batch import BAD_ROW, KEPT, encode_batch, encoded_features, error_from_json
from tuneforge.encode.media import MEDIA_FEATURES, MediaEncoder
from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
from tuneforge.encode.packing import pack_table
from tuneforge.encode.pretrain import group_table
from tuneforge.templates.render import closing_token_ids
from tuneforge.templates.spec import TemplateSpec

log = get_logger()

# Below this many rows, starting worker processes costs more than it saves; the bar stays quiet too.
PARALLEL_MIN_EXAMPLES = 1000


@dataclass(frozen=True)
class EncodeStats:
    examples: int
    dropped_no_labels: int
    truncated: int
    sequences: int
    max_tokens: int
    mean_tokens: float
    label_tokens: int

    def summary(self) -> str:
        return (f"{self.examples} examples → {self.sequences} sequences (mean {self.mean_tokens:.0f}, max "
                f"{self.max_tokens} tokens); {self.label_tokens} trained tokens; {self.truncated} truncated to "
                f"cutoff_len; {self.dropped_no_labels} dropped with nothing to train")


def _stop_token_ids(tokenizer, template: TemplateSpec | None) -> set[int]:
    if template is None:  # the tokenizer's own template: any of its special tokens may close a turn
        return closing_token_ids(tokenizer)
    return set(template.stop_token_ids(tokenizer))


@contextmanager
def _one_thread_per_worker(parallel: bool):
    """Worker processes tokenise on one thread each: the tokenizer's own thread pool in every process would
    oversubscribe the cores (measured ~8% slower on 2 cores). A value the user set is kept."""
    if not parallel or "TOKENIZERS_PARALLELISM" in os.environ:
        yield
        return
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # read by the forked workers' tokenizers
    try:
        yield
    finally:
        del os.environ["TOKENIZERS_PARALLELISM"]


def _map(data: RawData, tokenizer, template, options: EncodeOptions, workers: int, batch_size: int,
         folder: Path, media: MediaEncoder | None):
    import datasets

    # Rows with media run torch ops (the image processor) per row; in a worker forked from a process whose
    # torch thread pool already ran, those can deadlock (seen: a CI run hung in the forked encoders). The
    # processor's own ops use this process's threads, so media encodes here.
    parallel = workers > 1 and len(data) >= PARALLEL_MIN_EXAMPLES and media is None
    if workers > 1 and media is not None:
        log.info("data: encoding in this process (a vision-language model's processor is not fork-safe), "
                 "not in %d worker processes", workers)
    quiet = len(data) < PARALLEL_MIN_EXAMPLES
    if quiet:
        datasets.disable_progress_bars()
    try:
        with _one_thread_per_worker(parallel):
            return data.rows.map(
                encode_batch, batched=True, batch_size=batch_size, num_proc=workers if parallel else None,
                fn_kwargs={"specs": data.specs, "tokenizer": tokenizer, "template": template, "options": options,
                           "stops": frozenset(_stop_token_ids(tokenizer, template)), "media": media},
                remove_columns=data.rows.column_names, features=encoded_features(media is not None),
                cache_file_name=str(folder / f"encoded-{uuid.uuid4().hex[:8]}.arrow"), load_from_cache_file=False,
                new_fingerprint=uuid.uuid4().hex, desc="encoding")  # a fresh file: this run's own encoding
    finally:
        if quiet:
            datasets.enable_progress_bars()


def _check_rows(data: RawData, mapped, status) -> None:
    """A column no row has, else the first bad rows (file:row), as one UserError: from the map's small
    columns (status, error, column bits)."""
    import numpy as np

    sources = np.asarray(mapped.data.column("_source"))
    seen_bits = np.asarray(mapped.data.column("_seen"))
    bad = np.flatnonzero(status == BAD_ROW)
    errors = [error_from_json(mapped.data.column("_error")[int(i)].as_py()) for i in bad[:BadRows.KEEP]]
    seen = {int(s): int(np.bitwise_or.reduce(seen_bits[sources == s])) for s in np.unique(sources[status != BAD_ROW])}
    raise_bad_rows(data, BadRows(len(status), len(bad), errors, seen))


def _check_trainable(mapped, kept, tokenizer, template, options: EncodeOptions) -> None:
    import pyarrow.compute as pc

    if not len(kept):
        raise UserError("no example has a token to train on (all were empty or cut away); check cutoff_len "
                        "and the data", field="dataset")
    if options.kind is ExampleKind.CONVERSATION and not options.train_on_prompt:
        stops = _stop_token_ids(tokenizer, template)
        if stops and not pc.any(mapped.data.column("_closes")).as_py():
            names = ", ".join(tokenizer.convert_ids_to_tokens(sorted(stops)))
            raise UserError(f"the end-of-turn token ({names}) is never trained, so the model would not learn "
                            f"to stop; check the template and cutoff_len", field="template")


def _lengths(table):
    import numpy as np
    import pyarrow.compute as pc

    return np.asarray(pc.list_value_length(table.data.column("input_ids")).fill_null(0), dtype=np.int64)


def _label_tokens(table) -> int:
    import pyarrow.compute as pc

    return int(pc.sum(pc.not_equal(pc.list_flatten(table.data.column("labels")), IGNORE_INDEX)).as_py() or 0)


def encode_dataset(data: RawData, tokenizer, template: TemplateSpec | None, options: EncodeOptions, *,
                   folder: Path, workers: int = 1, batch_size: int = 1000, media: MediaEncoder | None = None):
    """(features, stats): training features for the raw rows (packed/grouped as the options say), a
    memory-mapped Dataset whose files are in `folder` (no index over them: the files are the features, so a
    cache can keep them as they are), and what happened to the rows. Raises the data's user errors. With
    `media` (a vision-language model's processor) the features also hold each row's media paths."""
    import numpy as np
    import pyarrow.compute as pc

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if media is not None and options.packing:
        raise UserError("packing rows with images or videos is not supported yet; set packing: false",
                        field="packing")
    mapped = _map(data, tokenizer, template, options, workers, batch_size, folder, media)
    status = np.asarray(mapped.data.column("_status"))
    _check_rows(data, mapped, status)
    kept_rows = np.flatnonzero(status == KEPT)
    _check_trainable(mapped, kept_rows, tokenizer, template, options)
    truncated = int(pc.sum(mapped.data.column("_truncated")).as_py() or 0)
    if options.packing:
        if options.kind is ExampleKind.TEXT:
            kept = mapped if len(kept_rows) == len(mapped) else mapped.select(kept_rows)
            features = group_table(kept, options.cutoff_len, folder / "grouped.arrow")
        else:
            features = pack_table(mapped, kept_rows.tolist(), _lengths(mapped)[kept_rows].tolist(),
                                  options.cutoff_len, options.neat_packing, folder / "packed.arrow")
        lengths, label_tokens = _lengths(features), _label_tokens(features)  # (reads the packed labels once)
    else:
        features = mapped.select_columns(["input_ids", "labels", *(MEDIA_FEATURES if media is not None else ())])
        if len(kept_rows) < len(mapped):  # rows with nothing to train: write the kept ones out (a copy, rarely)
            features = features.select(kept_rows).flatten_indices(cache_file_name=str(folder / "kept.arrow"))
        lengths = _lengths(mapped)[kept_rows]
        label_tokens = int(pc.sum(mapped.data.column("_trained")).as_py() or 0)  # rows not kept count 0
    stats = EncodeStats(examples=len(data), dropped_no_labels=int((status != KEPT).sum()), truncated=truncated,
                        sequences=len(features), max_tokens=int(lengths.max()), mean_tokens=float(lengths.mean()),
                        label_tokens=label_tokens)
    return features, stats
