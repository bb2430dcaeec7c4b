"""The `preference` group: reward modelling and preference / RL stages (rm, dpo, kto; ppo and grpo, whose
online-RL keys are the `rl` group's)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option

# TRL's KTOTrainer estimates KTO's KL term from mismatched pairs inside one device batch (each prompt with its
# neighbour's answer) and refuses a batch of one, where the pair would be the example itself and the KL term the
# implied reward. LLaMA-Factory instead mismatches answers across the dataset, so its KTO examples run 1 × N; we
# run them as 2 × N/2, the same examples per update (RunConfig.device_batches).
KTO_MIN_DEVICE_BATCH = 2


@dataclass(frozen=True)
class PreferenceConfig:
    pref_beta: float = option(0.1, "Beta of the preference loss (strength of the KL constraint).")
    pref_ftx: float = option(0.0, "Weight of an added SFT loss on the chosen answers.")
    pref_bco_weight: float = option(0.0, "Weight of the BCO loss mixed into DPO.")
    pref_loss: str = option("sigmoid", "DPO-family loss.", ("sigmoid", "hinge", "ipo", "kto_pair", "orpo", "simpo"))
    dpo_label_smoothing: float = option(0.0, "Robust DPO label smoothing (0–0.5).")
    kto_chosen_weight: float = option(1.0, "KTO weight of desirable examples.")
    kto_rejected_weight: float = option(1.0, "KTO weight of undesirable examples.")
    simpo_gamma: float = option(0.5, "SimPO target reward margin.")
    ld_alpha: float | None = option(None, "LD-DPO length weight.")
    ref_model: str | None = option(None, "Reference model (default: the policy's base, adapter disabled).")
    ref_model_adapters: str | None = option(None, "Adapters of the reference model.")
    ref_model_quantization_bit: int | None = option(None, "Quantize the reference model to 4 or 8 bits.")
    reward_model: str | None = option(None, "Reward model folder (a run of stage rm) scoring ppo/grpo answers, "
                                             "or an API URL with reward_model_type api.")
    reward_model_adapters: str | None = option(None, "Adapters of the reward model.")
    reward_model_quantization_bit: int | None = option(None, "Quantize the reward model to 4 or 8 bits.")
    reward_model_type: str = option("lora", "How the reward model is given.", ("lora", "full", "api"))
    ppo_buffer_size: int = option(1, "Mini-batches collected per PPO optimisation epoch.")
    ppo_epochs: int = option(4, "PPO optimisation epochs per batch of rollouts.")
    ppo_score_norm: bool = option(False, "Normalise rewards.")
    ppo_target: float = option(6.0, "Target KL for the adaptive KL controller.")
    ppo_whiten_rewards: bool = option(False, "Whiten rewards before computing advantages.")

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.pref_beta <= 0:
            out.append(("pref_beta", "must be positive"))
        if self.ref_model_adapters and not self.ref_model:
            out.append(("ref_model_adapters", "needs ref_model"))
        if not 0 <= self.dpo_label_smoothing <= 0.5:
            out.append(("dpo_label_smoothing", "must be in [0, 0.5]"))
        for key in ("pref_ftx", "pref_bco_weight", "simpo_gamma"):
            if getattr(self, key) < 0:
                out.append((key, "must not be negative"))
        for key in ("kto_chosen_weight", "kto_rejected_weight", "ppo_target"):
            if getattr(self, key) <= 0:
                out.append((key, "must be positive"))
        if self.ppo_epochs < 1:
            out.append(("ppo_epochs", "must be at least 1"))
        if self.ppo_buffer_size != 1:
            out.append(("ppo_buffer_size", "only 1 is supported yet (one batch of rollouts per optimisation)"))
        if self.reward_model_type == "api":
            out.append(("reward_model_type", "api is not supported yet; give a reward model trained by stage rm"))
        for key in ("ref_model_quantization_bit", "reward_model_quantization_bit"):
            if getattr(self, key):
                out.append((key, "not supported yet (the reference/reward model loads unquantized)"))
        return out
