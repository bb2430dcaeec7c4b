"""LLaMA-Factory's `tokenized_path` on its first run: encode the data into that folder and stop; the same
config run again trains from it. Its own path, so that every stage's recipe always ends in a run folder."""
from __future__ import annotations

from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.core.log import get_logger
from tuneforge.training.prepare import prepare_data
from tuneforge.training.setup import main_process_first, use_gpu, world_size

log = get_logger()


def encodes_only(cfg: RunConfig) -> bool:
    return bool(cfg.data.tokenized_path) and not Path(cfg.data.tokenized_path).exists()


def encode_only(cfg: RunConfig) -> Path:
    """Encode (on the main process; the other ranks wait) and save to tokenized_path. One process never
    imports torch: nothing trains here (the training run makes the machine's checks, `use_gpu`, before it
    loads anything)."""
    if world_size() <= 1:
        prepare_data(cfg)  # writes tokenized_path, every data error first
    else:
        with main_process_first(cfg, use_gpu(cfg)) as is_main:
            if is_main:
                prepare_data(cfg)
    path = Path(cfg.data.tokenized_path)
    log.info("encoded dataset saved to %s; train with `tokenized_path: %s`", path, path)
    return path
