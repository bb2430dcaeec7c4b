"""Mixing (concat / interleave), max_samples, num_samples, val_size and eval_dataset."""
from __future__ import annotations

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import stage_needs
from tuneforge.core.errors import UserError
from tuneforge.data.load import DataSplits, load_data


def _rows(tag, n):
    return [{"instruction": f"{tag}{i}", "input": "", "output": "ok"} for i in range(n)]


@pytest.fixture
def two(make_data):
    """Dataset a (3 rows) and b (5 rows)."""
    return make_data({"a": {"file_name": "a.json"}, "b": {"file_name": "b.json"},
                      "b_sampled": {"file_name": "b.json", "num_samples": 8}},
                     {"a.json": _rows("a", 3), "b.json": _rows("b", 5)})


def _load(d, dataset="a,b", stage="sft", seed=0, **kwargs) -> DataSplits:
    return load_data(DataConfig(dataset=dataset, dataset_dir=str(d), **kwargs), stage=stage_needs(stage), seed=seed)


def _ids(examples):
    return [e.messages[0]["content"] for e in examples]


def test_concat_keeps_dataset_then_row_order(two):
    splits = _load(two)
    assert _ids(splits.train) == ["a0", "a1", "a2", "b0", "b1", "b2", "b3", "b4"] and splits.eval is None


def test_interleave_under_stops_with_the_smallest(two):
    assert _ids(_load(two, mix_strategy="interleave_under").train) == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_interleave_over_repeats_until_all_are_used(two):
    ids = _ids(_load(two, mix_strategy="interleave_over").train)
    assert len(ids) == 10 and set(ids) == {"a0", "a1", "a2", "b0", "b1", "b2", "b3", "b4"}
    assert ids[:2] == ["a0", "b0"] and ids.count("a0") == 2


def test_interleave_with_probs_is_seeded(make_data):
    d = make_data({"a": {"file_name": "a.json"}, "b": {"file_name": "b.json"}},
                  {"a.json": _rows("a", 200), "b.json": _rows("b", 200)})
    kwargs = dict(mix_strategy="interleave_under", interleave_probs="0.8,0.2")
    first = _ids(_load(d, seed=1, **kwargs).train)
    assert first == _ids(_load(d, seed=1, **kwargs).train)
    assert first != _ids(_load(d, seed=2, **kwargs).train)
    share_a = sum(i.startswith("a") for i in first) / len(first)
    assert 0.7 < share_a < 0.9 and sum(i.startswith("a") for i in first) == 200  # stops when a runs out


def _config(d, **keys):
    """Through the config loader: the rules about data keys live in the config, checked before any loading."""
    from tuneforge.config.load import load_run_config

    return load_run_config({"model_name_or_path": "m", "dataset_dir": str(d), "output_dir": "o", **keys})


def test_interleave_probs_count_must_match(two):
    with pytest.raises(UserError, match="interleave_probs — 3 probabilities for 2 datasets"):
        _config(two, dataset="a,b", mix_strategy="interleave_under", interleave_probs="0.2,0.3,0.5")


def test_max_samples_takes_the_first_n_of_each_dataset(two):
    assert _ids(_load(two, max_samples=2).train) == ["a0", "a1", "b0", "b1"]


def test_num_samples_from_dataset_info_is_seeded_and_repeats_rows(two):
    ids = _ids(_load(two, dataset="b_sampled", seed=3).train)
    assert len(ids) == 8 and set(ids) == {f"b{i}" for i in range(5)}
    assert ids == _ids(_load(two, dataset="b_sampled", seed=3).train)


def test_val_size_fraction(make_data):
    d = make_data({"a": {"file_name": "a.json"}}, {"a.json": _rows("a", 20)})
    splits = _load(d, dataset="a", val_size=0.1, seed=7)
    assert len(splits.train) == 18 and len(splits.eval) == 2
    assert sorted(_ids(splits.train) + _ids(splits.eval)) == sorted(f"a{i}" for i in range(20))
    again = _load(d, dataset="a", val_size=0.1, seed=7)
    assert (_ids(again.train), _ids(again.eval)) == (_ids(splits.train), _ids(splits.eval))
    assert _ids(_load(d, dataset="a", val_size=0.1, seed=8).eval) != _ids(splits.eval)


def test_val_size_count(make_data):
    d = make_data({"a": {"file_name": "a.json"}}, {"a.json": _rows("a", 20)})
    splits = _load(d, dataset="a", val_size=5)
    assert (len(splits.train), len(splits.eval)) == (15, 5)
    with pytest.raises(UserError, match="val_size — 20 evaluation examples asked for, but there are only 20"):
        _load(d, dataset="a", val_size=20)


def test_eval_dataset_loads_separately(two):
    splits = _load(two, dataset="a", eval_dataset="b")
    assert _ids(splits.train) == ["a0", "a1", "a2"] and _ids(splits.eval) == [f"b{i}" for i in range(5)]
    with pytest.raises(UserError, match="val_size — cannot be used together with eval_dataset"):
        _config(two, dataset="a", eval_dataset="b", val_size=0.5)


def test_no_dataset_is_an_error(two):
    with pytest.raises(UserError, match="dataset — no training dataset given"):
        _load(two, dataset="")
