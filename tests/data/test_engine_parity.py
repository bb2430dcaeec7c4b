"""The data engine produces exactly the token ids and labels of the list-based pipeline it replaced.

Each case's digest below was recorded by running this file against the pre-Arrow pipeline (commit 1a38202),
on the real Qwen2.5 tokenizer from ../shared (a locally trained tokenizer could differ between machines).
A digest covers every train and eval row's input_ids, labels and position_ids, in order; for pairs and KTO
examples, every example's encoded prompt and answers.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, LF_FIXTURES, SHARED, needs_lf_fixtures
from tuneforge.config.load import load_run_config
from tuneforge.encode.kto import encode_kto
from tuneforge.encode.pairwise import encode_pair
from tuneforge.training.prepare import load_inputs, prepare_data

QWEN_TOKENIZER = SHARED / "fixtures" / "tokenizers" / "qwen2_5"

CASES: dict[str, dict] = {
    "alpaca": {"dataset": "alpaca_en_demo", "val_size": 0.1},
    "alpaca_zh_mask_history": {"dataset": "alpaca_zh_demo", "mask_history": True, "cutoff_len": 128},
    "sharegpt_tools": {"dataset": "glaive_toolcall_en_demo", "cutoff_len": 256},
    "openai": {"dataset": "openai_rows"},
    "identity_train_on_prompt": {"dataset": "identity", "train_on_prompt": True, "max_samples": 40},
    "mix_interleave": {"dataset": "alpaca_en_demo,identity", "mix_strategy": "interleave_under",
                       "interleave_probs": "0.3,0.7", "max_samples": 200},
    "mix_concat_eval": {"dataset": "identity,glaive_toolcall_en_demo", "val_size": 25, "cutoff_len": 300},
    "packing": {"dataset": "alpaca_en_demo", "packing": True, "cutoff_len": 1024},
    "neat_packing": {"dataset": "alpaca_en_demo,identity", "neat_packing": True, "cutoff_len": 1024},
    "pt_text": {"stage": "pt", "dataset": "c4_demo", "packing": False},
    "pt_grouped": {"stage": "pt", "dataset": "c4_demo,wiki_demo", "cutoff_len": 512},
    "pairs": {"stage": "dpo", "dataset": "dpo_en_demo", "cutoff_len": 300},
    "kto": {"stage": "kto", "dataset": "kto_en_demo", "cutoff_len": 300,
            "per_device_train_batch_size": 2},
}

DIGESTS = {
    "alpaca": "c2c95cea27792e4d7fe6",
    "alpaca_zh_mask_history": "3423074d81041c68c2ca",
    "identity_train_on_prompt": "e9d6324237b8cd42ac1f",
    "kto": "b7b6934250273f5bf50c",
    "mix_concat_eval": "9229e7c50e49c52b2f65",
    "mix_interleave": "f2f4b753058bbcd52517",
    "neat_packing": "ad124dda541eb2dfc479",
    "openai": "5a3a75f9496350f88793",
    "packing": "6b55616c85b7596e46de",
    "pairs": "3b64c8edd8d587d927b9",
    "pt_grouped": "1e2ff8a76179f8d44fbd",
    "pt_text": "7d9dd0c245b8b940805e",
    "sharegpt_tools": "20baa6c12b8f6c1732b9",
}


@pytest.fixture(scope="module")
def qwen_model(tmp_path_factory) -> Path:
    """A model folder with the real Qwen2.5 tokenizer (encoding never loads weights)."""
    if not QWEN_TOKENIZER.is_dir():
        pytest.skip("the Qwen2.5 tokenizer fixture is not in ../shared")
    folder = tmp_path_factory.mktemp("qwen-tokenizer")
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"):
        shutil.copy(QWEN_TOKENIZER / name, folder / name)
    (folder / "config.json").write_text(json.dumps({"model_type": "qwen2"}))
    return folder


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory) -> Path:
    """LLaMA-Factory's demo data, plus an OpenAI-format file made from the bundled identity rows."""
    needs_lf_fixtures()
    folder = tmp_path_factory.mktemp("datasets")
    info = json.loads((LF_FIXTURES / "dataset_info.json").read_text())
    for name in ("alpaca_en_demo.json", "alpaca_zh_demo.json", "glaive_toolcall_en_demo.json", "identity.json",
                 "c4_demo.jsonl", "wiki_demo.txt", "dpo_en_demo.json", "kto_en_demo.json"):
        shutil.copy(LF_FIXTURES / name, folder / name)
    identity = json.loads((DATA_DIR / "identity.json").read_text())
    with open(folder / "openai_rows.jsonl", "w") as out:
        for i, row in enumerate(identity):
            messages = [{"role": "user", "content": row["instruction"]},
                        {"role": "assistant", "content": row["output"]}]
            if i % 3 == 0:
                messages.insert(0, {"role": "system", "content": "You are a careful assistant."})
            out.write(json.dumps({"messages": messages}) + "\n")
    info["openai_rows"] = {"file_name": "openai_rows.jsonl", "formatting": "openai",
                           "columns": {"messages": "messages"}}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    return folder


def _config(model: Path, dataset_dir: Path, case: dict) -> dict:
    cfg = {"model_name_or_path": str(model), "stage": "sft", "finetuning_type": "lora", "template": "qwen",
           "dataset_dir": str(dataset_dir), "cutoff_len": 512, "output_dir": "unused", "seed": 42}
    cfg.update(case)
    return cfg


def _rows(data) -> list[dict]:
    rows = data.to_list() if hasattr(data, "to_list") else list(data)
    keys = ("input_ids", "labels", "position_ids")
    return [{k: list(row[k]) for k in keys if k in row} for row in rows]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:20]


def case_digest(model: Path, dataset_dir: Path, name: str) -> str:
    cfg = load_run_config(_config(model, dataset_dir, CASES[name]))
    if cfg.finetune.stage in ("pt", "sft"):
        prepared = prepare_data(cfg)
        return _digest({"train": _rows(prepared.train), "eval": _rows(prepared.eval or [])})
    inputs = load_inputs(cfg)
    encode = encode_kto if cfg.finetune.stage == "kto" else encode_pair
    return _digest([encode(example, inputs.tokenizer, inputs.template, inputs.options).__dict__
                    for example in inputs.train])


@pytest.mark.parametrize("name", sorted(CASES))
def test_engine_matches_the_list_pipeline(qwen_model, dataset_dir, name):
    assert case_digest(qwen_model, dataset_dir, name) == DIGESTS[name]


@pytest.mark.parametrize("name", ["mix_interleave", "neat_packing", "pt_grouped", "sharegpt_tools"])
def test_two_encoding_workers_give_the_same_features(qwen_model, dataset_dir, name, monkeypatch):
    from tuneforge.encode import dataset as encode_dataset_module

    monkeypatch.setattr(encode_dataset_module, "PARALLEL_MIN_EXAMPLES", 2)  # the demo files are small
    monkeypatch.setitem(CASES, name, {**CASES[name], "preprocessing_num_workers": 2, "preprocessing_batch_size": 64})
    assert case_digest(qwen_model, dataset_dir, name) == DIGESTS[name]
