"""Stage ppo: RLHF with PPO against a reward model trained by stage rm (TRL 1.16 has no PPOTrainer, so this is
the smallest clear loop). The policy is the base + LoRA; the reference is the same model with the adapter
disabled; a value head reads the policy's last hidden state. Each step: sample replies to a batch of prompts
(rendered exactly as chat renders them), score prompt + reply with the reward model, per-token rewards with a
KL penalty, GAE, then ppo_epochs of clipped policy/value updates and the adaptive KL coefficient (ppo_target).
The learning rate follows lr_scheduler_type / warm-up per PPO step; what this loop cannot honour (gradient
accumulation, other optimizers, resuming, several processes) is refused by config.rules, not ignored.
Outputs as for SFT: adapter + tokenizer, trainer_log.jsonl (reward, kl, loss), plots, value_head.safetensors."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

from tuneforge.artifacts.run_dir import RunDir, mark_finished
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.model.reward import load_reward_model
from tuneforge.model.value_head import make_value_head, save_value_head
from tuneforge.templates.render import render_prompt, with_default_system
from tuneforge.templates.spec import stop_token_ids
from tuneforge.training.callbacks import LOG_FILE
from tuneforge.training.setup import use_gpu, world_size
from tuneforge.training.stages import ppo_math as pm
from tuneforge.training.stages import ppo_rollout as rollout
from tuneforge.training.stages.common import load_policy, load_stage_inputs, plot_metrics, start_output, write_run

log = get_logger()
INIT_KL_COEF = 0.2
VALUE_COEF = 0.1
METRICS = ("reward", "kl", "kl_coef", "value_loss")


def _prompts(inputs) -> list[list[int]]:
    out = []
    for conv in inputs.train:
        messages = list(conv.messages)
        prompt = messages[:-1] if messages and messages[-1].get("role") == "assistant" else messages
        prompt = with_default_system(tuple(prompt), inputs.options.default_system)
        ids = render_prompt(inputs.tokenizer, prompt, template=inputs.template,
                            tools=list(conv.tools) if conv.tools else None)
        out.append(ids[-inputs.options.cutoff_len:])
    return out


def _step(model, head, optimizer, reward, prompts, tokenizer, stop_ids, cfg, kl_ctl) -> dict:
    import torch

    ids, full_mask, rmask, scores, width = rollout.rollout(model, reward, prompts, tokenizer, stop_ids, cfg)
    raw_scores = scores.clone()
    if cfg.preference.ppo_score_norm:
        scores = (scores - scores.mean()) / (scores.std() + 1e-8)
    with torch.no_grad():
        old_logprobs, old_values = rollout.forward(model, head, ids, full_mask, width)
        with model.disable_adapter():
            ref_logprobs, _ = rollout.forward(model, None, ids, full_mask, width)
    rewards, kl = pm.token_rewards(scores, old_logprobs, ref_logprobs, rmask, kl_ctl.value)
    if cfg.preference.ppo_whiten_rewards:
        rewards = pm.whiten(rewards, rmask, shift_mean=False)
    advantages, returns = pm.gae(rewards, old_values, rmask)
    advantages = pm.whiten(advantages, rmask)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    for _ in range(cfg.preference.ppo_epochs):
        logprobs, values = rollout.forward(model, head, ids, full_mask, width)
        pg = pm.policy_loss(logprobs, old_logprobs, advantages, rmask)
        vf = pm.value_loss(values, old_values, returns, rmask)
        loss = pg + VALUE_COEF * vf
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.train.max_grad_norm)
        optimizer.step()
    mean_kl = float(kl.sum(dim=1).mean())
    kl_ctl.update(mean_kl, len(prompts))
    return {"loss": loss.item(), "reward": float(raw_scores.mean()), "kl": mean_kl, "kl_coef": kl_ctl.value,
            "value_loss": vf.item(), "response_length": float(rmask.sum(dim=1).mean())}


def _total_steps(cfg: RunConfig, n_prompts: int) -> int:
    if cfg.train.max_steps > 0:
        return cfg.train.max_steps
    return max(1, math.ceil(cfg.train.num_train_epochs * n_prompts / cfg.train.per_device_train_batch_size))


def _log(out: Path, history: list[dict], record: dict, step: int, total: int, start: float) -> None:
    elapsed = time.time() - start
    row = {"current_steps": step, "total_steps": total, **record, "percentage": round(100 * step / total, 2),
           "elapsed_time": str(int(elapsed)) + "s"}
    with (out / LOG_FILE).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    history.append({"step": step, **record})
    log.info("ppo step %d/%d: reward %.4f kl %.4f", step, total, record["reward"], record["kl"])


def run(cfg: RunConfig) -> RunDir:
    import torch
    from transformers import get_scheduler

    if world_size() > 1:
        raise UserError("stage ppo runs in a single process; start it without torchrun/NPROC_PER_NODE",
                        field="stage")
    inputs = load_stage_inputs(cfg)
    prompts = _prompts(inputs)
    on_gpu = use_gpu(cfg)
    out, _ = start_output(cfg)  # PPO writes no checkpoints, so there is never one to resume
    out.mkdir(parents=True, exist_ok=True)
    reward = load_reward_model(cfg.preference.reward_model, on_gpu=on_gpu)
    model = load_policy(cfg, inputs.tokenizer, inputs.added_tokens, on_gpu)
    model.config.use_cache = True  # rollouts generate
    if on_gpu and cfg.scale.quantization_bit is None:  # a quantized model is placed on its GPU when loaded
        model.to("cuda")
    head = make_value_head(model.config.hidden_size).to(next(model.parameters()).device)
    params = [p for p in model.parameters() if p.requires_grad] + list(head.parameters())
    t = cfg.train
    optimizer = torch.optim.AdamW(params, lr=t.learning_rate, weight_decay=t.weight_decay,
                                  betas=(t.adam_beta1, t.adam_beta2), eps=t.adam_epsilon)
    if t.save_strategy != "no":
        log.info("stage ppo saves its adapter when it finishes; it writes no intermediate checkpoints")
    stop_ids = stop_token_ids(inputs.tokenizer, inputs.template)
    write_run(None, cfg, out, len(prompts))
    (out / LOG_FILE).unlink(missing_ok=True)
    kl_ctl = pm.AdaptiveKL(INIT_KL_COEF, cfg.preference.ppo_target)
    total, batch = _total_steps(cfg, len(prompts)), cfg.train.per_device_train_batch_size
    schedule = get_scheduler(t.lr_scheduler_type, optimizer, num_warmup_steps=t.warmup_steps_for(total),
                             num_training_steps=total)
    history: list[dict] = []
    start = time.time()
    order = torch.randperm(len(prompts), generator=torch.Generator().manual_seed(cfg.train.seed)).tolist()
    for step in range(1, total + 1):
        chosen = [prompts[order[((step - 1) * batch + i) % len(order)]] for i in range(batch)]
        record = _step(model, head, optimizer, reward, chosen, inputs.tokenizer, stop_ids, cfg, kl_ctl)
        record["lr"] = schedule.get_last_lr()[0]
        schedule.step()  # once per PPO step, whatever ppo_epochs is (as TRL's PPO did)
        _log(out, history, record, step, total, start)
    model.save_pretrained(str(out))
    inputs.tokenizer.save_pretrained(str(out))
    save_value_head(head, out)
    (out / "trainer_state.json").write_text(json.dumps({"log_history": history}, indent=1))
    if cfg.train.plot_loss:
        plot_metrics(out, METRICS)
    mark_finished(out, {"train_metrics": {"mean_reward_first": history[0]["reward"],
                                          "mean_reward_last": history[-1]["reward"]}})
    return RunDir(out)
