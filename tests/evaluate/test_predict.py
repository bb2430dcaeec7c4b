"""Batch predict end to end: `tuneforge predict` and `tuneforge train` with an LLaMA-Factory-style predict YAML
write one generated_predictions.jsonl row per sample (prompt, predict, label) and scores that equal the
metrics recomputed independently from those rows; batching does not change greedy predictions."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import DATA_DIR
from tuneforge.cli.main import main

KEYS = ("predict_bleu-4", "predict_rouge-1", "predict_rouge-2", "predict_rouge-l", "predict_runtime",
        "predict_samples_per_second", "predict_steps_per_second")


def _rows(folder):
    return [json.loads(line) for line in (folder / "generated_predictions.jsonl").read_text().splitlines()]


def _labels(n: int) -> list[str]:
    identity = json.loads((DATA_DIR / "identity.json").read_text())[:n]
    alpaca = json.loads((DATA_DIR / "alpaca_sample.json").read_text())[:n]
    return [row["output"] for row in identity + alpaca]


def test_predict_command_writes_rows_and_matching_scores(tiny_qwen, tmp_path):
    from tuneforge.evaluate.metrics import mean_similarity

    out = tmp_path / "pred"
    code = main(["predict", str(tiny_qwen), "--dataset", "identity,alpaca_sample", "--dataset_dir", str(DATA_DIR),
                 "template=qwen", "do_sample=false", "max_new_tokens=8", "--max_samples", "4",
                 "--output_dir", str(out), "--per_device_eval_batch_size", "3", "--disable_tqdm", "true"])
    assert code == 0
    rows = _rows(out)
    assert len(rows) == 8 and all(list(r) == ["prompt", "predict", "label"] for r in rows)
    assert [r["label"] for r in rows] == _labels(4)
    assert rows[0]["prompt"].endswith("<|im_start|>assistant\n") and "Who are you?" in rows[0]["prompt"]
    results = json.loads((out / "predict_results.json").read_text())
    assert set(results) == set(KEYS)
    recomputed = mean_similarity([r["predict"] for r in rows], [r["label"] for r in rows])
    assert {k: results[f"predict_{k}"] for k in recomputed} == pytest.approx(recomputed)
    assert json.loads((out / "all_results.json").read_text()) == results

    # The same predictions one by one: batching (left padding) changes nothing under greedy decoding.
    single = tmp_path / "single"
    assert main(["predict", str(tiny_qwen), "--dataset", "identity,alpaca_sample", "--dataset_dir",
                 str(DATA_DIR), "template=qwen", "do_sample=false", "max_new_tokens=8", "--max_samples", "4",
                 "--output_dir", str(single), "--disable_tqdm", "true"]) == 0
    assert [r["predict"] for r in _rows(single)] == [r["predict"] for r in rows]


def test_train_with_a_predict_yaml_runs_prediction(tiny_qwen, tmp_path):
    config = yaml.safe_load((DATA_DIR.parent / "examples/predict.yaml").read_text())
    config.pop("adapter_name_or_path")
    config.update(model_name_or_path=str(tiny_qwen), dataset_dir=str(DATA_DIR), output_dir=str(tmp_path / "out"),
                  max_samples=3, max_new_tokens=6, eval_dataset="identity", disable_tqdm=True)
    path = tmp_path / "predict.yaml"
    path.write_text(yaml.safe_dump(config))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "all_results.json").write_text(json.dumps({"train_loss": 1.5}))
    assert main(["train", str(path)]) == 0
    assert len(_rows(tmp_path / "out")) == 3
    merged = json.loads((tmp_path / "out" / "all_results.json").read_text())
    assert merged["train_loss"] == 1.5 and set(KEYS) <= set(merged)


def test_predict_errors_are_one_line_before_loading(tiny_qwen, tmp_path, capsys):
    assert main(["predict", str(tiny_qwen), "--dataset", "no_such_set", "--dataset_dir", str(DATA_DIR),
                 "--output_dir", str(tmp_path / "o")]) == 2
    assert "no_such_set" in capsys.readouterr().err
    assert main(["predict", str(tiny_qwen), "--dataset", "identity", "--dataset_dir", str(DATA_DIR)]) == 2
    assert "output_dir — is required" in capsys.readouterr().err
