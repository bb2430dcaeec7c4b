"""Data preparation before training: caching, parallel encoding, tokenized_path, template/vocabulary checks
and the refusals that stop a run which would learn nothing useful."""
from __future__ import annotations

import json

import pytest

import tuneforge
from tests.conftest import sft_config
from tuneforge.config.load import load_run_config
from tuneforge.core.errors import UserError
from tuneforge.encode import dataset as encode_dataset_module
from tuneforge.training.prepare import prepare_data


def test_parallel_encoding_equals_serial(tiny_qwen, monkeypatch):
    cfg = load_run_config(sft_config(tiny_qwen, "unused", preprocessing_num_workers=1))
    serial = prepare_data(cfg).train.to_list()
    monkeypatch.setattr(encode_dataset_module, "PARALLEL_MIN_EXAMPLES", 2)
    parallel = prepare_data(load_run_config(sft_config(tiny_qwen, "unused", preprocessing_num_workers=2,
                                                       preprocessing_batch_size=7, overwrite_cache=True))).train
    assert parallel.to_list() == serial


def _counting_encodes(monkeypatch) -> list[int]:
    """Records every call of the encoder (the map over the rows) that prepare_data makes."""
    import tuneforge.training.prepare as prepare_module

    calls: list[int] = []
    real = prepare_module.encode_dataset

    def counted(data, *args, **kwargs):
        calls.append(len(data))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(prepare_module, "encode_dataset", counted)
    return calls


def test_a_second_run_reuses_the_cached_encoding_and_says_so(tiny_qwen, tmp_path, monkeypatch, caplog):
    import logging
    import shutil

    from transformers import AutoTokenizer

    from tests.conftest import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    other_tokenizer = tmp_path / "other-tokenizer"
    shutil.copytree(tiny_qwen, other_tokenizer)
    tokenizer = AutoTokenizer.from_pretrained(other_tokenizer)
    tokenizer.add_tokens(["<extra>"])
    tokenizer.save_pretrained(other_tokenizer)
    keys = sft_config(tiny_qwen, "unused", dataset="alpaca_sample", dataset_dir=str(data), val_size=5)
    calls = _counting_encodes(monkeypatch)
    first = prepare_data(load_run_config(keys))
    assert len(calls) == 2 and calls[1] == 5  # train and eval encoded once each
    caplog.set_level(logging.INFO, logger="tuneforge")
    again = prepare_data(load_run_config(keys))
    assert len(calls) == 2  # nothing re-encoded
    assert again.train.to_list() == first.train.to_list() and again.eval.to_list() == first.eval.to_list()
    assert again.train_stats == first.train_stats
    (reuse,) = [r.getMessage() for r in caplog.records if "nothing re-encoded" in r.getMessage()]
    assert f"({len(first.train)} train sequences)" in reuse
    # Each input of the key: a changed template, tokenizer, cutoff_len or data file encodes again.
    prepare_data(load_run_config({**keys, "template": "chatml"}))
    prepare_data(load_run_config({**keys, "model_name_or_path": str(other_tokenizer)}))
    prepare_data(load_run_config({**keys, "cutoff_len": 200}))
    rows = json.loads((data / "alpaca_sample.json").read_text())
    rows[0]["output"] += " (edited)"
    (data / "alpaca_sample.json").write_text(json.dumps(rows))
    edited = prepare_data(load_run_config(keys))
    assert len(calls) == 2 + 2 * 4
    assert edited.train.to_list() != first.train.to_list() or edited.eval.to_list() != first.eval.to_list()
    prepare_data(load_run_config({**keys, "overwrite_cache": True}))  # asked to: encodes again
    assert len(calls) == 2 + 2 * 5


def test_tokenized_path_saves_then_trains_from_it(tiny_qwen, tmp_path):
    encoded = tmp_path / "encoded"
    first = tuneforge.train(sft_config(tiny_qwen, tmp_path / "out", tokenized_path=str(encoded)))
    assert first is None and (encoded / "train").is_dir()
    run = tuneforge.train(sft_config(tiny_qwen, tmp_path / "out", tokenized_path=str(encoded),
                                     dataset="no_such_dataset", max_steps=2))
    assert run.info["finished"] and run.info["train_sequences"] == 39


def test_template_missing_end_of_turn_token_needs_resize_vocab(tiny_qwen, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with pytest.raises(UserError, match=r"no token <\|eot_id\|>.*resize_vocab"):
        prepare_data(load_run_config(sft_config(tiny_qwen, tmp_path / "x", template="llama3")))
    run = tuneforge.train(sft_config(tiny_qwen, tmp_path / "resized", template="llama3", resize_vocab=True,
                                     dataset="identity", max_steps=3))
    tokenizer = AutoTokenizer.from_pretrained(run.path)
    assert "<|eot_id|>" in tokenizer.get_vocab()
    adapter_config = json.loads((run.path / "adapter_config.json").read_text())
    assert set(adapter_config["modules_to_save"]) == {"embed_tokens", "lm_head"}
    base = AutoModelForCausalLM.from_pretrained(tiny_qwen)
    base.resize_token_embeddings(len(tokenizer))
    model = PeftModel.from_pretrained(base, run.path)
    assert model.get_input_embeddings().weight.shape[0] == len(tokenizer)


def test_refuses_when_the_end_of_turn_token_is_never_trained(tiny_qwen):
    # cutoff_len so short that every answer is cut before its <|im_end|>.
    with pytest.raises(UserError, match="never trained"):
        prepare_data(load_run_config(sft_config(tiny_qwen, "unused", cutoff_len=8, dataset="identity")))


def test_without_template_the_tokenizers_own_chat_template_is_used(tiny_qwen):
    ours = prepare_data(load_run_config(sft_config(tiny_qwen, "unused", dataset="identity")))
    own = prepare_data(load_run_config(sft_config(tiny_qwen, "unused", dataset="identity", template=None)))
    tok = ours.tokenizer
    for a, b in zip(ours.train, own.train):
        assert a["input_ids"] == b["input_ids"]
        trained_a = tok.decode([t for t in a["labels"] if t != -100])
        trained_b = tok.decode([t for t in b["labels"] if t != -100])
        # tuneforge's qwen template also trains the newline after <|im_end|> (as LLaMA-Factory's does); found in
        # the tokenizer's own template, a reply trains its content and <|im_end|>.
        assert trained_a.replace("<|im_end|>\n", "<|im_end|>") == trained_b and trained_b.endswith("<|im_end|>")


def test_the_config_knows_exactly_the_stages_the_registry_runs():
    from tuneforge.config.finetune import STAGES as CONFIG_STAGES
    from tuneforge.config.stages import STAGE_NEEDS, ExampleKind
    from tuneforge.data.convert import BUILDERS
    from tuneforge.training.stages import RECIPES

    assert set(CONFIG_STAGES) == set(RECIPES) == set(STAGE_NEEDS)
    # every kind of example a stage may ask for can be built from a dataset row
    assert set(BUILDERS) == set(ExampleKind) >= {need.kind for need in STAGE_NEEDS.values()}
