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


SPM_FIXTURES = {"llama2_chat": "llama2", "mistral": "mistral", "zephyr": "zephyr", "mixtral": "mistral"}


def spm_llama(fixture: str):
    """(a random 64-wide Llama, the fixture's SentencePiece-style tokenizer) — Llama 2, Mistral, Zephyr and
    Mixtral's real vocabularies on a model small enough to export in a second."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from tests.conftest import SHARED, missing_fixture

    folder = SHARED / "fixtures" / "tokenizers" / fixture
    if not folder.is_dir():
        missing_fixture(f"tokenizer fixture {folder} not found")
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, tie_word_embeddings=False)
    return LlamaForCausalLM(config).eval(), tokenizer
