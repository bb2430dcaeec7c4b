"""model.stack.load_with_adapters: the one loader of a base model with its adapters (chat, API, predict, eval,
export, reward scoring) — its tokenizer rule, merged equal to unmerged, and clear errors for bad adapters."""
from __future__ import annotations

import shutil

import pytest
import torch

import tuneforge
from tests.conftest import sft_config
from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.model.stack import check_adapter_folder, load_with_adapters, tokenizer_source


@pytest.fixture(scope="module")
def adapter(tiny_qwen, tmp_path_factory):
    out = tmp_path_factory.mktemp("stack") / "run"
    tuneforge.train(sft_config(tiny_qwen, out, dataset="identity", max_steps=3, learning_rate=5e-2))
    return out


def _logits(model, ids):
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def test_merged_and_unmerged_give_the_same_logits(tiny_qwen, adapter):
    mc = ModelConfig(model_name_or_path=str(tiny_qwen), adapter_name_or_path=str(adapter))
    separate = load_with_adapters(mc, on_gpu=False, merge_last=False)
    merged = load_with_adapters(mc, on_gpu=False, merge_last=True)
    base = load_with_adapters(ModelConfig(model_name_or_path=str(tiny_qwen)), on_gpu=False, merge_last=True)
    ids = separate.tokenizer("Who are you?")["input_ids"]
    assert type(separate.model).__name__ == "PeftModelForCausalLM" and not merged.model.training
    assert torch.allclose(_logits(separate.model, ids), _logits(merged.model, ids), atol=1e-4)
    assert not torch.allclose(_logits(base.model, ids), _logits(merged.model, ids), atol=1e-3)  # it did learn


def test_the_tokenizer_comes_from_the_last_adapter_that_saved_one(tiny_qwen, adapter, tmp_path):
    bare = tmp_path / "bare-adapter"
    shutil.copytree(adapter, bare)
    for file in bare.glob("tokenizer*"):
        file.unlink()
    mc = ModelConfig(model_name_or_path=str(tiny_qwen), adapter_name_or_path=f"{adapter},{bare}")
    assert tokenizer_source(mc) == str(adapter)
    assert tokenizer_source(ModelConfig(model_name_or_path=str(tiny_qwen), adapter_name_or_path=str(bare))) == \
        str(tiny_qwen)


def test_bad_adapters_are_user_errors_naming_the_folder(tiny_qwen, learner_qwen, adapter, tmp_path):
    with pytest.raises(UserError, match="does not fit the base model") as err:  # trained on hidden 64, not 256
        load_with_adapters(ModelConfig(model_name_or_path=str(learner_qwen), adapter_name_or_path=str(adapter)),
                           on_gpu=False, merge_last=False)
    assert err.value.file == str(adapter)
    with pytest.raises(UserError, match="not a LoRA adapter"):  # a model folder given as an adapter
        load_with_adapters(ModelConfig(model_name_or_path=str(tiny_qwen), adapter_name_or_path=str(tiny_qwen)),
                           on_gpu=False, merge_last=False)
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    (weightless / "adapter_config.json").write_text((adapter / "adapter_config.json").read_text())
    with pytest.raises(UserError, match="the weights are missing"):
        load_with_adapters(ModelConfig(model_name_or_path=str(learner_qwen), adapter_name_or_path=str(weightless)),
                           on_gpu=False, merge_last=False)


def test_an_adapter_hub_id_is_left_for_the_download_to_check():
    # A name that looks like a hub id passes the cheap check (LLaMA-Factory accepts hub adapters); a local path
    # that is not there does not.
    assert check_adapter_folder("someone/their-lora").name == "their-lora"
    with pytest.raises(UserError, match="not found"):
        check_adapter_folder("./no-such-adapter")
    with pytest.raises(UserError, match="adapter folder not found"):
        check_adapter_folder("someone/their-lora", local_only=True)
