"""Batch predict end to end: `tuneforge predict` and `tuneforge train` with an LLaMA-Factory-style predict YAML
write one generated_predictions.jsonl row per sample (prompt, predict, label) and scores that equal the
metrics recomputed independently from those rows; batching does not change greedy predictions; rows are
written as they finish (a killed run leaves complete rows, a new run never mixes in old ones), with a
progress bar and a warning when most replies never stop."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import DATA_DIR
from tuneforge.cli.main import main

KEYS = ("predict_bleu-4", "predict_rouge-1", "predict_rouge-2", "predict_rouge-l", "predict_runtime",
        "predict_samples_per_second", "predict_steps_per_second", "predict_reached_max_new_tokens")


def _rows(folder):
    return [json.loads(line) for line in (folder / "generated_predictions.jsonl").read_text().splitlines()]


def _labels(n: int) -> list[str]:
    identity = json.loads((DATA_DIR / "identity.json").read_text())[:n]
    alpaca = json.loads((DATA_DIR / "alpaca_sample.json").read_text())[:n]
    return [row["output"] for row in identity + alpaca]


def test_predict_command_writes_rows_and_matching_scores(tiny_qwen, tmp_path, caplog):
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
    # The random tiny model never ends a reply: every one ran to max_new_tokens, and the run says so once.
    assert results["predict_reached_max_new_tokens"] == 1.0
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [(
        "8 of 8 predictions (100%) reached max_new_tokens=8 without a stop token: a model that never ends its "
        "reply usually runs with another template than it was trained with (check `template`), or was not "
        "trained enough; if the replies are just long, raise max_new_tokens (lower it to finish sooner)")]

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


def test_unstopped_warning_only_when_most_replies_never_stop():
    from tuneforge.evaluate.predict import unstopped_warning

    assert unstopped_warning(5, 10, 1024) is None and unstopped_warning(0, 0, 1024) is None
    assert unstopped_warning(6, 10, 1024).startswith(
        "6 of 10 predictions (60%) reached max_new_tokens=1024 without a stop token: ")


def test_killed_predict_leaves_its_finished_rows_complete(tiny_qwen, tmp_path):
    out = tmp_path / "pred"
    out.mkdir()
    # What an earlier run left: its rows and scores must not survive into this run's files.
    (out / "generated_predictions.jsonl").write_text(json.dumps({"prompt": "old", "predict": "old",
                                                                 "label": "old"}) + "\n")
    (out / "predict_results.json").write_text(json.dumps({"predict_bleu-4": 99.0}))
    stderr = (tmp_path / "stderr.txt").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "tuneforge.cli.main", "predict", str(tiny_qwen), "--dataset", "identity,alpaca_sample",
         "--dataset_dir", str(DATA_DIR), "template=qwen", "do_sample=false", "max_new_tokens=600",
         "--output_dir", str(out)], stdout=subprocess.DEVNULL, stderr=stderr, env={**os.environ})
    predictions = out / "generated_predictions.jsonl"
    try:
        deadline = time.time() + 240
        while not (predictions.is_file() and predictions.read_text().count("\n") >= 2):
            assert process.poll() is None and time.time() < deadline, "predict ended before writing 2 rows"
            time.sleep(0.2)
        assert process.poll() is None, "predict finished before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = predictions.read_text()
    assert text.endswith("\n")
    rows = [json.loads(line) for line in text.splitlines()]
    assert 2 <= len(rows) < 49
    assert [r["label"] for r in rows] == _labels(49)[:len(rows)]  # this run's rows, in order, nothing older
    assert all(list(r) == ["prompt", "predict", "label"] and r["predict"] for r in rows)
    assert not (out / "predict_results.json").exists()
    stderr.seek(0)
    progress = stderr.read()
    assert "replacing the earlier predictions in" in progress
    assert re.search(r"predict: +\d+%\|.*\| \d+/49 \[\d\d:\d\d<\d\d:\d\d", progress), progress[-2000:]
