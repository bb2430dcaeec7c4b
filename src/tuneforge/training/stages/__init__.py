"""STAGES: stage name → recipe. Each recipe is `run(cfg) -> RunDir`, the same skeleton: prepare data → load
model → build trainer → train → finish (common.py). `run_training` is the one entry (CLI and Python API)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.registry import Registry
from tuneforge.training.encode_only import encode_only, encodes_only
from tuneforge.training.stages import dpo, kto, lm, ppo, rm


@dataclass(frozen=True)
class StageSpec:
    run: Callable[[RunConfig], RunDir]
    description: str
    tokenized_path: bool = False  # trains from (and on its first run writes) LLaMA-Factory's tokenized_path


STAGES: Registry[StageSpec] = Registry("stage", {
    "pt": StageSpec(lm.run, "continued pre-training on plain text (every token trained)", tokenized_path=True),
    "sft": StageSpec(lm.run, "supervised fine-tuning on conversations (assistant tokens trained)",
                     tokenized_path=True),
    "rm": StageSpec(rm.run, "reward model on chosen/rejected pairs (score head, pairwise loss)"),
    "dpo": StageSpec(dpo.run, "preference optimisation on pairs; pref_loss: sigmoid, hinge, ipo, kto_pair, orpo, "
                              "simpo"),
    "kto": StageSpec(kto.run, "KTO on answers labelled desirable / undesirable (kto_tag)"),
    "ppo": StageSpec(ppo.run, "PPO against a trained reward model (LoRA policy + value head)"),
})


def run_training(cfg: RunConfig) -> RunDir | None:
    """The run the config asks for; None when it only encoded data into a new tokenized_path."""
    spec = STAGES.get_or_raise(cfg.finetune.stage, field="stage")
    if spec.tokenized_path and encodes_only(cfg):
        encode_only(cfg)
        return None
    return spec.run(cfg)
