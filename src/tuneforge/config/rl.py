"""The `rl` group: online RL (stages grpo and ppo), where the model answers prompts while it trains and
reward functions score the answers. LLaMA-Factory has stage ppo only; the GRPO keys follow TRL's GRPOConfig
names, so a TRL user reads them as they are.

The rewards: `reward_funcs` lists built-ins and `path/to/file.py:function` names (TRL's signature: prompts,
completions and the dataset's columns as keyword arguments → one float per completion); `reward_model`
(preference group) adds a reward model trained by stage rm. Sampling reads the generation group's
temperature, top_p, top_k and repetition_penalty where set (else the policy's own distribution); a completion
is at most `max_completion_length` tokens, else `max_new_tokens`.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option, split_names

# The loss types TRL's GRPOTrainer documents (trl 1.16); a TRL that drops one refuses it when the run starts.
GRPO_LOSSES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")


@dataclass(frozen=True)
class RLConfig:
    reward_funcs: str | None = option(None, "Reward functions, comma-separated: built-ins (accuracy, format, "
                                            "length, tool_call) and/or your own as path/to/file.py:function.")
    reward_weights: str | None = option(None, "One weight per reward (reward_funcs, then reward_model), "
                                              "comma-separated; default 1 each.")
    reward_format_pattern: str = option(r"^<think>.*?</think>\s*\S.*$",
                                        "format reward: the regular expression a whole completion must match "
                                        "(default: <think>…</think> then an answer).")
    reward_length_target: int = option(256, "length reward: completions up to this many tokens score 0, "
                                            "longer ones lose 1 per target length past it (at most -1).")
    num_generations: int = option(8, "grpo: completions sampled per prompt (a group); the global batch of "
                                     "completions must be a multiple of it.")
    max_completion_length: int | None = option(None, "Longest completion in tokens (default: max_new_tokens).")
    beta: float = option(0.0, "grpo: KL coefficient against the reference model; 0 loads no reference model.")
    epsilon: float = option(0.2, "grpo: lower clipping range of the policy ratio.")
    epsilon_high: float | None = option(None, "grpo: upper clipping range (default: epsilon; DAPO uses 0.28).")
    loss_type: str = option("dapo", "grpo: how token losses are aggregated (TRL's loss types).", GRPO_LOSSES)
    scale_rewards: str = option("group", "grpo: divide advantages by the reward std of the group, the batch, or "
                                         "not at all (Dr. GRPO).", ("group", "batch", "none"))
    num_iterations: int = option(1, "grpo: optimisation steps per batch of completions (μ in the GRPO paper).")
    mask_truncated_completions: bool = option(False, "grpo: leave completions cut at max_completion_length out "
                                                     "of the loss (DAPO).")
    use_vllm: bool = option(False, "grpo: generate with vLLM (GPU and the vllm package only).")
    log_completions_every: int = option(1, "Write a few sampled completions with their rewards to "
                                           "completions.jsonl every this many logging steps (0 = never).")

    def reward_names(self) -> list[str]:
        return split_names(self.reward_funcs)

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.num_generations < 2:
            out.append(("num_generations", "must be at least 2 (advantages compare the answers of a group)"))
        if self.beta < 0:
            out.append(("beta", "must not be negative"))
        if self.epsilon <= 0 or (self.epsilon_high is not None and self.epsilon_high <= 0):
            out.append(("epsilon" if self.epsilon <= 0 else "epsilon_high", "must be positive"))
        if self.num_iterations < 1:
            out.append(("num_iterations", "must be at least 1"))
        if self.max_completion_length is not None and self.max_completion_length < 1:
            out.append(("max_completion_length", "must be at least 1"))
        if self.reward_length_target < 1:
            out.append(("reward_length_target", "must be at least 1"))
        if self.log_completions_every < 0:
            out.append(("log_completions_every", "must not be negative"))
        for weight in split_names(self.reward_weights):
            try:
                float(weight)
            except ValueError:
                out.append(("reward_weights", f"'{weight}' is not a number"))
                break
        return out
