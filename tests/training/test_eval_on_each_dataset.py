"""Issue 18, definition of done 2 (eval_on_each_dataset): one metric set per eval dataset, named as
LLaMA-Factory names them (eval_<dataset>_loss, eval_<dataset>_accuracy, …), each computed on that dataset's
rows only — recomputed here from plain transformers on the same encoded rows."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import sft_config

EVAL = "identity,alpaca_sample"


@pytest.mark.slow
def test_sft_reports_loss_and_accuracy_per_eval_dataset(tiny_qwen, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    import tuneforge
    from tuneforge.config.load import load_run_config
    from tuneforge.training.prepare import prepare_data

    config = sft_config(tiny_qwen, tmp_path / "run", dataset="sharegpt_sample", eval_dataset=EVAL,
                        eval_on_each_dataset=True, do_eval=True, compute_accuracy=True, max_samples=6,
                        max_steps=4, per_device_eval_batch_size=1)
    run = tuneforge.train(config).path
    results = json.loads((run / "all_results.json").read_text())
    assert "eval_loss" not in results  # no merged set: one per dataset
    evaluation = prepare_data(load_run_config(config)).eval
    assert sorted(evaluation) == ["alpaca_sample", "identity"]
    assert {name: len(rows) for name, rows in evaluation.items()} == {"identity": 6, "alpaca_sample": 6}

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_qwen)), str(run)).eval()
    for name, rows in evaluation.items():
        losses, accuracies = [], []
        with torch.no_grad():
            for row in rows:
                ids, labels = torch.tensor([row["input_ids"]]), torch.tensor([row["labels"]])
                out = model(input_ids=ids, labels=labels)
                losses.append(float(out.loss))
                pred, target = out.logits[0].argmax(-1)[:-1].numpy(), np.asarray(row["labels"])[1:]
                mask = target != -100
                accuracies.append(np.mean(pred[mask] == target[mask]))
        # batch size 1: the Trainer's eval loss is the mean over the rows of each row's token-mean loss
        assert results[f"eval_{name}_loss"] == pytest.approx(float(np.mean(losses)), rel=1e-4)
        assert results[f"eval_{name}_accuracy"] == pytest.approx(float(np.mean(accuracies)), abs=1e-6)
    assert results["eval_identity_loss"] != pytest.approx(results["eval_alpaca_sample_loss"], rel=1e-3)
    logged = [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]
    assert any("eval_identity_loss" in r for r in logged) and any("eval_alpaca_sample_loss" in r for r in logged)


def test_encoded_per_dataset_eval_splits_round_trip_through_tokenized_path(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.training.prepare import prepare_data

    config = sft_config(tiny_qwen, tmp_path / "run", dataset="sharegpt_sample", eval_dataset=EVAL,
                        eval_on_each_dataset=True, max_samples=3, tokenized_path=str(tmp_path / "encoded"),
                        cache_dir=str(tmp_path / "cache"))
    first = prepare_data(load_run_config(config)).eval  # encodes, saves validation_<name> splits as LF does
    assert sorted(p.name for p in (tmp_path / "encoded").iterdir() if p.is_dir()) == [
        "train", "validation_alpaca_sample", "validation_identity"]
    again = prepare_data(load_run_config(config)).eval  # read back from tokenized_path
    assert {k: v["input_ids"] for k, v in again.items()} == {k: v["input_ids"] for k, v in first.items()}
    # the cache keeps the parts apart too: a run without tokenized_path maps the same entry
    cached = prepare_data(load_run_config({**config, "tokenized_path": None})).eval
    assert {k: len(v) for k, v in cached.items()} == {"identity": 3, "alpaca_sample": 3}


def test_eval_on_each_dataset_needs_eval_datasets_and_no_stream(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="eval_on_each_dataset — needs eval_dataset"):
        load_run_config(sft_config(tiny_qwen, tmp_path, eval_on_each_dataset=True, val_size=0.2))
    with pytest.raises(UserError, match="eval_on_each_dataset — is not supported with streaming"):
        load_run_config(sft_config(tiny_qwen, tmp_path, eval_on_each_dataset=True, eval_dataset=EVAL,
                                   streaming=True, max_steps=2))
    with pytest.raises(UserError, match="eval_on_each_dataset — applies to stages pt and sft, not dpo"):
        load_run_config(sft_config(tiny_qwen, tmp_path, eval_on_each_dataset=True, eval_dataset="dpo_sample",
                                   stage="dpo", dataset="dpo_sample"))
