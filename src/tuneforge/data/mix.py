"""Mixing several datasets into one list, and splitting off an evaluation set.

Interleaving and splitting run `datasets.interleave_datasets` / `train_test_split` on small index tables, so
the sampling semantics (and, for the same seed, the exact order) are the library's, as in LLaMA-Factory.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry
from tuneforge.data.example import Example


def _concat(parts: list[list[Example]], probs: list[float] | None, seed: int) -> list[Example]:
    return [example for part in parts for example in part]


def _interleave(stopping_strategy: str, parts: list[list[Example]], probs: list[float] | None,
                seed: int) -> list[Example]:
    import datasets

    tables = [datasets.Dataset.from_dict({"d": [d] * len(part), "i": list(range(len(part)))})
              for d, part in enumerate(parts)]
    mixed = datasets.interleave_datasets(tables, probabilities=probs, seed=seed,
                                         stopping_strategy=stopping_strategy)
    return [parts[d][i] for d, i in zip(mixed["d"], mixed["i"])]


MIXERS: Registry[Callable[[list[list[Example]], list[float] | None, int], list[Example]]] = Registry(
    "mix_strategy", {
        "concat": _concat,
        "interleave_under": partial(_interleave, "first_exhausted"),  # stop when the smallest runs out
        "interleave_over": partial(_interleave, "all_exhausted"),     # repeat the small ones until all ran out
    })


def mix(parts: list[list[Example]], strategy: str, probs: list[float] | None, seed: int) -> list[Example]:
    """One list from several datasets' examples. A single dataset is returned as it is (LLaMA-Factory too)."""
    mixer = MIXERS.get_or_raise(strategy, field="mix_strategy")
    return list(parts[0]) if len(parts) == 1 else mixer(parts, probs, seed)


def split(examples: list[Example], val_size: float, seed: int) -> tuple[list[Example], list[Example] | None]:
    """(train, eval): val_size < 1 is a fraction, >= 1 a count. Both parts come out shuffled with `seed`."""
    if val_size <= 0:
        return list(examples), None
    import datasets

    test_size: float | int = int(val_size) if val_size >= 1 else val_size
    if isinstance(test_size, int) and test_size >= len(examples):
        raise UserError(f"{test_size} evaluation examples asked for, but there are only {len(examples)} "
                        "training examples", field="val_size")
    table = datasets.Dataset.from_dict({"i": list(range(len(examples)))})
    try:
        parts = table.train_test_split(test_size=test_size, seed=seed)
    except ValueError as exc:  # e.g. a fraction that leaves no training example
        raise UserError(str(exc), field="val_size") from None
    return [examples[i] for i in parts["train"]["i"]], [examples[i] for i in parts["test"]["i"]]
