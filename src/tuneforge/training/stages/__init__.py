"""STAGES: stage name → recipe. Each recipe is `run(cfg) -> RunDir`."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.registry import Registry
from tuneforge.training.stages import dpo, kto, lm, ppo, rm


@dataclass(frozen=True)
class StageSpec:
    run: Callable[[RunConfig], RunDir | None]  # None: the run only encoded data (tokenized_path)
    description: str


STAGES: Registry[StageSpec] = Registry("stage", {
    "pt": StageSpec(lm.run, "continued pre-training on plain text (every token trained)"),
    "sft": StageSpec(lm.run, "supervised fine-tuning on conversations (assistant tokens trained)"),
    "rm": StageSpec(rm.run, "reward model on chosen/rejected pairs (score head, pairwise loss)"),
    "dpo": StageSpec(dpo.run, "preference optimisation on pairs; pref_loss: sigmoid, hinge, ipo, kto_pair, orpo, "
                              "simpo"),
    "kto": StageSpec(kto.run, "KTO on answers labelled desirable / undesirable (kto_tag)"),
    "ppo": StageSpec(ppo.run, "PPO against a trained reward model (LoRA policy + value head)"),
})
