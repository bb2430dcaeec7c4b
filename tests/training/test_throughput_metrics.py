"""Issue 18, definition of done 0: LLaMA-Factory's throughput keys run unchanged —
`include_num_input_tokens_seen: non_padding` (transformers' own value) and `include_effective_tokens_per_second:
true` (LF's metric) — and their figures land in all_results.json as in LF."""
from __future__ import annotations

import json

import pytest

from tests.conftest import sft_config


def test_lf_throughput_keys_report_tokens_seen_and_effective_tokens_per_second(tiny_qwen, tmp_path):
    import yaml

    from tuneforge.cli.main import main

    out = tmp_path / "run"
    config = tmp_path / "bench.yaml"
    config.write_text(yaml.safe_dump(sft_config(tiny_qwen, out, num_train_epochs=1, max_samples=16,
                                                include_num_input_tokens_seen="non_padding",
                                                include_effective_tokens_per_second=True)))
    assert main(["train", str(config)]) == 0
    results = json.loads((out / "all_results.json").read_text())
    tokens = results["num_input_tokens_seen"]  # transformers' count, batch by batch
    assert tokens > 0
    # LF's definition: the training set's tokens (counted from the encoded set) × epochs ÷ runtime (one device).
    # Over one epoch the non-padding tokens transformers saw are exactly those tokens: two counts agree.
    expected = tokens * results["epoch"] / results["train_runtime"]
    assert results["effective_tokens_per_sec"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("value, expected", [("non_padding", "non_padding"), (True, "all"), ("all", "all"),
                                             (False, "no"), ("no", "no")])
def test_include_num_input_tokens_seen_takes_transformers_values(value, expected, tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config

    cfg = load_run_config(sft_config(tiny_qwen, tmp_path, include_num_input_tokens_seen=value))
    assert cfg.train.to_training_arguments()["include_num_input_tokens_seen"] == expected


def test_bad_tokens_seen_value_and_effective_rate_without_a_size_are_refused(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="include_num_input_tokens_seen.*not one of: all, non_padding, no"):
        load_run_config(sft_config(tiny_qwen, tmp_path, include_num_input_tokens_seen="some"))
    with pytest.raises(UserError, match="include_effective_tokens_per_second.*a stream has no size"):
        load_run_config(sft_config(tiny_qwen, tmp_path, include_effective_tokens_per_second=True, streaming=True,
                                   max_steps=3))


def test_dataset_tokens_counts_what_each_stage_trains_on():
    from datasets import Dataset

    from tuneforge.training.throughput import dataset_tokens

    assert dataset_tokens(Dataset.from_dict({"input_ids": [[1, 2, 3], [4]], "labels": [[1, 2, 3], [4]]})) == 4
    pairs = Dataset.from_dict({"prompt_input_ids": [[1, 2]], "chosen_input_ids": [[3]], "rejected_input_ids": [[4, 5]]})
    assert dataset_tokens(pairs) == 2 + 1 + 2 + 2  # LF counts prompt + chosen and prompt + rejected
    assert dataset_tokens(Dataset.from_dict({"prompt_input_ids": [[1]], "completion_input_ids": [[2, 3]]})) == 3
    assert dataset_tokens(Dataset.from_dict({"index": [0, 1]})) is None
