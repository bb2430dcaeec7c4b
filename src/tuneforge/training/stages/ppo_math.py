"""The arithmetic of PPO (Schulman et al. 2017; the RLHF form of Ziegler et al. 2019), as small pure functions on
tensors: per-token rewards with a KL penalty, GAE, the clipped policy and value losses, the adaptive KL
coefficient. Tested on their own; the ppo stage strings them together."""
from __future__ import annotations

from dataclasses import dataclass

CLIP = 0.2


def masked_mean(values, mask, normaliser=None):
    """The mean over the masked positions, or their sum over `normaliser` (the token count of a larger batch
    this one is a slice of, so that slices add up to that batch's mean)."""
    return (values * mask).sum() / (mask.sum().clamp(min=1) if normaliser is None else normaliser)


def whiten(values, mask, shift_mean: bool = True):
    mean = masked_mean(values, mask)
    var = masked_mean((values - mean) ** 2, mask)
    out = (values - mean) * (var + 1e-8).rsqrt()
    return (out if shift_mean else out + mean) * mask


def token_rewards(scores, logprobs, ref_logprobs, mask, kl_coef: float):
    """-kl_coef · (log π − log π_ref) on every response token, plus the reward model's score on the last one."""
    import torch

    kl = (logprobs - ref_logprobs) * mask
    rewards = -kl_coef * kl
    last = mask.sum(dim=1).long().clamp(min=1) - 1
    rewards[torch.arange(len(scores)), last] += scores
    return rewards, kl


def gae(rewards, values, mask, gamma: float = 1.0, lam: float = 0.95):
    """(advantages, returns) by generalised advantage estimation over each response."""
    import torch

    advantages = torch.zeros_like(rewards)
    running = torch.zeros(rewards.shape[0], dtype=rewards.dtype, device=rewards.device)
    length = rewards.shape[1]
    for t in reversed(range(length)):
        next_value = values[:, t + 1] * mask[:, t + 1] if t + 1 < length else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
    return advantages, (advantages + values) * mask


def policy_loss(logprobs, old_logprobs, advantages, mask, clip: float = CLIP, normaliser=None):
    import torch

    ratio = torch.exp(logprobs - old_logprobs)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1 - clip, 1 + clip)
    return masked_mean(torch.maximum(unclipped, clipped), mask, normaliser)


def value_loss(values, old_values, returns, mask, clip: float = CLIP, normaliser=None):
    import torch

    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    return 0.5 * masked_mean(torch.maximum((values - returns) ** 2, (clipped - returns) ** 2), mask, normaliser)


@dataclass
class AdaptiveKL:
    """Ziegler et al.'s controller: raise the KL coefficient when KL exceeds the target, lower it when below."""
    value: float
    target: float
    horizon: int = 10000

    def update(self, kl: float, n_steps: int) -> None:
        error = max(-0.2, min(0.2, kl / self.target - 1))
        self.value *= 1 + error * n_steps / self.horizon
