"""QLoRA on CPU: a 4-bit nf4 base (bitsandbytes' CPU backend) trains a LoRA adapter that learns and loads in
plain peft; the cases bitsandbytes cannot run are refused with a clear message before any weight loads."""
from __future__ import annotations

import json

import pytest

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import logged_losses
from tuneforge.core.errors import UserError, UserErrors

pytest.importorskip("bitsandbytes", reason="QLoRA needs bitsandbytes (pip install bitsandbytes)")


def test_qlora_4bit_nf4_learns_and_saves_a_plain_peft_adapter(learner_qwen, tmp_path):
    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "qlora", dataset="identity", quantization_bit=4,
                                     quantization_type="nf4", double_quantization=True, num_train_epochs=6,
                                     logging_steps=5))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.7 * losses[0]
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(learner_qwen)
    model = PeftModel.from_pretrained(base, run.path)
    assert any("lora_A" in name for name, _ in model.named_parameters())
    assert json.loads((run.path / "adapter_config.json").read_text())["r"] == 8


def test_quantized_model_really_is_4bit(tiny_qwen):
    import bitsandbytes as bnb

    from tuneforge.config.load import load_run_config
    from tuneforge.model.load import load_model

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "quantization_bit": 4, "do_train": False})
    model = load_model(cfg.model, on_gpu=False, scale=cfg.scale)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())


def test_quantization_needs_lora(tiny_qwen, tmp_path):
    with pytest.raises(UserError, match="only be trained with LoRA"):
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "o", finetuning_type="full", quantization_bit=4))


def test_unsupported_backend_and_bits_are_refused_at_config_time(tiny_qwen, tmp_path):
    with pytest.raises(UserErrors) as info:
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "o", quantization_bit=3, quantization_method="hqq"))
    fields = {e.field for e in info.value.errors}
    assert {"quantization_bit", "quantization_method"} <= fields


def test_odd_sized_linears_are_refused_on_cpu(tmp_path):
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    odd = make_tiny_model(tmp_path / "odd", TinyModelSpec(hidden_size=48, intermediate_size=100, num_heads=4,
                                                          num_kv_heads=2, num_layers=1))
    with pytest.raises(UserError, match="multiple of 32"):
        tuneforge.train(sft_config(odd, tmp_path / "o", quantization_bit=4))
