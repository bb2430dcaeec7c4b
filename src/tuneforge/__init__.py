"""tuneforge: fine-tune open LLMs on your own data, on your own machine.

Python API:
    import tuneforge
    run = tuneforge.train("examples/sft_lora.yaml", ["learning_rate=1e-4"])   # or a dict of keys
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def train(config: str | Path | Mapping[str, Any], overrides: Sequence[str] | Mapping[str, Any] = ()):
    """Run one training job (any stage: pt, sft, rm, dpo, kto, ppo) and return its RunDir (None when the run
    only encoded data into a new `tokenized_path`). Raises UserError for bad input and Interrupted when a
    signal stopped training after saving a checkpoint."""
    from tuneforge.config.load import load_run_config
    from tuneforge.training.stages import run_training

    return run_training(load_run_config(config, overrides, overrides_from="overrides"))
