"""Definition of done 4: PPO runs N steps against a reward model trained by stage rm on the toy polite/rude task,
saves an adapter that loads back, and mean reward rises. Plus the PPO arithmetic on hand-checked numbers."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import tuneforge
from tests.training.test_preference_data import pref_config, write_preference_data
from tuneforge.core.errors import UserError
from tuneforge.training.stages import ppo_math as pm


def test_gae_matches_hand_computation():
    rewards = torch.tensor([[0.0, 0.0, 1.0]])
    values = torch.tensor([[0.5, 0.5, 0.5]])
    mask = torch.ones(1, 3)
    advantages, returns = pm.gae(rewards, values, mask, gamma=1.0, lam=1.0)
    # lam = gamma = 1: advantage = total future reward − value
    assert torch.allclose(advantages, torch.tensor([[0.5, 0.5, 0.5]]))
    assert torch.allclose(returns, torch.tensor([[1.0, 1.0, 1.0]]))
    masked, _ = pm.gae(rewards, values, torch.tensor([[1.0, 1.0, 0.0]]), gamma=1.0, lam=1.0)
    assert masked[0, 2] == 0  # nothing after the end of the reply


def test_token_rewards_put_score_on_last_reply_token():
    logprobs, ref = torch.tensor([[-1.0, -1.0, -1.0]]), torch.tensor([[-2.0, -1.0, -1.0]])
    rewards, kl = pm.token_rewards(torch.tensor([3.0]), logprobs, ref, torch.tensor([[1.0, 1.0, 0.0]]), 0.5)
    assert torch.allclose(kl, torch.tensor([[1.0, 0.0, 0.0]]))
    assert torch.allclose(rewards, torch.tensor([[-0.5, 3.0, 0.0]]))


def test_clipped_losses_and_adaptive_kl():
    adv, mask = torch.tensor([[1.0]]), torch.ones(1, 1)
    # ratio e^1 > 1.2: the clipped objective stops rewarding a larger step
    assert torch.isclose(pm.policy_loss(torch.tensor([[1.0]]), torch.tensor([[0.0]]), adv, mask),
                         torch.tensor(-1.2))
    assert torch.isclose(pm.value_loss(torch.tensor([[2.0]]), torch.tensor([[0.0]]), torch.tensor([[0.0]]), mask),
                         torch.tensor(2.0))  # 0.5 · max(2², 0.2²)
    ctl = pm.AdaptiveKL(0.2, target=6.0, horizon=100)
    ctl.update(kl=12.0, n_steps=10)
    assert ctl.value == pytest.approx(0.2 * 1.02)
    ctl.update(kl=0.0, n_steps=10)
    assert ctl.value < 0.2 * 1.02


@pytest.fixture(scope="module")
def toy(tmp_path_factory, learner_qwen) -> tuple[Path, Path]:
    """(data folder, reward model run) for the polite/rude toy task."""
    root = tmp_path_factory.mktemp("ppo")
    data = write_preference_data(root / "data", n=32)
    rm = tuneforge.train(pref_config(learner_qwen, data, root / "rm", "rm", max_steps=10,
                                     per_device_train_batch_size=4))
    return data, rm.path


def test_ppo_needs_a_reward_and_lora(learner_qwen, toy, tmp_path):
    data, _ = toy
    with pytest.raises(UserError, match="reward_model"):
        tuneforge.train(pref_config(learner_qwen, data, tmp_path / "x", "ppo", dataset="polite_prompts"))
    with pytest.raises(UserError, match="finetuning_type"):
        tuneforge.train(pref_config(learner_qwen, data, tmp_path / "y", "ppo", dataset="polite_prompts",
                                    finetuning_type="full", reward_model=str(toy[1])))


def test_ppo_raises_mean_reward(learner_qwen, toy, tmp_path):
    from tuneforge.inference.hf import HFEngine

    data, rm = toy
    run = tuneforge.train(pref_config(learner_qwen, data, tmp_path / "ppo", "ppo", dataset="polite_prompts",
                                      reward_model=str(rm), max_new_tokens=8, per_device_train_batch_size=8,
                                      learning_rate=1e-3, max_steps=10, ppo_epochs=2, plot_loss=True))
    rows = [json.loads(line) for line in (run.path / "trainer_log.jsonl").read_text().splitlines()]
    rows = [row for row in rows if "loss" in row]  # the last row is the run's summary, as for every stage
    rewards = [row["reward"] for row in rows]
    print("ppo mean reward per step", [round(r, 2) for r in rewards])
    assert len(rows) == 10 and all("kl" in row for row in rows)
    assert [row["lr"] for row in rows] == [1e-3] * 10  # lr_scheduler_type constant
    assert sum(rewards[-3:]) / 3 > sum(rewards[:3]) / 3 + 0.3
    for name in ("adapter_model.safetensors", "value_head.safetensors", "training_reward.png",
                 "training_kl.png", "training_loss.png"):
        assert (run.path / name).is_file(), name
    assert run.info["finished"] is True
    reply = HFEngine.load(run.path).chat([{"role": "user", "content": "Can you help me with a poem?"}],
                                         max_new_tokens=8)
    assert isinstance(reply, str)


def test_ppo_refuses_what_it_cannot_train_all_at_once(learner_qwen, toy, tmp_path):
    from tuneforge.config.load import load_run_config

    data, rm = toy
    with pytest.raises(UserError) as err:
        load_run_config(pref_config(learner_qwen, data, tmp_path / "x", "ppo", dataset="polite_prompts",
                                    reward_model=str(rm), use_galore=True, finetuning_type="full",
                                    loraplus_lr_ratio=4.0, ppo_epochs=2, save_steps=3))
    message = err.value.format()
    for key in ("use_galore", "finetuning_type", "loraplus_lr_ratio", "save_steps"):
        assert key in message, key


def _adapter_and_head(out: Path) -> dict:
    from safetensors.torch import load_file

    return {**load_file(str(out / "adapter_model.safetensors")),
            **{f"v.{k}": v for k, v in load_file(str(out / "value_head.safetensors")).items()}}


def test_ppo_accumulation_equals_a_batch_twice_the_size_and_logs_like_every_stage(tiny_qwen, tmp_path):
    """Definition of done 6: gradient_accumulation_steps 2 × batch 4 trains exactly as 1 × batch 8 (the
    rollout batch is the same 8 prompts; the losses are normalised by its reply tokens), and the log rows
    have the keys and value types of an sft run's. SGD, because Adam's first steps turn float noise in
    near-zero gradients into ±lr updates (its step is the gradient's sign there), which would hide whether
    the two gradients agree."""
    from tests.conftest import sft_config
    from tests.training.rl_support import reward_file, rl_config

    rewards_py = reward_file(tmp_path / "rewards")
    runs = {}
    for name, batch, accumulation in (("big", 8, 1), ("accumulated", 4, 2)):
        runs[name] = tuneforge.train(rl_config(tiny_qwen, tmp_path / name, "ppo", f"{rewards_py}:e_share",
                                               per_device_train_batch_size=batch,
                                               gradient_accumulation_steps=accumulation, ppo_epochs=2,
                                               max_steps=4, optim="sgd", learning_rate=0.5)).path
    a, b = _adapter_and_head(runs["big"]), _adapter_and_head(runs["accumulated"])
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    moved = max(a[k].abs().max().item() for k in a if "lora_B" in k)
    assert moved > 1e-3 and worst < 1e-5, (worst, moved)

    sft = tuneforge.train(sft_config(tiny_qwen, tmp_path / "sft", max_steps=2)).path
    def rows(run):
        return [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]
    ppo_rows, sft_rows = rows(runs["accumulated"]), rows(sft)
    assert len(ppo_rows) == 5  # 4 steps + the run's summary, as sft's
    for ppo_row, sft_row in ((ppo_rows[0], sft_rows[0]), (ppo_rows[-1], sft_rows[-1])):
        shared = {k: type(v) for k, v in sft_row.items() if k not in ("eval_loss",)}
        missing = [k for k in shared if k not in ppo_row and k not in ("num_input_tokens_seen",)]
        assert not missing, missing
        assert all(isinstance(ppo_row[k], t) for k, t in shared.items() if k in ppo_row), (ppo_row, sft_row)
    assert {"reward", "kl", "kl_coef", "value_loss", "policy_loss", "clip_ratio",
            "completions/mean_length"} <= ppo_rows[1].keys()


def test_grpo_takes_a_reward_model_run_as_a_reward(learner_qwen, toy, tmp_path):
    """The scope's "a reward model run folder (reward_model: RUN, stage rm) is accepted as a reward too", for
    grpo beside a built-in, weighted."""
    data, rm = toy
    run = tuneforge.train(pref_config(learner_qwen, data, tmp_path / "grpo", "grpo", dataset="polite_prompts",
                                      reward_model=str(rm), reward_funcs="length", reward_weights="0.5,1.0",
                                      num_generations=4, max_completion_length=8, max_steps=2))
    rows = [json.loads(line) for line in (run.path / "trainer_log.jsonl").read_text().splitlines()]
    row = rows[0]
    assert {"rewards/length/mean", "rewards/reward_model/mean"} <= row.keys()
    assert row["rewards/reward_model/mean"] != 0.0
    assert row["reward"] == pytest.approx(0.5 * row["rewards/length/mean"] + row["rewards/reward_model/mean"],
                                          abs=1e-4)
