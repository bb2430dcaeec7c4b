"""Definition of done 1: LoRA SFT on the bundled alpaca + sharegpt samples learns, and its adapter is a plain
peft adapter: it loads with PeftModel.from_pretrained and gives the same logits as tuneforge's own loader."""
from __future__ import annotations

import json

import torch

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import load_safetensors, logged_losses


def test_lora_sft_learns_and_loads_in_plain_peft(learner_qwen, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed

    from tuneforge.config.load import load_run_config
    from tuneforge.inference.hf import HFEngine
    from tuneforge.model.adapters import apply_adapter
    from tuneforge.model.load import load_model

    config = sft_config(learner_qwen, tmp_path / "run", lora_rank=16, num_train_epochs=25, logging_steps=5,
                        lr_scheduler_type="cosine", plot_loss=True)
    base_files = {p.name: p.read_bytes() for p in learner_qwen.iterdir() if p.is_file()}
    run = tuneforge.train(config)

    losses = logged_losses(run.path)
    assert losses[-1] <= 0.6 * losses[0], f"loss fell only from {losses[0]:.3f} to {losses[-1]:.3f}"
    assert (run.path / "training_loss.png").stat().st_size > 1000
    for name in ("adapter_model.safetensors", "adapter_config.json", "train_results.json",
                 "all_results.json", "tuneforge_config.yaml", "chat_template.jinja"):
        assert (run.path / name).is_file(), name
    log_row = json.loads((run.path / "trainer_log.jsonl").read_text().splitlines()[0])
    assert {"current_steps", "total_steps", "loss", "lr", "epoch", "percentage", "elapsed_time",
            "remaining_time"} <= set(log_row)

    # Every LoRA parameter changed from its (seeded, reproducible) initialisation; the base did not.
    cfg = load_run_config(config)
    set_seed(cfg.train.seed)
    initial = apply_adapter(load_model(cfg.model, on_gpu=False), cfg.finetune, cfg.model)
    init_lora = {k: v for k, v in initial.state_dict().items() if "lora_" in k}
    trained = load_safetensors(run.path / "adapter_model.safetensors")
    assert trained and all("lora_" in k for k in trained), "the adapter holds only LoRA weights"
    assert len(trained) == len(init_lora)
    for key, value in init_lora.items():
        saved_key = key.replace(".default", "")
        assert not torch.equal(trained[saved_key], value), f"{key} did not change"
    assert {p.name: p.read_bytes() for p in learner_qwen.iterdir() if p.is_file()} == base_files

    # Plain peft reproduces tuneforge's model exactly.
    tok = AutoTokenizer.from_pretrained(run.path)
    plain = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(learner_qwen), run.path).eval()
    ours = HFEngine.load(run.path).model
    text = tok.apply_chat_template([{"role": "user", "content": "What is the capital of Peru?"}],
                                   add_generation_prompt=True, tokenize=False)
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    with torch.no_grad():
        diff = (plain(ids).logits - ours(ids).logits).abs().max().item()
    assert diff < 1e-4
