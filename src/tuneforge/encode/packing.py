"""Packing encoded SFT examples into sequences of at most cutoff_len tokens.

Bins are filled first-fit by decreasing length (deterministic). With `neat` packing each segment gets its own
position_ids starting at 0; transformers then builds a block-diagonal attention mask, so packed examples never
see each other and their losses equal unpacked training. Without `neat`, segments simply follow each other.
"""
from __future__ import annotations

from tuneforge.encode.options import IGNORE_INDEX


def _bins(lengths: list[int], capacity: int) -> list[list[int]]:
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    space: list[int] = []
    for i in order:
        for b, free in enumerate(space):
            if lengths[i] <= free:
                bins[b].append(i)
                space[b] -= lengths[i]
                break
        else:
            bins.append([i])
            space.append(capacity - lengths[i])
    return bins


def pack(features: list[dict], cutoff_len: int, neat: bool) -> list[dict]:
    packed = []
    for members in _bins([len(f["input_ids"]) for f in features], cutoff_len):
        input_ids: list[int] = []
        labels: list[int] = []
        position_ids: list[int] = []
        for i in members:
            seg_ids, seg_labels = features[i]["input_ids"], list(features[i]["labels"])
            # The previous segment's last token must not learn to predict this segment's first token.
            seg_labels[0] = IGNORE_INDEX
            input_ids += seg_ids
            labels += seg_labels
            position_ids += list(range(len(seg_ids)))
        row = {"input_ids": input_ids, "labels": labels}
        if neat:
            row["position_ids"] = position_ids
        packed.append(row)
    return packed
