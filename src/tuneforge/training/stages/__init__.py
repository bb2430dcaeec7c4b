"""RECIPES: stage name → recipe. Each recipe is `run(cfg) -> RunDir`, the same skeleton: prepare data → load
model → build trainer → train → finish (common.py). What a stage needs from data and encoding (its kind of
example, packing default, template, tokenized_path) is declared beside its name in `config/stages.py`.
`run_training` is the one entry (CLI and Python API)."""
from __future__ import annotations

import importlib
from collections.abc import Callable

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.registry import Registry
from tuneforge.training.encode_only import encode_only, encodes_only

Recipe = Callable[[RunConfig], RunDir]

# Stage → the module of its recipe, imported when that stage runs: the preference trainers pull in TRL,
# and an sft run encodes its data before torch is even imported (see lm.run).
RECIPES: Registry[str] = Registry("stage", {
    "pt": "lm", "sft": "lm", "rm": "rm", "dpo": "dpo", "kto": "kto", "ppo": "ppo", "grpo": "grpo",
})


def recipe_for(stage: str) -> Recipe:
    module = RECIPES.get_or_raise(stage, field="stage")
    return importlib.import_module(f"{__name__}.{module}").run


def run_training(cfg: RunConfig) -> RunDir | None:
    """The run the config asks for; None when it only encoded data into a new tokenized_path."""
    recipe = recipe_for(cfg.finetune.stage)
    if cfg.finetune.needs().tokenized_path and encodes_only(cfg):
        encode_only(cfg)
        return None
    return recipe(cfg)
