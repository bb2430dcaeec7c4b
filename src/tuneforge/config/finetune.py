"""The `finetune` group: which training stage, and which parameters it trains (full, freeze, LoRA family)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option, split_names
from tuneforge.config.stages import STAGE_NEEDS, STAGES, StageNeeds


@dataclass(frozen=True)
class FinetuneConfig:
    stage: str = option("sft", "Training stage: pt (pre-training on text), sft (supervised fine-tuning), rm "
                               "(reward model), dpo (DPO/IPO/ORPO/SimPO by pref_loss), kto, ppo and grpo (online RL "
                               "with reward_funcs / reward_model).", STAGES)
    finetuning_type: str = option("lora", "Which parameters are trained.", ("lora", "freeze", "full"))
    # LoRA family
    lora_rank: int = option(8, "LoRA rank r.")
    lora_alpha: int | None = option(None, "LoRA alpha (default: 2 × lora_rank).")
    lora_dropout: float = option(0.0, "Dropout on the LoRA path.")
    lora_target: str = option("all", "Modules that get LoRA, comma-separated; 'all' = every linear layer "
                                     "except the output head.")
    additional_target: str | None = option(None, "Modules trained fully and saved with the adapter "
                                                 "(e.g. embed_tokens,lm_head), comma-separated.")
    use_dora: bool = option(False, "Weight-decomposed LoRA (DoRA).")
    use_rslora: bool = option(False, "Rank-stabilised LoRA scaling (alpha / sqrt(r)).")
    pissa_init: bool = option(False, "Initialise LoRA from the principal singular vectors (PiSSA).")
    pissa_iter: int = option(16, "Fast-SVD iterations for PiSSA; -1 = exact SVD.")
    pissa_convert: bool = option(False, "Save the PiSSA adapter converted to a plain LoRA adapter.")
    loraplus_lr_ratio: float | None = option(None, "LoRA+: learning rate of B matrices = ratio × lr.")
    loraplus_lr_embedding: float = option(1e-6, "LoRA+: learning rate of embedding LoRA layers.")
    create_new_adapter: bool = option(False, "Train a new adapter on top of the loaded ones.")
    # freeze
    freeze_trainable_layers: int = option(2, "freeze: train the last N layers (negative = the first N); with "
                                             "use_llama_pro, the N blocks expand-blocks added.")
    use_llama_pro: bool = option(False, "LLaMA Pro: train only the blocks `tuneforge expand-blocks` inserted "
                                        "(finetuning_type freeze, freeze_trainable_layers = their number).")
    freeze_trainable_modules: str = option("all", "freeze: which modules in the trainable layers are "
                                                  "trained ('all' or names like mlp,self_attn).")
    freeze_extra_modules: str | None = option(None, "freeze: modules outside the layers that are trained "
                                                    "too (e.g. embed_tokens,norm).")
    # vision-language models: which parts train (LLaMA-Factory's keys and defaults)
    freeze_vision_tower: bool = option(True, "Vision-language models: keep the vision encoder frozen.")
    freeze_multi_modal_projector: bool = option(True, "Vision-language models: keep the projector from vision "
                                                      "features to the language model frozen.")
    freeze_language_model: bool = option(False, "Vision-language models: keep the language model frozen.")
    train_mm_proj_only: bool = option(False, "Vision-language models: train the projector only (implies a "
                                             "frozen vision encoder and language model).")

    def needs(self) -> StageNeeds:
        """What the stage asks of data and encoding (the stage name is validated by then)."""
        return STAGE_NEEDS.get_or_raise(self.stage, field="stage")

    def lora_targets(self) -> list[str]:
        return split_names(self.lora_target)

    def lora_alpha_value(self) -> int:
        return self.lora_alpha if self.lora_alpha is not None else self.lora_rank * 2

    def additional_targets(self) -> list[str]:
        return split_names(self.additional_target)

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.lora_rank < 1:
            out.append(("lora_rank", "must be at least 1"))
        if not 0.0 <= self.lora_dropout < 1.0:
            out.append(("lora_dropout", "must be in [0, 1)"))
        if not self.lora_targets():
            out.append(("lora_target", "is empty"))
        if self.freeze_trainable_layers == 0:
            out.append(("freeze_trainable_layers", "must not be 0"))
        if self.use_llama_pro and self.finetuning_type != "freeze":
            out.append(("use_llama_pro", f"needs finetuning_type freeze (got {self.finetuning_type})"))
        if self.use_llama_pro and self.freeze_trainable_layers < 1:
            out.append(("freeze_trainable_layers", "with use_llama_pro: the number of blocks expand-blocks added"))
        if self.loraplus_lr_ratio is not None and self.loraplus_lr_ratio <= 0:
            out.append(("loraplus_lr_ratio", "must be positive"))
        return out
