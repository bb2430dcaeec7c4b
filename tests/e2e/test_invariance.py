"""Definition of done 5 and 6: packing does not change per-example losses; batch 4 × accumulation 1 equals
batch 1 × accumulation 4; a resumed run ends with the same weights as an uninterrupted one."""
from __future__ import annotations

import shutil

import torch

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import load_safetensors


def _token_losses(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.cross_entropy(logits[0, :-1], labels[0, 1:], ignore_index=-100, reduction="none")


def test_neat_packed_and_unpacked_per_example_losses_match(tiny_qwen):
    from transformers import AutoModelForCausalLM

    from tuneforge.config.load import load_run_config
    from tuneforge.encode.collate import Collator
    from tuneforge.encode.packing import pack
    from tuneforge.training.prepare import prepare_data

    cfg = load_run_config(sft_config(tiny_qwen, "unused", max_samples=6))
    prepared = prepare_data(cfg)
    features = prepared.train.select(range(6)).to_list()
    model = AutoModelForCausalLM.from_pretrained(tiny_qwen).eval()
    model.config.use_cache = False
    collate = Collator(prepared.tokenizer.pad_token_id)
    with torch.no_grad():
        single = []
        for f in features:
            batch = collate([f])
            losses = _token_losses(model(input_ids=batch["input_ids"]).logits, batch["labels"])
            single.append(losses[batch["labels"][0, 1:] != -100].mean().item())
        packed_rows = pack(features, cutoff_len=4096, neat=True)
        assert len(packed_rows) == 1
        batch = collate(packed_rows)
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
    token_losses = _token_losses(logits, batch["labels"])
    labels = batch["labels"][0, 1:]
    starts = [i for i, p in enumerate(batch["position_ids"][0].tolist()) if p == 0] + [labels.numel() + 1]
    packed = []
    for a, b in zip(starts, starts[1:]):
        seg = token_losses[a:b - 1]
        seg_labels = labels[a:b - 1]
        packed.append(seg[seg_labels != -100].mean().item())
    assert sorted(packed) == __import__("pytest").approx(sorted(single), abs=1e-4)


def test_batch_four_equals_batch_one_with_four_accumulation_steps(tiny_qwen, tmp_path):
    common = dict(dataset="identity", max_steps=4, learning_rate=1e-3, lora_dropout=0.0)
    a = tuneforge.train(sft_config(tiny_qwen, tmp_path / "b4", per_device_train_batch_size=4,
                                   gradient_accumulation_steps=1, **common))
    b = tuneforge.train(sft_config(tiny_qwen, tmp_path / "b1a4", per_device_train_batch_size=1,
                                   gradient_accumulation_steps=4, **common))
    wa = load_safetensors(a.path / "adapter_model.safetensors")
    wb = load_safetensors(b.path / "adapter_model.safetensors")
    worst = max((wa[k] - wb[k]).abs().max().item() for k in wa)
    assert worst < 1e-5, worst


def test_resumed_run_ends_with_the_same_weights(tiny_qwen, tmp_path):
    common = dict(dataset="identity", max_steps=8, save_steps=4, learning_rate=1e-3,
                  lr_scheduler_type="cosine", warmup_steps=2)
    full = tuneforge.train(sft_config(tiny_qwen, tmp_path / "full", **common))
    # An interrupted run: only checkpoint-4 exists in its folder; training there resumes from it.
    interrupted = tmp_path / "interrupted"
    interrupted.mkdir()
    shutil.copytree(full.path / "checkpoint-4", interrupted / "checkpoint-4")
    resumed = tuneforge.train(sft_config(tiny_qwen, interrupted, **common))
    wa = load_safetensors(full.path / "adapter_model.safetensors")
    wb = load_safetensors(resumed.path / "adapter_model.safetensors")
    assert max((wa[k] - wb[k]).abs().max().item() for k in wa) < 1e-6
    assert (interrupted / "checkpoint-8").is_dir()
