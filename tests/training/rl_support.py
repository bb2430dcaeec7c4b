"""Shared by the online-RL tests: a reward file of the user's own that a tiny random model can move within a
minute on CPU, and the grpo/ppo config on the bundled alpaca sample."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import DATA_DIR

# The share of the letter "e" in a completion: a dense reward (every sampled token moves it) that raising a
# few tokens' probabilities improves — what a random-weight model can learn in a few dozen steps.
E_REWARD = '''
def e_share(completions, **kwargs):
    return [c.count("e") / max(1, len(c)) for c in completions]
'''


def reward_file(folder: Path, source: str = E_REWARD, name: str = "rewards.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(source)
    return path


def rl_config(model: Path, out: Path, stage: str, reward_funcs: str, **overrides) -> dict:
    cfg = {"model_name_or_path": str(model), "stage": stage, "finetuning_type": "lora", "lora_rank": 16,
           "lora_target": "all", "dataset": "alpaca_sample", "dataset_dir": str(DATA_DIR), "template": "qwen",
           "cutoff_len": 256, "output_dir": str(out), "reward_funcs": reward_funcs, "num_generations": 8,
           "per_device_train_batch_size": 16, "max_completion_length": 12, "max_steps": 8, "logging_steps": 1,
           "learning_rate": 1e-2, "lr_scheduler_type": "constant", "save_steps": 1000, "seed": 0,
           "disable_tqdm": True, "report_to": "none"}
    cfg.update(overrides)
    return cfg
