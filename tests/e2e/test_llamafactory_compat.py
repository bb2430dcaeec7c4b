"""Definition of done 7: LLaMA-Factory's example YAMLs run with only the model path (and where outputs and
data live) swapped, on its own demo data and dataset_info.json."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import tuneforge
from tests.conftest import LF_FIXTURES, needs_lf_fixtures
from tests.e2e.helpers import logged_losses
from tuneforge.artifacts.run_dir import RunDir

EXAMPLES = ["train_lora/qwen3_lora_sft.yaml", "train_full/qwen3_full_sft.yaml", "train_lora/qwen3_lora_pretrain.yaml"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_llamafactory_example_runs(example, tiny_qwen, tmp_path):
    needs_lf_fixtures()
    overrides = {"model_name_or_path": str(tiny_qwen), "dataset_dir": str(LF_FIXTURES),
                 "output_dir": str(tmp_path / "out"), "max_steps": 3, "logging_steps": 1,
                 "max_samples": 16, "cutoff_len": 256, "dataloader_num_workers": 0}
    if "full_sft" in example:
        overrides["deepspeed"] = None  # DeepSpeed ZeRO-3 belongs to the scale issue; everything else unchanged
    run = tuneforge.train(LF_FIXTURES / "examples" / example, overrides)
    assert len(logged_losses(run.path)) == 3
    assert run.info["finished"] is True


def test_llamafactory_kto_example_runs_through_the_cli_at_batch_size_one(tiny_qwen, tmp_path):
    """LF's KTO example trains 1 × 8 accumulated, which TRL's KTOTrainer refuses (its KL term needs a neighbour in
    the device batch): it runs as 2 × 4, the same 8 examples per update, and records the user's config."""
    needs_lf_fixtures()
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "tuneforge.cli.main", "train",
         str(LF_FIXTURES / "examples" / "train_lora" / "qwen3_lora_kto.yaml"), f"model_name_or_path={tiny_qwen}",
         f"dataset_dir={LF_FIXTURES}", f"output_dir={out}", "max_steps=2", "logging_steps=1", "max_samples=32",
         "cutoff_len=512", "dataloader_num_workers=0"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "1 × 8 accumulated runs as 2 × 4" in result.stderr
    rows = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    steps = [row for row in rows if "loss" in row and "train_runtime" not in row]
    assert len(steps) == 2 and all("kl" in row and "rewards/chosen" in row for row in steps)
    assert json.loads((out / "trainer_state.json").read_text())["train_batch_size"] == 2
    saved = RunDir(out).run_config().train
    assert (saved.per_device_train_batch_size, saved.gradient_accumulation_steps) == (1, 8)
    assert RunDir(out).info["finished"] is True
