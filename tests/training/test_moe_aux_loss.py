"""Issue 18, definition of done 5: `moe_aux_loss_coef` on a tiny Qwen2-MoE trains with the router's
load-balancing loss added (coefficient × aux_loss, on the fast path and the padded one), logs aux_loss in
trainer_log.jsonl, and the loss falls; a dense model is refused."""
from __future__ import annotations

import json

import pytest

from tests.conftest import sft_config


@pytest.fixture(scope="module")
def tiny_moe(tiny_qwen, tmp_path_factory):
    import torch
    from transformers import AutoTokenizer, Qwen2MoeConfig, Qwen2MoeForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_qwen))
    torch.manual_seed(0)
    config = Qwen2MoeConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                            num_attention_heads=4, num_key_value_heads=2, num_experts=4, num_experts_per_tok=2,
                            moe_intermediate_size=32, shared_expert_intermediate_size=64,
                            eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    out = tmp_path_factory.mktemp("models") / "tiny-moe"
    Qwen2MoeForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _log(run):
    return [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("fast_path", [True, False])
def test_router_aux_loss_is_added_logged_and_training_learns(fast_path, tiny_moe, tmp_path):
    import tuneforge

    common = dict(finetuning_type="full", dataset="identity", max_steps=12, learning_rate=3e-3,
                  fast_path=fast_path, per_device_train_batch_size=4)
    with_aux = _log(tuneforge.train(sft_config(tiny_moe, tmp_path / "aux", moe_aux_loss_coef=0.5, **common)).path)
    without = _log(tuneforge.train(sft_config(tiny_moe, tmp_path / "plain", **common)).path)
    steps = [r for r in with_aux if "loss" in r]
    assert all("aux_loss" in r for r in steps) and not any("aux_loss" in r for r in without)
    # step 1 runs the same weights on the same batch: the difference is exactly 0.5 × the router's aux loss
    assert steps[0]["loss"] - without[0]["loss"] == pytest.approx(0.5 * steps[0]["aux_loss"], rel=1e-3)
    assert steps[-1]["loss"] < steps[0]["loss"]


def test_a_dense_model_or_another_stage_is_refused(tiny_qwen, tmp_path):
    import tuneforge
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="moe_aux_loss_coef — needs a mixture-of-experts model; qwen2 has no router"):
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "dense", moe_aux_loss_coef=0.01, max_steps=1))
    with pytest.raises(UserError, match="moe_aux_loss_coef — applies to stages pt, sft, dpo and kto, not rm"):
        load_run_config(sft_config(tiny_qwen, tmp_path, moe_aux_loss_coef=0.01, stage="rm", dataset="dpo_en_demo"))
