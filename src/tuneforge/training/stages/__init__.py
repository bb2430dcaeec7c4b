"""RECIPES: stage name → recipe. Each recipe is `run(cfg) -> RunDir`, the same skeleton: prepare data → load
model → build trainer → train → finish (common.py). What a stage needs from data and encoding (its kind of
example, packing default, template, tokenized_path) is declared beside its name in `config/stages.py`.
`run_training` is the one entry (CLI and Python API)."""
from __future__ import annotations

from collections.abc import Callable

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.registry import Registry
from tuneforge.training.encode_only import encode_only, encodes_only
from tuneforge.training.stages import dpo, kto, lm, ppo, rm

Recipe = Callable[[RunConfig], RunDir]

RECIPES: Registry[Recipe] = Registry("stage", {
    "pt": lm.run, "sft": lm.run, "rm": rm.run, "dpo": dpo.run, "kto": kto.run, "ppo": ppo.run,
})


def run_training(cfg: RunConfig) -> RunDir | None:
    """The run the config asks for; None when it only encoded data into a new tokenized_path."""
    recipe = RECIPES.get_or_raise(cfg.finetune.stage, field="stage")
    if cfg.finetune.needs().tokenized_path and encodes_only(cfg):
        encode_only(cfg)
        return None
    return recipe(cfg)
