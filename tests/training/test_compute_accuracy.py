"""Issue 18, definition of done 2 (compute_accuracy): eval_accuracy is LLaMA-Factory's ComputeAccuracy — per
evaluation example, the share of its trained tokens whose top prediction (logits at t for the label at t+1) is
right, averaged over the examples — recomputed here from plain transformers' logits on the same examples."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import sft_config


def test_eval_accuracy_is_the_mean_per_example_token_accuracy(tiny_qwen, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    import tuneforge
    from tuneforge.config.load import load_run_config
    from tuneforge.training.prepare import prepare_data

    config = sft_config(tiny_qwen, tmp_path / "run", dataset="identity", val_size=0.2, do_eval=True,
                        compute_accuracy=True, max_steps=6, learning_rate=5e-3, per_device_eval_batch_size=4)
    run = tuneforge.train(config).path
    results = json.loads((run / "all_results.json").read_text())
    assert 0 < results["eval_accuracy"] <= 1

    from peft import PeftModel

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_qwen)), str(run)).eval()
    examples = prepare_data(load_run_config(config)).eval
    per_example = []
    with torch.no_grad():
        for row in examples:
            logits = model(input_ids=torch.tensor([row["input_ids"]])).logits[0].numpy()
            pred, label = logits.argmax(-1)[:-1], np.asarray(row["labels"])[1:]
            mask = label != -100
            per_example.append(np.mean(pred[mask] == label[mask]))
    assert len(per_example) >= 2
    assert results["eval_accuracy"] == pytest.approx(float(np.mean(per_example)), abs=1e-6)
    logged = [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]
    assert [r["eval_accuracy"] for r in logged if "eval_accuracy" in r] == [results["eval_accuracy"]]  # logged too


def test_compute_accuracy_without_an_evaluation_or_on_another_stage_is_refused(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="compute_accuracy — needs an evaluation"):
        load_run_config(sft_config(tiny_qwen, tmp_path, compute_accuracy=True))
    with pytest.raises(UserError, match="compute_accuracy — applies to stages pt and sft, not dpo"):
        load_run_config(sft_config(tiny_qwen, tmp_path, compute_accuracy=True, stage="dpo", dataset="dpo_en_demo",
                                   do_eval=True, val_size=0.2))
