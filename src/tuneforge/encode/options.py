"""What the encoders need to know from the config, as one small frozen value (also part of the cache key)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import ExampleKind, StageNeeds
from tuneforge.encode.media import MediaOptions

IGNORE_INDEX = -100


@dataclass(frozen=True)
class EncodeOptions:
    kind: ExampleKind
    cutoff_len: int
    train_on_prompt: bool = False
    mask_history: bool = False
    default_system: str | None = None
    packing: bool = False
    neat_packing: bool = False
    media: MediaOptions = MediaOptions()

    @classmethod
    def from_config(cls, data: DataConfig, stage: StageNeeds) -> EncodeOptions:
        return cls(kind=stage.kind, cutoff_len=data.cutoff_len, train_on_prompt=data.train_on_prompt,
                   mask_history=data.mask_history, default_system=data.default_system,
                   packing=data.use_packing(stage), neat_packing=data.neat_packing,
                   media=MediaOptions.from_data(data))
