"""LLaMA-Factory's `effective_tokens_per_sec` train metric: the training set's tokens × epochs trained ÷ the
train runtime, per device — the tokens the model learned from, not counting padding (unlike transformers'
train_samples_per_second, which counts rows)."""
from __future__ import annotations

from typing import Any


def dataset_tokens(dataset: Any) -> int | None:
    """Tokens in a map-style datasets.Dataset of encoded rows, read from the Arrow columns: `input_ids` (pt,
    sft); a pair's prompt + chosen + prompt + rejected (TRL's DPO columns, LF's chosen/rejected count); a KTO
    row's prompt + completion. None for a dataset without such columns (a stream has no size)."""
    import pyarrow.compute as pc

    columns = getattr(dataset, "column_names", None)
    if columns is None:
        return None

    def count(name: str) -> int:
        return int(pc.sum(pc.list_value_length(dataset.data.column(name))).as_py() or 0)

    if "input_ids" in columns:
        return count("input_ids")
    pairs = [c for c in ("chosen_input_ids", "rejected_input_ids", "input_ids_chosen", "input_ids_rejected")
             if c in columns]
    prompt = count("prompt_input_ids") if "prompt_input_ids" in columns else 0
    if pairs:
        return sum(count(c) for c in pairs) + prompt * len(pairs)
    if "completion_input_ids" in columns:
        return prompt + count("completion_input_ids")
    return None


def effective_tokens_per_second(dataset: Any, metrics: dict[str, float], world_size: int) -> float | None:
    tokens = dataset_tokens(dataset)
    runtime = metrics.get("train_runtime")
    if tokens is None or not runtime:
        return None
    return tokens * float(metrics.get("epoch", 1.0)) / runtime / max(world_size, 1)
