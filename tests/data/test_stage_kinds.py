"""The data and encode layers decide by the kind of example a stage declares, never by its name: a stage that
is not in the registry, given only a StageNeeds, gets the right examples, packing and messages."""
from __future__ import annotations

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import STAGE_NEEDS, ExampleKind, StageNeeds, stages_taking
from tuneforge.core.errors import UserError
from tuneforge.data.example import Conversation, KTOExample, PreferencePair, Text
from tuneforge.data.load import load_data
from tuneforge.encode.options import EncodeOptions

ROWS = [{"instruction": "hi", "output": "hello", "good": True}]
PAIRS = [{"instruction": "hi", "chosen": "hello", "rejected": "go away"}]


def _data(make_data):
    return make_data({"plain": {"file_name": "plain.json"},
                      "labelled": {"file_name": "plain.json", "columns": {
                          "prompt": "instruction", "response": "output", "kto_tag": "good"}},
                      "pairs": {"file_name": "pairs.json", "ranking": True, "columns": {
                          "prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}}},
                     {"plain.json": ROWS, "pairs.json": PAIRS})


def _load(d, name: str, stage: StageNeeds):
    return load_data(DataConfig(dataset=name, dataset_dir=str(d)), stage=stage, seed=0).train


@pytest.mark.parametrize(("kind", "dataset", "example_type"), [
    (ExampleKind.TEXT, "plain", Text), (ExampleKind.CONVERSATION, "plain", Conversation),
    (ExampleKind.PAIR, "pairs", PreferencePair), (ExampleKind.KTO, "labelled", KTOExample),
])
def test_a_new_stage_gets_the_examples_of_its_kind(make_data, kind, dataset, example_type):
    stage = StageNeeds("brand_new", kind, "a stage no code names")
    [example] = _load(_data(make_data), dataset, stage)
    assert type(example) is example_type
    if kind is ExampleKind.KTO:
        assert example.label is True
    if kind is ExampleKind.TEXT:  # text stages read the prompt only
        assert example.text == "hi"


def test_messages_name_the_stage_and_the_stages_that_could_use_the_dataset(make_data):
    d = _data(make_data)
    with pytest.raises(UserError) as err:
        _load(d, "pairs", StageNeeds("brand_new", ExampleKind.CONVERSATION, ""))
    assert "stage brand_new cannot use it, only stages rm/dpo" in str(err.value)
    with pytest.raises(UserError) as err:
        _load(d, "plain", StageNeeds("brand_new", ExampleKind.KTO, ""))
    assert "stage brand_new needs a kto_tag column" in str(err.value)


def test_the_registry_declares_what_each_stage_needs():
    assert stages_taking(ExampleKind.PAIR) == ("rm", "dpo")
    assert {n for n, need in STAGE_NEEDS.items() if need.packs_by_default} == {"pt"}
    assert {n for n, need in STAGE_NEEDS.items() if not need.uses_template} == {"pt"}
    assert {n for n, need in STAGE_NEEDS.items() if need.tokenized_path} == {"pt", "sft"}


@pytest.mark.parametrize(("packing", "neat", "default", "expected"), [
    (None, False, True, True), (None, False, False, False), (False, False, True, False),
    (True, False, False, True), (None, True, False, True),
])
def test_packing_follows_the_stage_default_unless_the_config_says(packing, neat, default, expected):
    stage = StageNeeds("s", ExampleKind.TEXT, "", packs_by_default=default)
    options = EncodeOptions.from_config(DataConfig(packing=packing, neat_packing=neat), stage)
    assert options.packing is expected and options.kind is ExampleKind.TEXT
