"""Issue 19: a run prints what concerns the user, not the libraries' housekeeping — bitsandbytes' optional hub
kernel (logged at import, since peft imports bitsandbytes whenever it is installed), transformers' deprecation
of `is_gradient_checkpointing` (read by peft), the load report of a reward model's newly initialised score head.
Real `tuneforge train` subprocesses; what the user needs (the adapter loaded, where outputs went) still shows."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import DATA_DIR
from tests.training.test_preference_data import pref_config, write_preference_data

NOISE = ("gemm_4bit_forward", "kernels-community", "is_gradient_checkpointing", "LOAD REPORT", "score.weight")


def train_output(config: dict, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "train", str(path)], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert not [noise for noise in NOISE if noise in output], output
    return output


def test_sft_run_prints_no_library_noise(tiny_qwen, tmp_path):
    output = train_output({"model_name_or_path": str(tiny_qwen), "stage": "sft", "finetuning_type": "lora",
                           "dataset": "identity", "dataset_dir": str(DATA_DIR), "template": "qwen",
                           "cutoff_len": 128, "max_samples": 8, "max_steps": 1, "output_dir": str(tmp_path / "sft"),
                           "report_to": "none"}, tmp_path, "sft")
    assert f"finished: outputs in {tmp_path / 'sft'}" in output


def test_rm_and_ppo_runs_print_no_load_report(tiny_qwen, tmp_path):
    data = write_preference_data(tmp_path / "data", n=16)
    train_output(pref_config(tiny_qwen, data, tmp_path / "rm", "rm", max_steps=1, per_device_train_batch_size=4),
                 tmp_path, "rm")
    output = train_output(pref_config(tiny_qwen, data, tmp_path / "ppo", "ppo", dataset="polite_prompts",
                                      reward_model=str(tmp_path / "rm"), max_new_tokens=4, max_steps=1,
                                      per_device_train_batch_size=2, ppo_epochs=1), tmp_path, "ppo")
    assert f"loaded adapter {tmp_path / 'rm'}" in output and f"finished: outputs in {tmp_path / 'ppo'}" in output
