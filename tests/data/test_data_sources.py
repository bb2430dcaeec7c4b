"""Where rows come from: dataset_info.json entries, bare file and folder paths, CSV/Parquet, the hub."""
from __future__ import annotations

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import stage_needs
from tuneforge.core.errors import UserError
from tuneforge.data.dataset_info import load_dataset_specs
from tuneforge.data.example import Conversation, Origin, PreferencePair, Text
from tuneforge.data.load import load_data

ALPACA = [{"instruction": f"q{i}", "input": "", "output": f"a{i}"} for i in range(3)]


def _train(dataset_dir, name, stage="sft", **kwargs):
    return load_data(DataConfig(dataset=name, dataset_dir=str(dataset_dir), **kwargs), stage=stage_needs(stage), seed=0).train


@pytest.mark.parametrize("file_name,rows,formatting", [
    ("a.json", ALPACA, "alpaca"),
    ("s.jsonl", [{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}], "sharegpt"),
    ("o.json", [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}], "openai"),
    ("t.jsonl", [{"text": "plain"}], "text"),
    ("w.txt", "one\ntwo\n", "text"),
])
def test_a_path_needs_no_dataset_info(make_data, tmp_path, file_name, rows, formatting):
    d = make_data(None, {file_name: rows})
    (spec,) = load_dataset_specs([str(d / file_name)], dataset_dir=str(tmp_path / "nowhere"))
    assert spec.formatting == formatting
    relative = load_dataset_specs([file_name], dataset_dir=str(d))[0]  # also found inside dataset_dir
    assert relative.path == spec.path
    stage = "pt" if formatting == "text" else "sft"
    assert _train(d, str(d / file_name), stage)


def test_inferred_ranking_and_kto_paths(make_data):
    d = make_data(None, {
        "p.json": [{"conversations": [{"from": "human", "value": "q"}], "chosen": {"from": "gpt", "value": "y"},
                    "rejected": {"from": "gpt", "value": "n"}}],
        "k.json": [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
                    "label": False}],
    })
    assert isinstance(_train(d, str(d / "p.json"), "dpo")[0], PreferencePair)
    assert _train(d, str(d / "k.json"), "kto")[0].label is False


def test_folder_of_files_loads_in_name_order(make_data):
    d = make_data({"parts": {"file_name": "parts"}}, {
        "parts/b.json": ALPACA[1:], "parts/a.jsonl": ALPACA[:1]})
    examples = _train(d, "parts")
    assert [str(e.source) for e in examples] == [f"{d / 'parts' / 'a.jsonl'}:1", f"{d / 'parts' / 'b.json'}:1",
                                            f"{d / 'parts' / 'b.json'}:2"]
    assert _train(d, str(d / "parts")) == examples  # the folder as a bare path too


def test_csv_and_parquet_through_datasets(make_data):
    import datasets

    d = make_data({"c": {"file_name": "t.csv"}, "p": {"file_name": "t.parquet", "formatting": "text"}},
                  {"t.csv": "instruction,input,output\nq1,,a1\nq2,x,a2\n"})
    datasets.Dataset.from_dict({"text": ["doc a", "doc b"]}).to_parquet(str(d / "t.parquet"))
    csv_examples = _train(d, "c")
    assert [e.messages for e in csv_examples] == [
        ({"role": "user", "content": "q1"}, {"role": "assistant", "content": "a1"}),
        ({"role": "user", "content": "q2\nx"}, {"role": "assistant", "content": "a2"})]
    assert str(csv_examples[1].source) == f"{d / 't.csv'}:2"
    assert _train(d, "p", "pt") == [Text("doc a", Origin(str(d / "t.parquet"), 1)),
                                    Text("doc b", Origin(str(d / "t.parquet"), 2))]


def test_hub_dataset_offline_is_one_clear_error(lf_dir, monkeypatch):
    import datasets
    import huggingface_hub.constants

    # Offline mode makes the failure immediate instead of retrying DNS for ~25 s.
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError) as err:
        _train(lf_dir, "alpaca_en")
    message = str(err.value)
    assert message.startswith(f"{lf_dir / 'dataset_info.json'}: dataset alpaca_en — could not fetch "
                              "'llamafactory/alpaca_en' from the Hugging Face Hub (")
    assert "offline" in message and "file_name" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__  # no traceback from inside datasets


def test_sft_conversations_type(make_data):
    d = make_data({"a": {"file_name": "a.json"}}, {"a.json": ALPACA})
    assert all(isinstance(e, Conversation) for e in _train(d, "a"))


def test_an_origin_places_a_later_error_at_its_file_and_row():
    placed = Origin("data/a.json", 7).locate(UserError("the template rejects it", field="messages"))
    assert placed.format() == "data/a.json:7: messages — the template rejects it"
    already = UserError("bad", file="other.json", row=2)
    assert Origin("data/a.json", 7).locate(already) is already  # an error that knows its place keeps it
    assert str(Origin("hub/ds", None)) == "hub/ds" and str(Origin("a.jsonl", 3)) == "a.jsonl:3"
