"""Packing encoded SFT examples into sequences of at most cutoff_len tokens.

Bins are filled first-fit by decreasing length (deterministic). With `neat` packing each segment gets its own
position_ids starting at 0; transformers then builds a block-diagonal attention mask, so packed examples never
see each other and their losses equal unpacked training. Without `neat`, segments simply follow each other.

At scale only the lengths are in memory: the bins come from the lengths column (first-fit through a max-tree
over the bins' free space, O(n log n) with the same result as the plain scan), and the packed rows are
gathered from the memory-mapped table and written chunk by chunk (`pack_table`).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from tuneforge.encode.options import IGNORE_INDEX


def first_fit_bins(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Indices of `lengths` grouped into bins of at most `capacity`: longest first (ties by index), each into
    the first bin with room, bins in the order they were opened."""
    import numpy as np

    n = len(lengths)
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable").tolist()
    size = 1
    while size < max(n, 1):
        size *= 2
    free = [capacity] * (2 * size)  # free[node] = the most room left in any bin under node; leaves = bins
    bins: list[list[int]] = []
    for i in order:
        need = lengths[i]
        node = 1
        while node < size:  # descend to the leftmost bin with room
            node = 2 * node if free[2 * node] >= need else 2 * node + 1
        b = node - size
        if b == len(bins):
            bins.append([])
        bins[b].append(i)
        free[node] -= need
        node //= 2
        while node:
            free[node] = max(free[2 * node], free[2 * node + 1])
            node //= 2
    return bins


def packed_row(segments: list[tuple[list[int], list[int]]], neat: bool) -> dict:
    """One packed row from (input_ids, labels) segments."""
    input_ids: list[int] = []
    labels: list[int] = []
    position_ids: list[int] = []
    for seg_ids, seg_labels in segments:
        seg_labels = list(seg_labels)
        # The previous segment's last token must not learn to predict this segment's first token.
        seg_labels[0] = IGNORE_INDEX
        input_ids += seg_ids
        labels += seg_labels
        position_ids += list(range(len(seg_ids)))
    row = {"input_ids": input_ids, "labels": labels}
    if neat:
        row["position_ids"] = position_ids
    return row


def pack(features: list[dict], cutoff_len: int, neat: bool) -> list[dict]:
    """Packed rows of in-memory features (small data, tests)."""
    return [packed_row([(features[i]["input_ids"], features[i]["labels"]) for i in members], neat)
            for members in first_fit_bins([len(f["input_ids"]) for f in features], cutoff_len)]


def packed_features(neat: bool):
    from datasets import Features, Sequence, Value

    columns = {"input_ids": Sequence(Value("int32")), "labels": Sequence(Value("int32"))}
    if neat:
        columns["position_ids"] = Sequence(Value("int32"))
    return Features(columns)


def pack_table(table, rows: Sequence[int], lengths: Sequence[int], cutoff_len: int, neat: bool, path: Path,
               chunk_bins: int = 1000):
    """Packed rows of the memory-mapped `table` (rows `rows`, whose lengths are `lengths`), written to `path`."""
    from tuneforge.data.arrow import write_table

    bins = first_fit_bins(lengths, cutoff_len)
    columns = table.select_columns(["input_ids", "labels"])

    def chunks() -> Iterator[dict[str, list]]:
        for start in range(0, len(bins), chunk_bins):
            part = bins[start:start + chunk_bins]
            flat = [rows[i] for members in part for i in members]
            gathered = columns[flat]  # one gather from the memory-mapped table per chunk
            out: dict[str, list] = {key: [] for key in packed_features(neat)}
            k = 0
            for members in part:
                segments = [(gathered["input_ids"][k + j], gathered["labels"][k + j]) for j in range(len(members))]
                k += len(members)
                for key, value in packed_row(segments, neat).items():
                    out[key].append(value)
            yield out

    return write_table(path, packed_features(neat), chunks())
