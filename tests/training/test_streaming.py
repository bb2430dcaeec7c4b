"""streaming: true trains max_steps on a JSONL file read lazily, mixes two streams in the asked proportions,
and resumes from a checkpoint at the stream position an uninterrupted run would be at."""
from __future__ import annotations

import json
import shutil

import pytest

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import logged_losses
from tuneforge.config.load import load_run_config
from tuneforge.core.errors import UserError
from tuneforge.training.prepare import prepare_data


def _rows(path, word: str, count: int):
    with open(path, "w") as handle:
        for i in range(count):
            handle.write(json.dumps({"instruction": f"say {word} number {i}", "output": f"{word} {i}"}) + "\n")
    return path


@pytest.fixture
def two_files(tmp_path):
    _rows(tmp_path / "alpha.jsonl", "alpha", 3000)
    _rows(tmp_path / "beta.jsonl", "beta", 3000)
    (tmp_path / "dataset_info.json").write_text(json.dumps({"alpha": {"file_name": "alpha.jsonl"},
                                                            "beta": {"file_name": "beta.jsonl"}}))
    return tmp_path


def _stream_config(model, data, out, **overrides):
    keys = dict(dataset="alpha", dataset_dir=str(data), streaming=True, buffer_size=64, max_steps=6,
                cutoff_len=64, per_device_train_batch_size=4, save_steps=1000)
    return sft_config(model, out, **{**keys, **overrides})


def test_streaming_trains_max_steps_on_a_jsonl_file(tiny_qwen, two_files, tmp_path):
    run = tuneforge.train(_stream_config(tiny_qwen, two_files, tmp_path / "out"))
    assert run.info["finished"] and run.info["train_sequences"] is None  # a stream has no known length
    assert len(logged_losses(run.path)) == 6


def test_streaming_refuses_what_it_cannot_do(tiny_qwen, two_files, tmp_path):
    with pytest.raises(UserError, match="max_steps — is required with streaming"):
        load_run_config(_stream_config(tiny_qwen, two_files, tmp_path / "o", max_steps=-1))
    with pytest.raises(UserError, match="val_size — must be a whole number of rows with streaming"):
        load_run_config(_stream_config(tiny_qwen, two_files, tmp_path / "o", val_size=0.1))
    with pytest.raises(UserError, match="streaming — is supported for stages pt/sft"):
        load_run_config(_stream_config(tiny_qwen, two_files, tmp_path / "o", stage="dpo"))
    info = json.loads((two_files / "dataset_info.json").read_text())
    info["alpha"]["num_samples"] = 10
    (two_files / "dataset_info.json").write_text(json.dumps(info))
    with pytest.raises(UserError, match="alpha.num_samples — cannot be used with streaming"):
        prepare_data(load_run_config(_stream_config(tiny_qwen, two_files, tmp_path / "o")))


def test_two_streams_mix_in_the_asked_proportions(tiny_qwen, two_files):
    cfg = load_run_config(_stream_config(tiny_qwen, two_files, "unused", dataset="alpha,beta",
                                         mix_strategy="interleave_under", interleave_probs="0.25,0.75",
                                         val_size=8))
    prepared = prepare_data(cfg)
    decode = prepared.tokenizer.decode
    seen = [decode([t for t in row["labels"] if t != -100]) for _, row in zip(range(800), prepared.train)]
    alpha = sum("alpha" in text for text in seen) / len(seen)
    assert len(seen) == 800 and alpha == pytest.approx(0.25, abs=0.04)
    assert len(prepared.eval) == 8  # val_size rows held out of the stream


def test_a_resumed_stream_continues_where_the_checkpoint_left_it(tiny_qwen, two_files, tmp_path):
    whole = tuneforge.train(_stream_config(tiny_qwen, two_files, tmp_path / "whole", max_steps=8, save_steps=4))
    losses = logged_losses(whole.path)
    checkpoint = tmp_path / "checkpoint-4"
    shutil.copytree(whole.path / "checkpoint-4", checkpoint)
    resumed = tuneforge.train(_stream_config(tiny_qwen, two_files, tmp_path / "resumed", max_steps=8, save_steps=4,
                                             resume_from_checkpoint=str(checkpoint)))
    rows = [json.loads(line) for line in (resumed.path / "trainer_log.jsonl").read_text().splitlines()]
    after = {row["current_steps"]: row["loss"] for row in rows if "loss" in row}
    assert sorted(after) == [5, 6, 7, 8]
    # The same examples as the uninterrupted run's steps 5–8 give the same losses (training is deterministic on
    # CPU); the stream read from its start again would give those of steps 1–4.
    assert [after[s] for s in (5, 6, 7, 8)] == pytest.approx(losses[4:], rel=1e-5)
    assert losses[4:] != pytest.approx(losses[:4], rel=1e-3)
