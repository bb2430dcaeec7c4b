"""Pre-training encoding: text + EOS (tokenised in batches by `encode.batch`); with packing, all texts are
concatenated and cut into cutoff_len blocks (the usual causal-LM recipe), otherwise each text is cut to
cutoff_len on its own. Grouping streams through the rows once, so a corpus is never concatenated in memory."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path


def iter_blocks(token_rows: Iterable[list[int]], cutoff_len: int) -> Iterator[list[int]]:
    """Full blocks of cutoff_len from the concatenated rows; a short tail block only when it is the only
    block, so tiny datasets still train."""
    carry: list[int] = []
    emitted = False
    for ids in token_rows:
        carry.extend(ids)
        while len(carry) >= cutoff_len:
            yield carry[:cutoff_len]
            carry = carry[cutoff_len:]
            emitted = True
    if carry and not emitted:
        yield carry


def group_table(table, cutoff_len: int, path: Path, chunk_rows: int = 1000):
    """`iter_blocks` over a memory-mapped table's input_ids, written to `path` chunk by chunk."""
    from tuneforge.data.arrow import write_table
    from tuneforge.encode.packing import packed_features

    def token_rows() -> Iterator[list[int]]:
        for batch in table.select_columns(["input_ids"]).iter(batch_size=chunk_rows):
            yield from batch["input_ids"]

    def chunks() -> Iterator[dict[str, list]]:
        out: dict[str, list] = {"input_ids": [], "labels": []}
        for block in iter_blocks(token_rows(), cutoff_len):
            out["input_ids"].append(block)
            out["labels"].append(block)
            if len(out["input_ids"]) == chunk_rows:
                yield out
                out = {"input_ids": [], "labels": []}
        if out["input_ids"]:
            yield out

    return write_table(path, packed_features(False), chunks())
