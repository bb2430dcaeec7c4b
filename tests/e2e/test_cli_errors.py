"""Definition of done 8: bad input gives one line naming the file/row/field or key, exit code 2, no
traceback — before any model loads (the model folder here has corrupt weights, so loading it would fail
differently)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR


@pytest.fixture(scope="module")
def broken_weights_model(tiny_qwen, tmp_path_factory) -> Path:
    model = tmp_path_factory.mktemp("broken") / "model"
    shutil.copytree(tiny_qwen, model)
    (model / "model.safetensors").write_bytes(b"not weights")
    return model


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tuneforge.cli.main", *args], capture_output=True, text=True,
                          timeout=300)


def write_dataset(tmp_path: Path, name: str, content: str, entry: dict | None = None) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / f"{name}.json").write_text(content)
    info = {name: entry or {"file_name": f"{name}.json"}}
    (data / "dataset_info.json").write_text(json.dumps(info))
    return data


def train_args(model: Path, data: Path, tmp_path: Path, dataset: str, **extra: str) -> list[str]:
    args = ["train", f"model_name_or_path={model}", f"dataset={dataset}", f"dataset_dir={data}", "template=qwen",
            f"output_dir={tmp_path / 'out'}"]
    return args + [f"{k}={v}" for k, v in extra.items()]


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_malformed_json(broken_weights_model, tmp_path):
    data = write_dataset(tmp_path, "bad", '[\n  {"instruction": "hi", "output": "yo"},\n  {"instruction": \n]')
    result = run_cli(*train_args(broken_weights_model, data, tmp_path, "bad"))
    assert_one_line_error(result, "bad.json:4", "malformed JSON")


def test_roles_out_of_order(broken_weights_model, tmp_path):
    rows = [{"conversations": [{"from": "human", "value": "a"}, {"from": "gpt", "value": "b"}]},
            {"conversations": [{"from": "human", "value": "a"}, {"from": "human", "value": "b"}]}]
    data = write_dataset(tmp_path, "chat", json.dumps(rows), {"file_name": "chat.json", "formatting": "sharegpt"})
    result = run_cli(*train_args(broken_weights_model, data, tmp_path, "chat"))
    assert_one_line_error(result, "chat.json:2", "conversations")


def test_missing_column(broken_weights_model, tmp_path):
    data = write_dataset(tmp_path, "cols", json.dumps([{"question": "q", "output": "a"}]),
                         {"file_name": "cols.json", "columns": {"prompt": "instruction", "response": "output"}})
    result = run_cli(*train_args(broken_weights_model, data, tmp_path, "cols"))
    assert_one_line_error(result, "cols.json", "instruction")


def test_empty_file(broken_weights_model, tmp_path):
    data = write_dataset(tmp_path, "empty", "")
    result = run_cli(*train_args(broken_weights_model, data, tmp_path, "empty"))
    assert_one_line_error(result, "empty.json", "empty")


def test_unknown_dataset_name(broken_weights_model, tmp_path):
    result = run_cli(*train_args(broken_weights_model, DATA_DIR, tmp_path, "identiti"))
    assert_one_line_error(result, "dataset", "identiti", "identity")


def test_unknown_template(broken_weights_model, tmp_path):
    result = run_cli(*train_args(broken_weights_model, DATA_DIR, tmp_path, "identity", template="qwen9"))
    assert_one_line_error(result, "template", "qwen9")


def test_unknown_yaml_key(broken_weights_model, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"model_name_or_path: {broken_weights_model}\ndataset: identity\nlerning_rate: 0.1\n")
    result = run_cli("train", str(config))
    assert_one_line_error(result, str(config), "lerning_rate", "learning_rate")


def test_override_errors_name_the_command_line_and_come_with_every_other_mistake(broken_weights_model, tmp_path):
    config = tmp_path / "my.yaml"
    config.write_text(f"model_name_or_path: {broken_weights_model}\ndataset: identity\noutput_dir: o\n"
                      "lora_dropout: 2\n")
    result = run_cli("train", str(config), "stage=sftt", "learning_rate=abc", "--lora_rank", "-1")
    assert_one_line_error(result)
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: 4 errors: command line: learning_rate — expected a number, got 'abc' | command line: lora_rank — "
        f"must be at least 1 | {config}: lora_dropout — must be in [0, 1) | command line: stage — 'sftt' is not one "
        f"of: pt, sft, rm, ppo, dpo, kto, grpo (did you mean 'sft'?)")


def test_a_tracker_whose_package_is_missing_is_named_before_anything_loads(broken_weights_model, tmp_path):
    from importlib.util import find_spec

    if find_spec("wandb") or find_spec("mlflow"):
        pytest.skip("needs an environment without wandb and mlflow")
    result = run_cli(*train_args(broken_weights_model, DATA_DIR, tmp_path, "identity", report_to="wandb,mlflow"))
    assert_one_line_error(result)
    assert result.stderr.strip().splitlines()[-1] == \
        "error: report_to — needs the wandb and mlflow packages: pip install wandb mlflow"
    result = run_cli(*train_args(broken_weights_model, DATA_DIR, tmp_path, "identity", report_to="wandbb"))
    assert_one_line_error(result, "report_to — unknown tracker 'wandbb' (did you mean 'wandb'?); one of: none, all, ")
    assert not (tmp_path / "out").exists()


def test_missing_model_path(tmp_path):
    result = run_cli(*train_args(tmp_path / "no-such-model", DATA_DIR, tmp_path, "identity"))
    assert_one_line_error(result, "no-such-model", "model_name_or_path")


def test_non_empty_output_dir_is_not_overwritten(tiny_qwen, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = run_cli(*train_args(tiny_qwen, DATA_DIR, tmp_path, "identity"))
    assert_one_line_error(result, "output_dir", "overwrite_output_dir")
    assert (out / "notes.txt").read_text() == "mine"


def test_help_and_version():
    result = run_cli("train", "-h")
    assert result.returncode == 0 and "lora_rank (int, default 8)" in result.stdout
    assert run_cli("version").stdout.startswith("tuneforge ")
    unknown = run_cli("trian")
    assert unknown.returncode == 2 and "did you mean 'train'" in unknown.stderr
