"""Batching features for the trainer: right-padding, or — for neat-packed rows — one flattened row with
per-segment position_ids and no attention mask (which is what makes transformers isolate the segments)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.encode.options import IGNORE_INDEX


@dataclass(frozen=True)
class Collator:
    pad_token_id: int
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict]) -> dict:
        import torch

        if "position_ids" in features[0]:
            return {key: torch.tensor([[v for f in features for v in f[key]]])
                    for key in ("input_ids", "labels", "position_ids")}
        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            longest = -(-longest // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = {"input_ids": [], "labels": [], "attention_mask": []}
        for f in features:
            pad = longest - len(f["input_ids"])
            batch["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            batch["labels"].append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            batch["attention_mask"].append([1] * len(f["input_ids"]) + [0] * pad)
        return {key: torch.tensor(value) for key, value in batch.items()}
