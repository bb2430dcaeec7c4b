"""Definition of done 3: GaLore, APOLLO, BAdam and Adam-mini runs learn on CPU; LoRA+ gives B matrices the
larger learning rate in the optimizer's own param groups; kernels and attention choices that cannot run here
are refused with a clear message."""
from __future__ import annotations

import pytest

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import logged_losses
from tuneforge.core.errors import UserError


def _full(model, out, **keys) -> dict:
    base = dict(finetuning_type="full", dataset="identity", learning_rate=1e-3, num_train_epochs=6, logging_steps=5)
    return sft_config(model, out, **{**base, **keys})


def test_galore_learns(learner_qwen, tmp_path):
    pytest.importorskip("galore_torch", reason="use_galore needs galore-torch (pip install galore-torch)")
    run = tuneforge.train(_full(learner_qwen, tmp_path / "galore", use_galore=True, galore_rank=8,
                                galore_update_interval=10, galore_scale=1.0))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.7 * losses[0]


def test_galore_targets_every_linear_but_the_head(tiny_qwen):
    from transformers import AutoModelForCausalLM

    from tuneforge.config.load import load_run_config
    from tuneforge.training.optim import optimizer_arguments

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "finetuning_type": "full", "use_galore": True,
                           "galore_rank": 4, "do_train": False})
    args = optimizer_arguments(cfg, AutoModelForCausalLM.from_pretrained(tiny_qwen))
    assert args["optim"] == "galore_adamw" and "lm_head" not in args["optim_target_modules"]
    assert "q_proj" in args["optim_target_modules"] and "rank=4" in args["optim_args"]


def test_apollo_learns(learner_qwen, tmp_path):
    pytest.importorskip("apollo_torch", reason="use_apollo needs apollo-torch (pip install apollo-torch)")
    run = tuneforge.train(_full(learner_qwen, tmp_path / "apollo", use_apollo=True, apollo_rank=8,
                                apollo_scale=1.0, num_train_epochs=4))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.8 * losses[0]


def test_badam_learns_and_updates_one_block_at_a_time(learner_qwen, tmp_path):
    pytest.importorskip("badam", reason="use_badam needs badam (pip install badam)")
    run = tuneforge.train(_full(learner_qwen, tmp_path / "badam", use_badam=True, badam_switch_interval=4,
                                badam_switch_mode="ascending", learning_rate=3e-3, num_train_epochs=8))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.8 * losses[0]


def test_adam_mini_learns(learner_qwen, tmp_path):
    pytest.importorskip("adam_mini", reason="use_adam_mini needs adam-mini (pip install adam-mini)")
    run = tuneforge.train(_full(learner_qwen, tmp_path / "mini", use_adam_mini=True, num_train_epochs=4))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.7 * losses[0]


def test_loraplus_gives_b_matrices_the_larger_learning_rate(tiny_qwen):
    from tuneforge.config.load import load_run_config
    from tuneforge.model.adapters import apply_adapter
    from tuneforge.model.load import load_model
    from tuneforge.training.setup import build_optimizer

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "loraplus_lr_ratio": 16.0,
                           "learning_rate": 1e-4, "do_train": False})
    model = apply_adapter(load_model(cfg.model, on_gpu=False), cfg.finetune, cfg.model)
    optimizer, scheduler = build_optimizer(cfg, model)
    names = {id(p): n for n, p in model.named_parameters()}
    lr_of = {names[id(p)]: group["lr"] for group in optimizer.param_groups for p in group["params"]}
    b = {n: lr for n, lr in lr_of.items() if "lora_B" in n}
    a = {n: lr for n, lr in lr_of.items() if "lora_A" in n}
    assert b and a and scheduler is None
    assert all(lr == pytest.approx(16e-4) for lr in b.values())
    assert all(lr == pytest.approx(1e-4) for lr in a.values())


@pytest.mark.parametrize("keys, message", [
    ({"use_galore": True}, "needs finetuning_type full"),
    ({"use_badam": True}, "needs finetuning_type full"),
    ({"enable_liger_kernel": True}, "liger"),
    ({"flash_attn": "fa2"}, "fa2"),
    ({"deepspeed": "/nonexistent/ds.json"}, "file not found"),
])
def test_options_this_machine_cannot_run_are_refused(tiny_qwen, tmp_path, keys, message):
    with pytest.raises(UserError, match=message):
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "o", **keys))


def test_two_special_optimizers_are_refused_at_config_time(tiny_qwen, tmp_path):
    with pytest.raises(UserError, match="cannot be combined"):
        tuneforge.train(sft_config(tiny_qwen, tmp_path / "o", finetuning_type="full", use_galore=True,
                                   use_badam=True))


def test_apollo_projection_keys_reach_the_optimizer(tiny_qwen, tmp_path):
    """apollo_proj / apollo_proj_type / apollo_scale_type (LLaMA-Factory's keys) become the param-group settings
    transformers' APOLLO optimizer is built with; apollo_scale_front, which it cannot take, is refused."""
    pytest.importorskip("apollo_torch", reason="use_apollo needs apollo-torch (pip install apollo-torch)")
    from transformers import AutoModelForCausalLM, Trainer

    from tuneforge.config.load import load_run_config
    from tuneforge.training.setup import training_arguments

    cfg = load_run_config(_full(tiny_qwen, tmp_path / "a", use_apollo=True, apollo_proj="svd", apollo_proj_type="left",
                                apollo_scale_type="tensor"))
    model = AutoModelForCausalLM.from_pretrained(tiny_qwen)
    _, kwargs = Trainer.get_optimizer_cls_and_kwargs(training_arguments(cfg, on_gpu=False, has_eval=False, model=model),
                                                     model)
    low_rank = [group for group in kwargs["params"] if "rank" in group][0]
    assert (low_rank["proj"], low_rank["proj_type"], low_rank["scale_type"]) == ("svd", "left", "tensor")
    with pytest.raises(UserError, match="apollo_scale_front — is not offered"):
        load_run_config(_full(tiny_qwen, tmp_path / "b", use_apollo=True, apollo_scale_front=True))


@pytest.mark.parametrize("finetuning_type", ["full", "lora"])
def test_muon_learns_with_adamw_for_what_is_not_a_weight_matrix(finetuning_type, learner_qwen, tmp_path):
    """use_muon: torch.optim.Muon takes the 2-D weights (LoRA's A and B too), AdamW the embeddings, head, norms
    and biases; one learning-rate schedule drives both, and the run learns."""
    from transformers import AutoModelForCausalLM

    from tuneforge.config.load import load_run_config
    from tuneforge.training.optim import build_special_optimizer

    keys = dict(use_muon=True, learning_rate=2e-3, num_train_epochs=4)
    if finetuning_type == "lora":
        keys.update(finetuning_type="lora", lora_rank=8, learning_rate=2e-2)
    cfg = load_run_config(_full(learner_qwen, tmp_path / "cfg", **keys))
    model = AutoModelForCausalLM.from_pretrained(learner_qwen)
    optimizer = build_special_optimizer(cfg, model) if finetuning_type == "full" else None
    if optimizer is not None:
        muon = {id(p) for g in optimizer.muon.param_groups for p in g["params"]}
        named = dict(model.named_parameters())
        assert id(named["model.layers.0.self_attn.q_proj.weight"]) in muon
        assert id(named["model.embed_tokens.weight"]) not in muon and id(named["model.norm.weight"]) not in muon
    run = tuneforge.train(_full(learner_qwen, tmp_path / "muon", **keys))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.7 * losses[0]
