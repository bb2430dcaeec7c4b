"""The data layer's entry point: `load_data(cfg, stage=StageNeeds, seed=)` → train (and eval) examples.

Resolves dataset names (dataset_info.json or paths), loads and validates each dataset for the stage, mixes
them (concat / interleave), then either loads `eval_dataset` or splits `val_size` off the training set.
The system prompt default (`default_system`) is not applied here: templates do that.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import StageNeeds
from tuneforge.core.errors import UserError
from tuneforge.data.convert import load_each
from tuneforge.data.dataset_info import load_dataset_specs
from tuneforge.data.example import Example
from tuneforge.data.mix import mix, split


@dataclass(frozen=True)
class DataSplits:
    train: list[Example]
    eval: list[Example] | None


def load_data(cfg: DataConfig, *, stage: StageNeeds, seed: int) -> DataSplits:
    """Deterministic: the same config and seed give the same examples in the same order."""
    names = cfg.dataset_names()
    if not names:
        raise UserError("no training dataset given", field="dataset")
    parts = load_each(load_dataset_specs(names, cfg.dataset_dir), cfg, stage=stage, seed=seed)
    train = mix(parts, cfg.mix_strategy, cfg.interleave_weights(), seed)
    eval_names = cfg.eval_dataset_names()
    if not eval_names:
        train, held_out = split(train, cfg.val_size, seed)
        return DataSplits(train=train, eval=held_out)
    eval_parts = load_each(load_dataset_specs(eval_names, cfg.dataset_dir), cfg, stage=stage, seed=seed)
    return DataSplits(train=train, eval=mix(eval_parts, "concat", None, seed))
