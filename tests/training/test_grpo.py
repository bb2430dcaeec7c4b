"""Stage grpo on TRL's GRPOTrainer. Definition of done 1 (it learns a verifiable reward, LoRA and full),
3 (beta 0 loads no reference model; beta > 0 with LoRA uses the adapter-disabled base) and 4 (bad reward
configuration → one line, exit 2), plus the prompt rows rewards receive."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import tuneforge
from tests.training.rl_support import reward_file, rl_config
from tuneforge.core.errors import UserError


def _rewards(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "trainer_log.jsonl").read_text().splitlines()]
    return [row["reward"] for row in rows if "loss" in row]


def _gain(rewards: list[float]) -> tuple[float, float]:
    k = max(1, len(rewards) // 5)
    return sum(rewards[:k]) / k, sum(rewards[-k:]) / k


# A LoRA on a random 64-wide model moves token frequencies too slowly to judge in a minute (its updates reach
# the output only through the final norm), so the LoRA run also trains the output layer (additional_target),
# as LLaMA-Factory users do when a LoRA must learn new output tokens; the full run trains everything.
@pytest.mark.parametrize("method", [{"finetuning_type": "lora", "additional_target": "lm_head"},
                                    {"finetuning_type": "full", "learning_rate": 1e-2}],
                         ids=["lora", "full"])
def test_grpo_learns_a_reward_of_the_users_own(tiny_qwen, tmp_path, method):
    rewards_py = reward_file(tmp_path / "rewards")
    run = tuneforge.train(rl_config(tiny_qwen, tmp_path / "out", "grpo", f"{rewards_py}:e_share", max_steps=30,
                                    plot_loss=True, **method))
    rewards = _rewards(run.path)
    first, last = _gain(rewards)
    print(f"grpo {method['finetuning_type']}: mean reward first 20% {first:.3f}, last 20% {last:.3f}")
    assert len(rewards) == 30
    assert last > first + 0.15, rewards  # measured: 0.06 → 0.50 (both methods)
    row = json.loads((run.path / "trainer_log.jsonl").read_text().splitlines()[0])
    for key in ("reward", "reward_std", "rewards/e_share/mean", "completions/mean_length",
                "completions/clipped_ratio", "clip_ratio/region_mean", "lr", "loss", "current_steps"):
        assert key in row, key
    assert (run.path / "training_reward.png").is_file()
    samples = [json.loads(line) for line in (run.path / "completions.jsonl").read_text().splitlines()]
    assert samples and {"step", "prompt", "completion", "rewards"} <= samples[0].keys()
    assert set(samples[0]["rewards"]) == {"e_share"}


def test_beta_zero_loads_no_reference_and_lora_uses_the_disabled_adapter(tiny_qwen, tmp_path):
    from peft import PeftModel

    from tuneforge.config.load import load_run_config
    from tuneforge.training.stages.grpo import build_trainer

    rewards_py = reward_file(tmp_path / "rewards")
    trainer, _, _ = build_trainer(load_run_config(rl_config(tiny_qwen, tmp_path / "a", "grpo",
                                                            f"{rewards_py}:e_share", beta=0.0)))
    assert trainer.ref_model is None and trainer.beta == 0.0
    trainer, _, _ = build_trainer(load_run_config(rl_config(tiny_qwen, tmp_path / "b", "grpo",
                                                            f"{rewards_py}:e_share", beta=0.1, max_steps=3)))
    assert trainer.ref_model is None and isinstance(trainer.model, PeftModel)  # the reference: adapter off
    trainer.train()
    kls = [row["kl"] for row in trainer.state.log_history if "kl" in row]
    assert len(kls) == 3 and kls[-1] > 0  # the KL term ran against the adapter-disabled base
    trainer, _, _ = build_trainer(load_run_config(rl_config(tiny_qwen, tmp_path / "c", "grpo",
                                                            f"{rewards_py}:e_share", beta=0.1,
                                                            finetuning_type="full")))
    assert trainer.ref_model is not None and trainer.ref_model is not trainer.model  # full: a second copy


def test_prompt_rows_carry_reference_tools_and_extra_columns(tiny_qwen, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"instruction": "What is 2+2?", "output": "4", "level": 1},
            {"instruction": "What is 3+3?", "output": "\\boxed{6}", "level": 2}]
    (data / "maths.json").write_text(json.dumps(rows))
    (data / "dataset_info.json").write_text(json.dumps({"maths": {"file_name": "maths.json"}}))
    seen = tmp_path / "seen.json"
    rewards_py = reward_file(tmp_path / "rewards", f'''
import json
def spy(prompts, completions, answer, level, **kwargs):
    with open({str(seen)!r}, "w") as f:
        json.dump({{"prompts": prompts, "answer": answer, "level": level}}, f)
    return [0.0] * len(completions)
''')
    tuneforge.train(rl_config(tiny_qwen, tmp_path / "out", "grpo", f"{rewards_py}:spy,accuracy", dataset="maths",
                              dataset_dir=str(data), num_generations=2, per_device_train_batch_size=4,
                              max_steps=1))
    got = json.loads(seen.read_text())
    assert set(got["answer"]) == {"4", "\\boxed{6}"} and set(got["level"]) == {1, 2}
    assert got["prompts"][0].startswith("<|im_start|>") and got["prompts"][0].endswith("<|im_start|>assistant\n")


BAD_REWARDS = [
    ("missing.py:f", None, "reward function file not found"),
    ("{file}:nope", "def yes(completions, **kw):\n    return [1.0] * len(completions)\n",
     "has no function 'nope' (it defines: yes)"),
    ("{file}:short", "def short(completions, **kw):\n    return [1.0]\n", "returned 1 rewards for 2 completions"),
    ("{file}:boom", "def boom(completions, **kw):\n    raise KeyError('answer')\n",
     "reward function {file}:boom raised KeyError"),
    ("accuracy,lenght", None, "unknown reward 'lenght'"),
]


@pytest.mark.parametrize("names, source, message", BAD_REWARDS, ids=["file", "function", "length", "raises",
                                                                      "builtin"])
def test_bad_reward_configuration_is_one_line_and_exit_2(tiny_qwen, tmp_path, names, source, message):
    file = reward_file(tmp_path, source) if source else tmp_path / "missing.py"
    names = names.format(file=file)
    if names.startswith("missing.py"):
        names = str(file) + ":f"
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump(rl_config(tiny_qwen, tmp_path / "out", "grpo", names)))
    proc = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "train", str(config)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr[-2000:]
    errors = [line for line in proc.stderr.splitlines() if "reward" in line and "—" in line]
    assert len(errors) == 1 and message.format(file=file) in errors[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "adapter_model.safetensors").exists()


def test_grpo_config_rules_before_anything_loads(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config

    with pytest.raises(UserError) as err:
        load_run_config(rl_config(tiny_qwen, tmp_path / "x", "grpo", None, num_generations=3, num_iterations=2,
                                  save_steps=3))
    message = err.value.format()
    for key in ("reward_funcs", "num_generations", "save_steps"):
        assert key in message, key
    with pytest.raises(UserError, match="use_vllm"):
        tuneforge.train(rl_config(tiny_qwen, tmp_path / "y", "grpo", "length", use_vllm=True))
    with pytest.raises(UserError, match="is read by stages grpo and ppo only"):
        load_run_config({**rl_config(tiny_qwen, tmp_path / "z", "sft", "length")})
    # A key the stage's trainer would not read is refused, not ignored.
    for stage, key, value, reader in (("grpo", "ppo_epochs", 2, "stage ppo"), ("ppo", "beta", 0.1, "stage grpo"),
                                      ("sft", "num_generations", 4, "stage grpo"),
                                      ("sft", "reward_length_target", 8, "stages grpo and ppo")):
        with pytest.raises(UserError, match=f"{key} — is read by {reader} only, not by stage {stage}"):
            load_run_config({**rl_config(tiny_qwen, tmp_path / "w", stage, None if stage == "sft" else "length",
                                         max_completion_length=None), key: value})


@pytest.mark.parametrize("method", [{"finetuning_type": "lora", "quantization_bit": 4},
                                    {"finetuning_type": "freeze", "freeze_trainable_layers": 1}],
                         ids=["qlora", "freeze"])
def test_grpo_trains_with_qlora_and_freeze(tiny_qwen, tmp_path, method):
    run = tuneforge.train(rl_config(tiny_qwen, tmp_path / "out", "grpo", "length", reward_length_target=2,
                                    num_generations=4, per_device_train_batch_size=8, max_steps=2, beta=0.1,
                                    **method))
    assert len(_rewards(run.path)) == 2
    saved = "adapter_model.safetensors" if method["finetuning_type"] == "lora" else "model.safetensors"
    assert (run.path / saved).is_file()
