"""`tuneforge preview-data` goes through training's own first step (`prepare.load_inputs`) and encoding
(`prepare.encode_inputs`): it refuses what training refuses, with the same message, and shows what training
encodes — also with resize_vocab, and from a tokenized_path."""
from __future__ import annotations

import subprocess
import sys

import pytest

import tuneforge
from tests.conftest import sft_config
from tuneforge.cli.preview import highlight, preview
from tuneforge.config.load import load_run_config
from tuneforge.core.errors import UserError
from tuneforge.core.io import write_json_atomic
from tuneforge.training.prepare import prepare_data


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tuneforge.cli.main", *args], capture_output=True, text=True,
                          timeout=300)


def _error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


def test_preview_and_train_give_the_same_error_for_a_template_the_tokenizer_lacks(tiny_llama, tmp_path):
    config = tmp_path / "qwen_on_llama.json"  # a llama3 tokenizer has no <|im_end|> for the qwen template
    write_json_atomic(config, sft_config(tiny_llama, tmp_path / "out", dataset="identity"))
    from_preview = _error_line(_cli("preview-data", str(config)))
    from_train = _error_line(_cli("train", str(config)))
    assert from_preview == from_train
    assert "no token <|im_end|>" in from_train and "resize_vocab: true" in from_train
    assert not (tmp_path / "out").exists()


def test_with_resize_vocab_preview_shows_what_training_encodes(tiny_llama):
    cfg = load_run_config(sft_config(tiny_llama, "unused", dataset="identity", resize_vocab=True))
    shown = preview(cfg, n=2)
    trained = prepare_data(cfg)  # what `tuneforge train` feeds the Trainer
    assert "<|im_end|>" in trained.added_tokens
    for feature in trained.train.select(range(2)):
        assert highlight(trained.tokenizer, feature["input_ids"], feature["labels"], color=False) in shown
    assert "⟦I am Forge, an AI assistant made by the tuneforge team.<|im_end|>" in shown  # one added token
    assert f"dataset: {trained.train_stats.summary()}" in shown
    assert f"added tokens (resize_vocab): {', '.join(trained.added_tokens)}" in shown


def test_preview_reads_the_tokenized_path_training_would_read(tiny_qwen, tmp_path):
    encoded = tmp_path / "encoded"
    keys = sft_config(tiny_qwen, tmp_path / "out", dataset="identity", tokenized_path=str(encoded))
    assert tuneforge.train(keys) is None  # the first run only encodes
    cfg = load_run_config({**keys, "dataset": "alpaca_sample"})  # training ignores the dataset now
    shown = preview(cfg, n=1)
    first = prepare_data(cfg).train[0]
    assert f"{encoded} sequence 0 · {len(first['input_ids'])} tokens" in shown
    assert "I am Forge" in shown and "dataset: 20 encoded sequences read from" in shown


def test_preview_names_the_stages_it_shows(tiny_qwen):
    cfg = load_run_config(sft_config(tiny_qwen, "unused", stage="dpo", dataset="dpo_sample"))
    with pytest.raises(UserError, match="preview-data shows the data of stages pt/sft"):
        preview(cfg, n=1)
