"""The missing-column check looks at every row of a dataset, not only the rows max_samples keeps: a column
only later rows have is no typo."""
from __future__ import annotations

import json

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import STAGE_NEEDS
from tuneforge.core.errors import UserError
from tuneforge.data.load import load_data


def _write(tmp_path, column: str):
    rows = [{"conversations": [{"from": "human", "value": f"q{i}"}, {"from": "gpt", "value": f"a{i}"}]}
            for i in range(10)]
    rows[7]["tools"] = json.dumps([{"name": "f", "description": "d", "parameters": {"type": "object"}}])
    (tmp_path / "chat.json").write_text(json.dumps(rows))
    (tmp_path / "dataset_info.json").write_text(json.dumps({"chat": {
        "file_name": "chat.json", "formatting": "sharegpt",
        "columns": {"messages": "conversations", "tools": column}}}))


def test_a_column_only_rows_left_out_by_max_samples_have_is_accepted(tmp_path):
    _write(tmp_path, "tools")
    splits = load_data(DataConfig(dataset="chat", dataset_dir=str(tmp_path), max_samples=3),
                       stage=STAGE_NEEDS["sft"], seed=0)
    assert len(splits.train) == 3


def test_a_column_no_row_has_is_a_typo(tmp_path):
    _write(tmp_path, "tool")
    with pytest.raises(UserError, match=r"chat.json:1: tool — column not found in the data \(named by "
                                        r"columns.tools in dataset_info.json\); the rows have: conversations, tools"):
        load_data(DataConfig(dataset="chat", dataset_dir=str(tmp_path), max_samples=3), stage=STAGE_NEEDS["sft"],
                  seed=0)
