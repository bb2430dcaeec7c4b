"""LLaMA-Factory's own demo datasets load through its own dataset_info.json, unchanged."""
from __future__ import annotations

import json

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import stage_needs
from tuneforge.data.dataset_info import load_dataset_specs
from tuneforge.data.example import (
    Conversation,
    KTOExample,
    Origin,
    PreferencePair,
    Text,
)
from tuneforge.data.load import load_data


def _load(lf_dir, name, stage):
    return load_data(DataConfig(dataset=name, dataset_dir=str(lf_dir)), stage=stage_needs(stage), seed=0).train


@pytest.mark.parametrize("name,count", [("alpaca_en_demo", 999), ("alpaca_zh_demo", 1000), ("identity", 91)])
def test_alpaca_demos(lf_dir, name, count):
    examples = _load(lf_dir, name, "sft")
    rows = json.loads((lf_dir / f"{name}.json").read_text(encoding="utf-8"))
    assert len(examples) == len(rows) == count
    for i, (example, row) in enumerate(zip(examples, rows), start=1):
        assert isinstance(example, Conversation)
        user = "\n".join(part for part in (row["instruction"], row["input"]) if part)
        assert example.messages == ({"role": "user", "content": user},
                                    {"role": "assistant", "content": row["output"]})
        assert str(example.source) == f"{lf_dir / name}.json:{i}"


def test_glaive_toolcall_demo(lf_dir):
    examples = _load(lf_dir, "glaive_toolcall_en_demo", "sft")
    assert len(examples) == 300
    assert all(isinstance(e, Conversation) and e.messages[-1]["role"] == "assistant" for e in examples)
    with_tools = [e for e in examples if e.tools]
    assert len(with_tools) == 191
    assert all(t["type"] == "function" and "name" in t["function"] for e in with_tools for t in e.tools)
    calls = [m for e in examples for m in e.messages if m.get("tool_calls")]
    results = [m for e in examples for m in e.messages if m["role"] == "tool"]
    assert len(calls) == len(results) == 211
    first = calls[0]["tool_calls"][0]
    assert first == {"type": "function", "function": {
        "name": "search_recipes", "arguments": {"ingredients": ["chicken", "bell peppers", "rice"]}}}
    for example in examples:  # every tool result directly answers a tool call
        for prev, msg in zip(example.messages, example.messages[1:]):
            if msg["role"] == "tool":
                assert prev.get("tool_calls")


def test_dpo_demo(lf_dir):
    pairs = _load(lf_dir, "dpo_en_demo", "dpo")
    assert len(pairs) == 300
    assert all(isinstance(p, PreferencePair) for p in pairs)
    assert all(p.prompt[-1]["role"] == "user" and p.chosen["role"] == p.rejected["role"] == "assistant"
               for p in pairs)
    assert all(p.chosen["content"] and p.rejected["content"] for p in pairs)
    assert sum(p.prompt[0]["role"] == "system" for p in pairs) == 80
    assert len(_load(lf_dir, "dpo_en_demo", "rm")) == 300


def test_kto_demo(lf_dir):
    examples = _load(lf_dir, "kto_en_demo", "kto")
    assert len(examples) == 300
    assert all(isinstance(e, KTOExample) and e.messages[-1]["role"] == "assistant" for e in examples)
    assert sum(e.label for e in examples) == 150 and sum(not e.label for e in examples) == 150


@pytest.mark.parametrize("name,count", [("c4_demo", 300), ("wiki_demo", 30)])
def test_pretraining_text_demos(lf_dir, name, count):
    examples = _load(lf_dir, name, "pt")
    assert len(examples) == count
    assert all(isinstance(e, Text) and e.text.strip() for e in examples)


def test_c4_source_is_jsonl_line(lf_dir):
    examples = _load(lf_dir, "c4_demo", "pt")
    assert str(examples[4].source) == f"{lf_dir / 'c4_demo.jsonl'}:5"
    first = json.loads((lf_dir / "c4_demo.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert examples[0].text == first["text"]


def test_conversation_datasets_in_pt_use_the_first_prompt_message(lf_dir):
    # LLaMA-Factory's pretrain processor reads `_prompt[0]["content"]` only.
    examples = _load(lf_dir, "alpaca_en_demo", "pt")
    assert examples[0] == Text(text="Describe a process of making crepes.",
                               source=Origin(str(lf_dir / 'alpaca_en_demo.json'), 1))


def test_every_entry_of_the_real_dataset_info_parses(lf_dir):
    info = json.loads((lf_dir / "dataset_info.json").read_text(encoding="utf-8"))
    specs = load_dataset_specs(list(info), str(lf_dir))
    by_name = {s.name: s for s in specs}
    assert by_name["alpaca_en"].load_from == "hf_hub"
    assert by_name["glaive_toolcall_en_demo"].columns.tools == "tools"
    assert by_name["kto_en_demo"].columns.kto_tag == "label" and by_name["kto_en_demo"].tags.role_tag == "role"
    assert by_name["c4_demo"].columns.response is None  # "columns" given: the others are unused, as in LF
    assert by_name["llava_1k_en"].subset == "en" and by_name["ultrachat_200k"].split == "train_sft"
