"""PPOTrainer: PPO as a transformers `Trainer`, so it gets what every other stage gets — device placement,
gradient accumulation, the optimizer and LR schedule the config names, checkpoints that resume, DDP, the
standard trainer_log — instead of a loop of its own. (TRL 1.16 has no PPOTrainer any more.)

The batching follows TRL's GRPOTrainer: the data loader hands over a whole *rollout batch* of prompt indices
(per_device_train_batch_size × gradient_accumulation_steps per process), each repeated for every micro-step
that uses it (gradient_accumulation_steps × ppo_epochs). The first micro-step of a rollout batch samples the
replies, scores them with the rewards and computes advantages (GAE) and returns; every micro-step then takes
its slice and its clipped policy and value losses, normalised by the reply tokens of the whole rollout batch.
So gradient accumulation 2 trains exactly as a batch twice the size, and each rollout batch is optimised
ppo_epochs times (one optimizer step each). The adaptive KL coefficient and the value head are saved in
every checkpoint, so a resumed run continues exactly.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer

from tuneforge.model.value_head import VALUE_HEAD_FILE, save_value_head
from tuneforge.training.rewards import Reward, score
from tuneforge.training.stages import ppo_math as pm
from tuneforge.training.stages import ppo_rollout as rollout

PPO_STATE_FILE = "ppo_state.json"
VALUE_COEF = 0.1


class PolicyWithValue(torch.nn.Module):
    """The (LoRA) policy and its value head as one module, so the optimizer, DDP and checkpoints see both."""

    def __init__(self, policy, value_head) -> None:
        super().__init__()
        self.policy = policy
        self.value_head = value_head

    def forward(self, input_ids, attention_mask, width: int):
        return rollout.forward(self.policy, self.value_head, input_ids, attention_mask, width)


@dataclass(frozen=True)
class PPOSettings:
    prompt_ids: list[list[int]]
    rows: list[dict]
    rewards: list[Reward]
    stop_ids: list[int]
    generate_kwargs: dict[str, Any]
    ppo_epochs: int
    score_norm: bool
    whiten_rewards: bool
    init_kl_coef: float
    kl_target: float


def _collate(rows: list[dict]) -> dict:
    return {"indices": torch.tensor([row["index"] for row in rows])}


class PPOTrainer(Trainer):
    def __init__(self, *args, ppo: PPOSettings, **kwargs) -> None:
        super().__init__(*args, data_collator=_collate, **kwargs)
        self.ppo = ppo
        self.kl = pm.AdaptiveKL(ppo.init_kl_coef, ppo.kl_target)
        self.loss_is_scaled_for_ga = True  # compute_loss divides by the rollout batch's reply tokens itself
        self._buffer: dict | None = None
        self._rollout_metrics: dict[str, list[float]] = defaultdict(list)
        self._last_step, self._micro = -1, 0
        self._metrics: dict[str, list[float]] = defaultdict(list)  # since the last log
        self._last_rollout: dict[str, float] = {}

    # Data: rollout batches of prompt indices, each repeated for every micro-step that trains on it.
    def _rollout_size(self) -> int:
        return self.args.per_device_train_batch_size * self.args.gradient_accumulation_steps

    def get_train_dataloader(self):
        return self._get_dataloader(self.train_dataset, "Training", batch_size=self._rollout_size(),
                                    sampler_fn=self._get_train_sampler, is_training=True)

    def _get_train_sampler(self, dataset=None):
        from trl.trainer.utils import RepeatSampler

        return RepeatSampler(dataset if dataset is not None else self.train_dataset, mini_repeat_count=1,
                             batch_size=self._rollout_size() * self.args.world_size,
                             repeat_count=self.args.gradient_accumulation_steps * self.ppo.ppo_epochs,
                             shuffle=True, seed=self.args.seed)

    def training_step(self, model, inputs, num_items_in_batch=None):
        if self.state.global_step != self._last_step:  # a new optimizer step (also the first after a resume)
            self._last_step, self._micro = self.state.global_step, 0
        gas = self.args.gradient_accumulation_steps
        position = (self.state.global_step % self.ppo.ppo_epochs) * gas + self._micro
        self._micro += 1
        if position == 0 or self._buffer is None:
            self._buffer = self._make_rollout(model, inputs["indices"].tolist())
        return super().training_step(model, self._slice(position % gas), num_items_in_batch)

    def _slice(self, k: int) -> dict:
        size = self.args.per_device_train_batch_size
        return {key: (value[k * size:(k + 1) * size] if torch.is_tensor(value) and value.dim() else value)
                for key, value in self._buffer.items()}

    @torch.no_grad()
    def _make_rollout(self, model, indices: list[int]) -> dict:
        ppo, unwrapped = self.ppo, self.accelerator.unwrap_model(model)
        policy, tokenizer = unwrapped.policy, self.processing_class
        device = next(policy.parameters()).device
        prompts = [ppo.prompt_ids[i] for i in indices]
        ids, mask = rollout.batch(prompts, tokenizer.pad_token_id)
        ids, mask = ids.to(device), mask.to(device)
        was_training = policy.training
        policy.eval()
        out = policy.generate(input_ids=ids, attention_mask=mask, eos_token_id=ppo.stop_ids,
                              pad_token_id=tokenizer.pad_token_id, **ppo.generate_kwargs)
        width = ids.shape[1]
        replies = out[:, width:]
        rmask = rollout.response_mask(replies.cpu(), ppo.stop_ids).to(device)
        reply_ids = [r[m.bool()].tolist() for r, m in zip(replies, rmask)]
        texts = tokenizer.batch_decode(reply_ids, skip_special_tokens=True)
        rows = [ppo.rows[i] for i in indices]
        per_reward, scores = score(ppo.rewards, [row["prompt"] for row in rows], texts, reply_ids, rows,
                                   self.state)
        raw = scores.clone()
        if ppo.score_norm:
            scores = (scores - scores.mean()) / (scores.std() + 1e-8)
        full_mask = torch.cat([mask, rmask.long()], dim=1)
        old_logprobs, old_values = unwrapped(out, full_mask, width)
        with policy.disable_adapter():
            ref_logprobs, _ = rollout.forward(policy, None, out, full_mask, width)
        rewards, kl = pm.token_rewards(scores.to(device), old_logprobs, ref_logprobs, rmask, self.kl.value)
        if ppo.whiten_rewards:
            rewards = pm.whiten(rewards, rmask, shift_mean=False)
        advantages, returns = pm.gae(rewards, old_values, rmask)
        advantages = pm.whiten(advantages, rmask)
        policy.train(was_training)
        mean_kl = float(kl.sum(dim=1).mean())
        self._record(raw, per_reward, mean_kl, rmask)
        self.kl.update(mean_kl, len(indices))
        return {"input_ids": out, "attention_mask": full_mask, "reply_mask": rmask, "old_logprobs": old_logprobs,
                "old_values": old_values, "advantages": advantages, "returns": returns,
                "tokens": rmask.sum().clamp(min=1), "width": width}

    def _record(self, raw, per_reward, mean_kl: float, rmask) -> None:
        m = self._rollout_metrics
        m["reward"].append(float(raw.mean()))
        m["reward_std"].append(float(raw.std()) if len(raw) > 1 else 0.0)
        for k, reward in enumerate(self.ppo.rewards):
            m[f"rewards/{reward.name}/mean"].append(float(per_reward[:, k].mean()))
        m["kl"].append(mean_kl)
        m["kl_coef"].append(self.kl.value)
        m["completions/mean_length"].append(float(rmask.sum(dim=1).float().mean()))

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        logprobs, values = model(inputs["input_ids"], inputs["attention_mask"], inputs["width"])
        mask, tokens = inputs["reply_mask"], inputs["tokens"]
        pg = pm.policy_loss(logprobs, inputs["old_logprobs"], inputs["advantages"], mask, normaliser=tokens)
        vf = pm.value_loss(values, inputs["old_values"], inputs["returns"], mask, normaliser=tokens)
        ratio = torch.exp(logprobs - inputs["old_logprobs"])
        clipped = ((ratio - 1).abs() > pm.CLIP).float()
        self._metrics["policy_loss"].append(float(pg.detach()))
        self._metrics["value_loss"].append(float(vf.detach()))
        self._metrics["clip_ratio"].append(float((clipped * mask).sum() / mask.sum().clamp(min=1)))
        return pg + VALUE_COEF * vf

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:  # a training log: the metrics since the last one, averaged; the rollout metrics are
            # those of the rollouts since then, or of the one the steps since then still trained on
            if self._rollout_metrics:
                self._last_rollout = {k: sum(v) / len(v) for k, v in self._rollout_metrics.items()}
                self._rollout_metrics.clear()
            logs = {**logs, **self._last_rollout, **{k: sum(v) / len(v) for k, v in self._metrics.items() if v}}
            self._metrics.clear()
        super().log(logs, start_time)

    # Checkpoints: the adapter as for SFT, the value head and the KL controller beside it.
    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        out = Path(output_dir or self.args.output_dir)
        out.mkdir(parents=True, exist_ok=True)
        unwrapped = self.accelerator.unwrap_model(self.model)
        unwrapped.policy.save_pretrained(str(out))
        save_value_head(unwrapped.value_head, out)
        (out / PPO_STATE_FILE).write_text(json.dumps({"kl_coef": self.kl.value}))
        if self.processing_class is not None:
            self.processing_class.save_pretrained(str(out))
        torch.save(self.args, out / "training_args.bin")

    def _load_from_checkpoint(self, resume_from_checkpoint: str, model=None) -> None:
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        folder = Path(resume_from_checkpoint)
        unwrapped = self.accelerator.unwrap_model(model if model is not None else self.model)
        set_peft_model_state_dict(unwrapped.policy, load_file(str(folder / "adapter_model.safetensors")))
        unwrapped.value_head.load_state_dict(load_file(str(folder / VALUE_HEAD_FILE)))
        self.kl.value = json.loads((folder / PPO_STATE_FILE).read_text())["kl_coef"]
