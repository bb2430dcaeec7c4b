"""Arrow tables on disk: the schema of raw rows and one writer, so every table the data engine builds is a
memory-mapped `datasets.Dataset` (no dataset is held whole in memory as Python objects)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def raw_features():
    """`_source` (index of the dataset in the mix), `_file`, `_row` (1-based) and `_raw` (the row as JSON)."""
    from datasets import Features, Value

    return Features({"_source": Value("int32"), "_file": Value("string"), "_row": Value("int64"),
                     "_raw": Value("string")})


def write_table(path: Path, features, batches: Iterable[dict[str, list]]):
    """Write column batches to an Arrow file at `path` and memory-map it back as a Dataset."""
    from datasets import Dataset
    from datasets.arrow_writer import ArrowWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with ArrowWriter(features=features, path=str(path)) as writer:
        for batch in batches:
            writer.write_batch(batch)
        writer.finalize()
    return Dataset.from_file(str(path))
