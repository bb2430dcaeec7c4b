"""A bad row deep in a large file (row 50,000 of 60,000) stops the run with that file:row before any model
loads: encoded in one process or two, or streamed."""
from __future__ import annotations

import json

import pytest

import tuneforge
from tests.conftest import sft_config
from tuneforge.core.errors import UserError

BAD_ROW = 50_000


@pytest.fixture(scope="module")
def large_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / "rows.jsonl"
    with open(path, "w") as handle:
        for n in range(1, 60_001):
            row = {"instruction": f"question {n}", "output": f"answer {n}"}
            if n == BAD_ROW:
                row["output"] = 5  # a number where the answer's text belongs
            handle.write(json.dumps(row) + "\n")
    return path


@pytest.mark.parametrize("keys", [{"preprocessing_num_workers": 1}, {"preprocessing_num_workers": 2},
                                  {"streaming": True, "max_steps": 5}], ids=["serial", "two-workers", "streaming"])
def test_a_bad_row_deep_in_a_large_file_stops_the_run_before_the_model_loads(tiny_qwen, large_file, tmp_path,
                                                                            monkeypatch, keys):
    from tuneforge.training.stages import common

    def no_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the bad row was reported")

    monkeypatch.setattr(common, "load_policy", no_model)
    with pytest.raises(UserError) as caught:
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "out", dataset=str(large_file), cutoff_len=64, **keys))
    error = caught.value
    assert (error.file, error.row, error.field) == (str(large_file), BAD_ROW, "output")
    assert f"rows.jsonl:{BAD_ROW}: output — expected text, got int" in str(error)
    assert not (tmp_path / "out").exists()
