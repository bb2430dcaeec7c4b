"""Definition of done 2: full and freeze SFT and pt with packing each learn; freeze trains only the chosen
layers and modules."""
from __future__ import annotations

import torch

import tuneforge
from tests.conftest import DATA_DIR, sft_config
from tests.e2e.helpers import full_weights, logged_losses


def test_full_sft_learns(learner_qwen, tmp_path):
    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "full", finetuning_type="full", dataset="identity",
                                     learning_rate=1e-3, num_train_epochs=8, logging_steps=5,
                                     lr_scheduler_type="cosine"))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.6 * losses[0]
    assert (run.path / "model.safetensors").is_file() and not (run.path / "adapter_config.json").exists()


def test_freeze_sft_trains_only_the_chosen_layers(learner_qwen, tmp_path):
    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "freeze", finetuning_type="freeze",
                                     freeze_trainable_layers=1, freeze_trainable_modules="mlp",
                                     freeze_extra_modules="norm", dataset="identity", learning_rate=5e-3,
                                     num_train_epochs=8, logging_steps=5, lr_scheduler_type="cosine"))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.6 * losses[0]
    before, after = full_weights(learner_qwen), full_weights(run.path)
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed, "nothing trained"
    expected = {k for k in before if k.startswith("model.layers.1.mlp.") or k == "model.norm.weight"}
    assert changed == expected


def test_pretraining_with_packing_learns(learner_qwen, tmp_path):
    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "pt", stage="pt", dataset="text_sample",
                                     template=None, packing=True, cutoff_len=64, num_train_epochs=6, lora_rank=16,
                                     logging_steps=5, lr_scheduler_type="cosine", dataset_dir=str(DATA_DIR)))
    losses = logged_losses(run.path)
    assert losses[-1] < 0.7 * losses[0]
    assert run.info["stage"] == "pt" and run.info["finished"] is True
