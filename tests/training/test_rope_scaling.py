"""Issue 18, definition of done 3: `rope_scaling: linear` on a tiny Llama with 64 positions and cutoff_len 128
stretches the rotary embeddings ×2 (LLaMA-Factory's factor: cutoff_len ÷ positions, rounded up); a full
fine-tune's saved config carries it, and tuneforge's loader gives, at twice the original context, the logits of
plain transformers with that config — for the saved model and for a LoRA run on the unscaled base."""
from __future__ import annotations

import pytest

from tests.conftest import sft_config


@pytest.fixture(scope="module")
def short_llama(tmp_path_factory):
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "short-llama",
                           TinyModelSpec(arch="llama", template="llama3", hidden_size=64, intermediate_size=128,
                                         num_layers=2, num_heads=4, num_kv_heads=2, max_position_embeddings=64))


def _logits(model, ids):
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0]


def _loaded(run, overrides=()):
    from tuneforge.cli.source import load_command_config
    from tuneforge.model.stack import load_with_adapters

    cfg = load_command_config([str(run), *overrides], "chat")
    return load_with_adapters(cfg.model, on_gpu=False, merge_last=False, context_length=cfg.data.cutoff_len).model


def test_linear_rope_scaling_is_saved_and_reloaded_alike(short_llama, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM

    import tuneforge

    common = dict(rope_scaling="linear", cutoff_len=128, template="llama3", max_steps=2)
    full = tuneforge.train(sft_config(short_llama, tmp_path / "full", finetuning_type="full", **common)).path
    saved = AutoConfig.from_pretrained(str(full))
    assert saved.rope_parameters["rope_type"] == "linear" and saved.rope_parameters["factor"] == 2.0
    assert saved.max_position_embeddings == 128

    ids = torch.randint(5, 300, (120,)).tolist()  # nearly twice the 64 positions the base was made with
    plain = AutoModelForCausalLM.from_pretrained(str(full)).eval()
    assert torch.allclose(_logits(_loaded(full), ids), _logits(plain, ids), atol=1e-5)

    lora = tuneforge.train(sft_config(short_llama, tmp_path / "lora", **common)).path
    config = AutoConfig.from_pretrained(str(short_llama))
    config.rope_parameters = {**config.rope_parameters, "rope_type": "linear", "factor": 2.0}
    config.max_position_embeddings = 128
    by_hand = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(short_llama), config=config),
                                        str(lora)).eval()
    reference = _logits(by_hand, ids)
    assert torch.allclose(_logits(_loaded(lora), ids), reference, atol=1e-5)
    unscaled = _logits(_loaded(lora, ["rope_scaling=null"]), ids)
    assert not torch.allclose(unscaled, reference, atol=1e-3)  # the scaling changes what the model computes


def test_rope_scaling_without_a_longer_context_changes_nothing_and_bad_kinds_are_refused(short_llama, tmp_path):
    from transformers import AutoConfig

    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError
    from tuneforge.model.rope import scaled_rope

    config = AutoConfig.from_pretrained(str(short_llama))
    assert scaled_rope(config, "linear", 64) is None and config.max_position_embeddings == 64
    assert scaled_rope(config, "llama3", 200) == {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 4.0,
                                                  "original_max_position_embeddings": 64,
                                                  "low_freq_factor": 1.0, "high_freq_factor": 4.0}
    with pytest.raises(UserError, match="rope_scaling — 'ntk' is not one of: linear, dynamic, yarn, llama3"):
        load_run_config(sft_config(short_llama, tmp_path, rope_scaling="ntk"))
    with pytest.raises(UserError, match="rope_scaling — is not supported for stage rm"):
        load_run_config(sft_config(short_llama, tmp_path, rope_scaling="linear", stage="rm", dataset="dpo_en_demo"))
