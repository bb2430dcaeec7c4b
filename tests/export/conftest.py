"""Fixtures for the export tests: LoRA adapters with non-zero weights made directly with peft (fast), and a
short real training run whose folder the CLI exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sft_config


def make_adapter(base: Path, out: Path, seed: int, targets: str | list[str] = "all-linear") -> Path:
    """A LoRA adapter on `base` whose B matrices are random (peft's default init would make it a no-op)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(base))
    config = LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False, task_type="CAUSAL_LM")
    peft_model = get_peft_model(model, config)
    with torch.no_grad():
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    peft_model.save_pretrained(str(out))
    return out


@pytest.fixture(scope="session")
def qwen_adapters(tiny_qwen, tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("adapters")
    return [make_adapter(tiny_qwen, root / "a", seed=1), make_adapter(tiny_qwen, root / "b", seed=2,
                                                                      targets=["q_proj", "v_proj"])]


@pytest.fixture(scope="session")
def qwen_run(tiny_qwen, tmp_path_factory) -> Path:
    """A LoRA SFT run folder (a few steps are enough: the merge is judged by logits, not by learning)."""
    import tuneforge

    out = tmp_path_factory.mktemp("runs") / "run1"
    return tuneforge.train(sft_config(tiny_qwen, out, dataset="identity", max_steps=3)).path
