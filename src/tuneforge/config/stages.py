"""What each training stage needs from the layers below training: the kind of example it trains on, whether it
packs by default, whether it reads a chat template, whether it can train from a `tokenized_path`.

`data/` and `encode/` ask for these facts, never for a stage name, so a new stage is one entry here (plus its
recipe in `training/stages`) instead of new `stage == ...` branches. Messages still name the stage the user
asked for: `StageNeeds.name`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tuneforge.core.registry import Registry


class ExampleKind(str, Enum):
    TEXT = "text"                  # plain text, every token trained
    CONVERSATION = "conversation"  # messages; the assistant's turns are trained
    PAIR = "pair"                  # a prompt with a chosen and a rejected answer (ranking datasets)
    KTO = "kto"                    # a conversation whose answer is labelled desirable or undesirable
    PROMPT = "prompt"              # a prompt the model answers itself (online RL), with an optional reference


@dataclass(frozen=True)
class StageNeeds:
    name: str
    kind: ExampleKind
    description: str
    packs_by_default: bool = False
    tokenized_path: bool = False  # trains from (and on its first run writes) LLaMA-Factory's tokenized_path

    @property
    def uses_template(self) -> bool:
        """Text is tokenized as it is; every other kind is rendered through a chat template."""
        return self.kind is not ExampleKind.TEXT


STAGE_NEEDS: Registry[StageNeeds] = Registry("stage", {need.name: need for need in (
    StageNeeds("pt", ExampleKind.TEXT, "continued pre-training on plain text (every token trained)",
               packs_by_default=True, tokenized_path=True),
    StageNeeds("sft", ExampleKind.CONVERSATION, "supervised fine-tuning on conversations (assistant tokens "
                                                "trained)", tokenized_path=True),
    StageNeeds("rm", ExampleKind.PAIR, "reward model on chosen/rejected pairs (score head, pairwise loss)"),
    StageNeeds("ppo", ExampleKind.PROMPT, "PPO: a LoRA policy + value head against reward_funcs and/or a reward "
                                          "model (stage rm)"),
    StageNeeds("dpo", ExampleKind.PAIR, "preference optimisation on pairs; pref_loss: sigmoid, hinge, ipo, "
                                        "kto_pair, orpo, simpo"),
    StageNeeds("kto", ExampleKind.KTO, "KTO on answers labelled desirable / undesirable (kto_tag)"),
    StageNeeds("grpo", ExampleKind.PROMPT, "GRPO: groups of sampled answers scored by reward_funcs (accuracy, "
                                           "format, length, tool_call, your own) and/or a reward model"),
)})
STAGES = tuple(STAGE_NEEDS)


def stage_needs(name: str) -> StageNeeds:
    return STAGE_NEEDS.get_or_raise(name, field="stage")


def stages_taking(kind: ExampleKind) -> tuple[str, ...]:
    """The stage names that train on `kind` (for messages that say which stages could use a dataset)."""
    return tuple(need.name for need in STAGE_NEEDS.values() if need.kind is kind)
