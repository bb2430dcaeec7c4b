"""Definition of done 6: LLaMA-Factory's dpo / kto / reward example YAMLs run unchanged on its demo data, with
only the model path swapped to a tiny local model (and where outputs go, plus a few steps)."""
from __future__ import annotations

import json

import pytest

import tuneforge
from tests.conftest import LF_FIXTURES, needs_lf_fixtures

EXAMPLES = {"train_lora/qwen3_lora_dpo.yaml": "rewards/margins", "train_lora/qwen3_lora_kto.yaml": "rewards/chosen",
            "train_lora/qwen3_lora_reward.yaml": "accuracy"}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_llamafactory_preference_example_runs(example, tiny_qwen, tmp_path):
    needs_lf_fixtures()
    overrides = {"model_name_or_path": str(tiny_qwen), "dataset_dir": str(LF_FIXTURES),
                 "output_dir": str(tmp_path / "out"), "max_steps": 2, "logging_steps": 1, "max_samples": 8,
                 "cutoff_len": 256, "dataloader_num_workers": 0, "gradient_accumulation_steps": 1,
                 "per_device_train_batch_size": 2}
    run = tuneforge.train(LF_FIXTURES / "examples" / example, overrides)
    rows = [json.loads(line) for line in (run.path / "trainer_log.jsonl").read_text().splitlines()]
    steps = [row for row in rows if "loss" in row and "train_runtime" not in row]
    assert len(steps) == 2 and all(EXAMPLES[example] in row for row in steps)
    assert run.info["finished"] is True and (run.path / "adapter_model.safetensors").is_file()
    assert (run.path / "training_loss.png").is_file()  # the examples set plot_loss: true
