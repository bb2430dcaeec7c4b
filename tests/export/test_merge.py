"""Definition of done 1 (merge and save) and 6 (bad input → one-line errors), through `tuneforge export`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LF_FIXTURES, needs_lf_fixtures
from tuneforge.cli.main import main

PROMPTS = [[{"role": "user", "content": "Who are you?"}],
           [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."},
            {"role": "assistant", "content": "Blue."}, {"role": "user", "content": "Another?"}]]


def _logits(model, ids):
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0]


def _export(capsys, *argv: str) -> str:
    code = main(["export", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_merged_folder_matches_base_plus_adapter(qwen_run, tmp_path, capsys):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tuneforge.templates.registry import get_template
    from tuneforge.templates.render import render, render_text

    out = _export(capsys, str(qwen_run), "--export_dir", str(tmp_path / "merged"))
    assert "verify merge: max abs diff" in out
    report = json.loads((tmp_path / "merged" / "export_verify.json").read_text())
    assert report["passed"] and report["checks"][0]["max_abs_diff"] < 1e-4

    exported = AutoModelForCausalLM.from_pretrained(str(tmp_path / "merged")).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(tmp_path / "merged"))
    config = json.loads((qwen_run / "adapter_config.json").read_text())
    base = AutoModelForCausalLM.from_pretrained(config["base_model_name_or_path"]).eval()
    base_logits = _logits(base, [1, 2, 3])
    reference = PeftModel.from_pretrained(base, str(qwen_run)).eval()
    spec = get_template("qwen")
    for messages in PROMPTS:
        ids = render(tokenizer, messages, template=spec).input_ids
        assert torch.allclose(_logits(exported, ids), _logits(reference, ids), atol=1e-4, rtol=0)
        # the exported tokenizer's own chat template renders what training rendered
        assert tokenizer.apply_chat_template(messages, tokenize=False) == render_text(tokenizer, messages,
                                                                                      template=spec)
        assert list(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]) == ids
    assert not torch.allclose(_logits(exported, [1, 2, 3]), base_logits, atol=1e-4)  # the adapter mattered
    generation = json.loads((tmp_path / "merged" / "generation_config.json").read_text())
    assert generation["eos_token_id"] == tokenizer.convert_tokens_to_ids("<|im_end|>")


def _shard_tensor_bytes(folder: Path) -> dict[str, tuple[int, int]]:
    """shard file → (tensor bytes, tensor count)."""
    from safetensors import safe_open

    sizes = {}
    for file in folder.glob("model-*.safetensors"):
        with safe_open(str(file), framework="pt") as handle:
            tensors = [handle.get_tensor(k) for k in handle.keys()]  # noqa: SIM118
            sizes[file.name] = (sum(t.numel() * t.element_size() for t in tensors), len(tensors))
    return sizes


def test_adapters_merge_in_order_and_shards_respect_export_size(tiny_qwen, qwen_adapters, tmp_path, capsys):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    first, second = qwen_adapters
    _export(capsys, str(tiny_qwen), f"adapter_name_or_path={first},{second}", "template=qwen",
            "export_size=0.0002", f"export_dir={tmp_path / 'out'}")
    sizes = _shard_tensor_bytes(tmp_path / "out")
    assert len(sizes) > 1
    # a shard stays under export_size unless it holds one tensor that is larger by itself
    assert all(size <= 200_000 or count == 1 for size, count in sizes.values()), sizes
    index = json.loads((tmp_path / "out" / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"].values()) == set(sizes)

    expected = AutoModelForCausalLM.from_pretrained(str(tiny_qwen))
    expected = PeftModel.from_pretrained(expected, str(first)).merge_and_unload()
    expected = PeftModel.from_pretrained(expected, str(second)).merge_and_unload().eval()
    exported = AutoModelForCausalLM.from_pretrained(str(tmp_path / "out")).eval()
    ids = list(range(3, 40))
    assert torch.allclose(_logits(exported, ids), _logits(expected, ids), atol=1e-4, rtol=0)


def test_legacy_bin_format_loads_in_transformers(tiny_qwen, qwen_adapters, tmp_path, capsys):
    from transformers import AutoModelForCausalLM

    _export(capsys, str(tiny_qwen), f"adapter_name_or_path={qwen_adapters[0]}", "template=qwen",
            "export_legacy_format=true", f"export_dir={tmp_path / 'bin'}")
    files = sorted(p.name for p in (tmp_path / "bin").iterdir())
    assert "pytorch_model.bin" in files and not any(f.endswith(".safetensors") for f in files)
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "bin"))
    assert model.config.model_type == "qwen2"


def test_llamafactory_export_yaml_is_accepted(tiny_qwen, qwen_adapters, tmp_path, capsys):
    needs_lf_fixtures()
    yaml_file = LF_FIXTURES / "examples" / "merge_lora" / "qwen3_lora_sft.yaml"
    out = _export(capsys, str(yaml_file), f"model_name_or_path={tiny_qwen}",
                  f"adapter_name_or_path={qwen_adapters[0]}", f"export_dir={tmp_path / 'lf'}")
    assert "verify merge" in out
    tokenizer_config = (tmp_path / "lf" / "chat_template.jinja").read_text()
    assert "<|im_start|>" in tokenizer_config  # the YAML's qwen3_nothink template went into the tokenizer


def _error(capsys, *argv: str) -> str:
    capsys.readouterr()  # progress bars of the set-up are not the command's output
    code = main(["export", *argv])
    _, err = capsys.readouterr()
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_refuses_a_non_empty_export_dir(tiny_qwen, tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    assert "not empty" in _error(capsys, str(tiny_qwen), f"export_dir={tmp_path / 'full'}")


def test_adapter_from_another_base_model(tiny_qwen, tiny_llama, tmp_path, capsys):
    from tests.export.conftest import make_adapter

    adapter = make_adapter(tiny_llama, tmp_path / "llama-adapter", seed=0)
    err = _error(capsys, str(tiny_qwen), f"adapter_name_or_path={adapter}", f"export_dir={tmp_path / 'x'}")
    assert "different model" in err and "model_type llama vs qwen2" in err


def test_adapter_whose_shapes_do_not_fit(tiny_qwen, tmp_path, capsys):
    from transformers import AutoModelForCausalLM, Qwen2Config

    from tests.export.conftest import make_adapter

    wider = tmp_path / "wider"
    AutoModelForCausalLM.from_config(Qwen2Config(hidden_size=96, intermediate_size=128, num_hidden_layers=2,
                                                 num_attention_heads=4, num_key_value_heads=2,
                                                 vocab_size=64)).save_pretrained(wider)
    adapter = make_adapter(wider, tmp_path / "wide-adapter", seed=0)
    (wider / "config.json").rename(wider / "moved.json")  # the named base is gone: only shapes can tell
    err = _error(capsys, str(tiny_qwen), f"adapter_name_or_path={adapter}", f"export_dir={tmp_path / 'x'}")
    assert "does not fit this base model" in err


def test_missing_adapter_files(tiny_qwen, qwen_adapters, tmp_path, capsys):
    assert "adapter folder not found" in _error(capsys, str(tiny_qwen), f"adapter_name_or_path={tmp_path / 'nope'}",
                                                f"export_dir={tmp_path / 'x'}")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "adapter_config.json").write_text((qwen_adapters[0] / "adapter_config.json").read_text())
    assert "weights are missing" in _error(capsys, str(tiny_qwen), f"adapter_name_or_path={broken}",
                                           f"export_dir={tmp_path / 'x'}")


def test_unsupported_gguf_architecture(tmp_path, capsys):
    from transformers import AutoModelForCausalLM, GPT2Config

    gpt2 = tmp_path / "gpt2"
    AutoModelForCausalLM.from_config(GPT2Config(n_embd=32, n_layer=1, n_head=2, vocab_size=64)).save_pretrained(gpt2)
    err = _error(capsys, str(gpt2), f"export_dir={tmp_path / 'g'}", "export_format=gguf")
    assert "does not support architecture 'gpt2'" in err
    assert "supported: llama, mistral, qwen2, qwen3, mixtral, qwen2_moe, phi3, gemma, gemma2, gemma3_text" in err
    assert "export_format: hf" in err


@pytest.mark.parametrize("change, reason", [
    ({"layer_types": ["full_attention", "sliding_attention"]}, "not llama.cpp's fixed Gemma 3 pattern"),
    ({"query_pre_attn_scalar": 256}, "llama.cpp scales queries by 16"),
])
def test_gemma3_configs_llama_cpp_would_run_differently_are_refused(change, reason):
    from transformers import Gemma3TextConfig

    from tuneforge.core.errors import UserError
    from tuneforge.export.gguf.arch import arch_spec

    config = Gemma3TextConfig(vocab_size=64, hidden_size=64, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=4, num_key_value_heads=2, head_dim=16, query_pre_attn_scalar=16)
    assert arch_spec(config).norm_shift == 1.0
    for key, value in change.items():
        setattr(config, key, value)
    with pytest.raises(UserError, match=reason):
        arch_spec(config)


@pytest.mark.parametrize("bits", [8, 4])
def test_quantized_export_loads_back_close_to_the_source(bits, qwen_run, tmp_path, capsys):
    import torch
    from transformers import AutoModelForCausalLM

    _export(capsys, str(qwen_run), f"export_dir={tmp_path / 'q'}", f"export_quantization_bit={bits}")
    report = json.loads((tmp_path / "q" / "export_verify.json").read_text())
    assert report["passed"] and report["checks"][0]["details"]["dtype"] == f"int{bits}"
    config = json.loads((tmp_path / "q" / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "bitsandbytes"
    assert config["quantization_config"][f"load_in_{bits}bit"] is True
    model = AutoModelForCausalLM.from_pretrained(str(tmp_path / "q"), device_map="cpu")
    linear = model.model.layers[0].self_attn.q_proj
    assert type(linear).__module__.startswith("bitsandbytes")
    assert torch.isfinite(model(input_ids=torch.tensor([[1, 2, 3]])).logits).all()


def test_quantized_export_refuses_sizes_bitsandbytes_cannot_hold_on_cpu(tmp_path, capsys):
    from transformers import AutoModelForCausalLM, Qwen2Config

    odd = tmp_path / "odd"
    AutoModelForCausalLM.from_config(Qwen2Config(hidden_size=48, intermediate_size=100, num_hidden_layers=1,
                                                 num_attention_heads=4, num_key_value_heads=2,
                                                 vocab_size=64)).save_pretrained(odd)
    err = _error(capsys, str(odd), f"export_dir={tmp_path / 'q'}", "export_quantization_bit=4")
    assert "multiple of 32" in err and "export_quantization_bit" in err


def test_push_offline_is_a_clear_error(tiny_qwen, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    err = _error(capsys, str(tiny_qwen), f"export_dir={tmp_path / 'p'}", "export_hub_model_id=me/model")
    assert "HF_HUB_OFFLINE" in err and not (tmp_path / "p").exists()


def test_training_keys_that_export_would_ignore_are_refused(qwen_run, tmp_path, capsys):
    """quantization_bit quantizes a base model for training; export would write full precision without a word.
    A full/freeze finetuning_type with an adapter would merge it although the config says no LoRA
    (LLaMA-Factory: "Adapter is only valid for the LoRA method")."""
    err = _error(capsys, str(qwen_run), f"export_dir={tmp_path / 'q'}", "quantization_bit=4")
    assert err == ("error: command line: quantization_bit — loads a base model quantized for training and is not "
                   "read by export; to quantize the exported model set export_quantization_bit: 4\n")
    err = _error(capsys, str(qwen_run), f"export_dir={tmp_path / 'f'}", "finetuning_type=full")
    assert err == (f"error: {qwen_run}: adapter_name_or_path — is only valid with finetuning_type lora (got full); "
                   f"a model trained with full or freeze is a model folder: give it as model_name_or_path\n")
    assert not (tmp_path / "q").exists() and not (tmp_path / "f").exists()
