"""Mixing several datasets' raw-row tables into one, and splitting off an evaluation set.

Concatenation, interleaving and splitting are the `datasets` library's (`concatenate_datasets`,
`interleave_datasets`, `train_test_split`), so the sampling semantics (and, for the same seed, the exact order)
are LLaMA-Factory's; all three build an index over the memory-mapped rows instead of copying them.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry


def _concat(parts: list, probs: list[float] | None, seed: int):
    import datasets

    return datasets.concatenate_datasets(parts)


def _interleave(stopping_strategy: str, parts: list, probs: list[float] | None, seed: int):
    import datasets

    return datasets.interleave_datasets(parts, probabilities=probs, seed=seed, stopping_strategy=stopping_strategy)


MIXERS: Registry[Callable[[list, list[float] | None, int], object]] = Registry("mix_strategy", {
    "concat": _concat,
    "interleave_under": partial(_interleave, "first_exhausted"),  # stop when the smallest runs out
    "interleave_over": partial(_interleave, "all_exhausted"),     # repeat the small ones until all ran out
})


def mix(parts: list, strategy: str, probs: list[float] | None, seed: int):
    """One table from several datasets' tables. A single dataset is returned as it is (LLaMA-Factory too)."""
    mixer = MIXERS.get_or_raise(strategy, field="mix_strategy")
    return parts[0] if len(parts) == 1 else mixer(parts, probs, seed)


def split(rows, val_size: float, seed: int):
    """(train, eval): val_size < 1 is a fraction, >= 1 a count. Both parts come out shuffled with `seed`."""
    if val_size <= 0:
        return rows, None
    test_size: float | int = int(val_size) if val_size >= 1 else val_size
    if isinstance(test_size, int) and test_size >= len(rows):
        raise UserError(f"{test_size} evaluation examples asked for, but there are only {len(rows)} "
                        "training examples", field="val_size")
    try:
        parts = rows.train_test_split(test_size=test_size, seed=seed)
    except ValueError as exc:  # e.g. a fraction that leaves no training example
        raise UserError(str(exc), field="val_size") from None
    return parts["train"], parts["test"]
