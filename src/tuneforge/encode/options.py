"""What the encoders need to know from the config, as one small frozen value (also part of the cache key)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.data import DataConfig

IGNORE_INDEX = -100


@dataclass(frozen=True)
class EncodeOptions:
    stage: str
    cutoff_len: int
    train_on_prompt: bool = False
    mask_history: bool = False
    default_system: str | None = None
    packing: bool = False
    neat_packing: bool = False

    @classmethod
    def from_config(cls, data: DataConfig, stage: str) -> EncodeOptions:
        return cls(stage=stage, cutoff_len=data.cutoff_len, train_on_prompt=data.train_on_prompt,
                   mask_history=data.mask_history, default_system=data.default_system,
                   packing=data.use_packing(stage), neat_packing=data.neat_packing)
