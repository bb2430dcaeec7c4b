"""Fixtures for the export tests: LoRA adapters with non-zero weights made directly with peft (fast), and a
short real training run whose folder the CLI exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sft_config


def make_adapter(base, out: Path, seed: int, targets: str | list[str] = "all-linear") -> Path:
    """A LoRA adapter on `base` (a model folder, or a model, which is left untouched) whose B matrices are
    random (peft's default init would make it a no-op)."""
    import copy

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(str(base)) if isinstance(base, Path) else copy.deepcopy(base)
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


def _gemma_style_tokenizer():
    """No Gemma tokenizer with its vocabulary is in the fixtures (Gemma 3's tokenizer.json was left out for
    size), so this is Llama 2's SentencePiece vocabulary dressed as Gemma's: spaces become "▁" with no prefix
    (Gemma's normalizer), and <bos>, <eos>, <pad>, <start_of_turn>, <end_of_turn> are its special tokens."""
    from tokenizers import normalizers
    from transformers import AutoTokenizer

    from tests.conftest import SHARED, missing_fixture

    folder = SHARED / "fixtures" / "tokenizers" / "llama2_chat"
    if not folder.is_dir():
        missing_fixture(f"tokenizer fixture {folder} not found")
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    tokenizer.backend_tokenizer.normalizer = normalizers.Replace(" ", "▁")
    tokenizer.add_special_tokens({"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>",
                                  "additional_special_tokens": ["<start_of_turn>", "<end_of_turn>"]})
    return tokenizer


# Phi-3.5's long-context rope on a 16-wide head: 8 factors each, a 2× context extension.
LONGROPE = {"rope_type": "longrope", "long_factor": [1.0 + 0.5 * i for i in range(8)],
            "short_factor": [1.0 + 0.1 * i for i in range(8)]}
# kind → the registry template its conversations are rendered with
ARCH_TEMPLATES = {"phi3": "phi", "phi3_longrope": "phi", "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma3",
                  "mixtral": "mixtral", "qwen2_moe": "qwen"}


def tiny_arch(kind: str):
    """(a random 64-wide model of architecture `kind`, its tokenizer): Phi-3.5's real tokenizer for phi3, the
    Gemma-style one for gemma/gemma2/gemma3, Mixtral's and Qwen2.5's for the MoE models. Gemma's norms get
    random weights so that llama.cpp's (1 + w) shift is exercised; Gemma 3 has six layers, five sliding-window
    layers then a global one, as llama.cpp lays it out; query_pre_attn_scalar is the head width, as on the real
    1B–12B models. The MoE routers and output heads get large random weights, so that no two experts tie for
    a token, nor two tokens for the greedy pick (Qwen's 151k-token vocabulary on a random 64-wide model has
    next-token scores within 0.3 % of each other, and float rounding then picks either)."""
    import torch
    import transformers

    from tests.conftest import SHARED

    torch.manual_seed(0)
    common = dict(hidden_size=64, intermediate_size=128, num_attention_heads=4, num_key_value_heads=2)
    if kind.startswith("phi3"):
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(SHARED / "fixtures" / "tokenizers" / "phi3"))
        extra = dict(max_position_embeddings=8192, original_max_position_embeddings=4096, rope_scaling=LONGROPE) \
            if kind == "phi3_longrope" else {}
        config = transformers.Phi3Config(vocab_size=32064, num_hidden_layers=2, bos_token_id=1, eos_token_id=32000,
                                         pad_token_id=32000, tie_word_embeddings=False, **common, **extra)
        return transformers.Phi3ForCausalLM(config).eval(), tokenizer
    if kind in ("mixtral", "qwen2_moe"):
        return _tiny_moe(kind, common)
    tokenizer = _gemma_style_tokenizer()
    ids = dict(vocab_size=len(tokenizer), bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id, head_dim=16)
    if kind == "gemma":
        model = transformers.GemmaForCausalLM(transformers.GemmaConfig(num_hidden_layers=2, **common, **ids))
    elif kind == "gemma2":
        model = transformers.Gemma2ForCausalLM(transformers.Gemma2Config(
            num_hidden_layers=2, query_pre_attn_scalar=16, **common, **ids))
    else:
        model = transformers.Gemma3ForCausalLM(transformers.Gemma3TextConfig(
            num_hidden_layers=6, query_pre_attn_scalar=16, **common, **ids))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" in name:
                param.normal_(0, 0.3)
    return model.eval(), tokenizer


def _tiny_moe(kind: str, common: dict):
    import torch
    import transformers

    from tests.conftest import SHARED

    fixture = "mixtral" if kind == "mixtral" else "qwen2_5"
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(SHARED / "fixtures" / "tokenizers" / fixture))
    sizes = dict(vocab_size=len(tokenizer), num_hidden_layers=2, tie_word_embeddings=False, **common)
    if kind == "mixtral":
        model = transformers.MixtralForCausalLM(transformers.MixtralConfig(
            num_local_experts=4, num_experts_per_tok=2, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id, **sizes))
    else:
        model = transformers.Qwen2MoeForCausalLM(transformers.Qwen2MoeConfig(
            num_experts=4, num_experts_per_tok=2, moe_intermediate_size=64, shared_expert_intermediate_size=96,
            norm_topk_prob=False, eos_token_id=tokenizer.eos_token_id, **sizes))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("mlp.gate.weight") or name == "lm_head.weight":
                param.normal_(0, 0.5)
    return model.eval(), tokenizer
