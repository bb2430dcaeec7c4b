"""Definition of done 2: GGUF files written by the pure-Python writer read back with gguf.GGUFReader — every
tensor present with its shape, values within the type's tolerance, tokenizer metadata complete — and the
read-back check fails loudly when the file does not match its source."""
from __future__ import annotations

import importlib.util

import gguf
import numpy as np
import pytest

from tuneforge.export.gguf.tensors import permute
from tuneforge.export.gguf.write import write_gguf
from tuneforge.export.verify import check_gguf
from tuneforge.templates.registry import get_template

Q = gguf.GGMLQuantizationType
TOLERANCE = {"f32": 0.0, "f16": 1e-3, "bf16": 8e-3, "q8_0": 1 / 127, "q4_0": 1 / 7}


def _load(path, template: str):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    tokenizer.chat_template = get_template(template).export_chat_template()
    return AutoModelForCausalLM.from_pretrained(str(path)).eval(), tokenizer


def _hf_name(gguf_name: str) -> str:
    names = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}
    layer = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
             "ffn_down": "mlp.down_proj", "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm"}
    parts = gguf_name.split(".")
    if parts[0] == "blk":
        return f"model.layers.{parts[1]}.{layer[parts[2]]}.{parts[3]}"
    return f"{names[parts[0]]}.{parts[1]}"


@pytest.mark.parametrize("gguf_type", ["f32", "f16", "bf16", "q8_0", "q4_0"])
@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_gguf_reads_back_with_every_tensor(arch, gguf_type, tiny_qwen, tiny_llama, tmp_path):
    model, tokenizer = _load(tiny_qwen if arch == "qwen2" else tiny_llama, "qwen" if arch == "qwen2" else "llama3")
    path = write_gguf(model, tokenizer, tmp_path / "m.gguf", gguf_type)
    reader = gguf.GGUFReader(str(path))
    state = {k: v.float().numpy() for k, v in model.state_dict().items()}
    stored = {t.name: t for t in reader.tensors}
    assert set(map(_hf_name, stored)) == set(state)  # every weight, nothing else (untied lm_head kept)
    heads, kv_heads = model.config.num_attention_heads, model.config.num_key_value_heads
    for name, tensor in stored.items():
        source = state[_hf_name(name)]
        if arch == "llama" and name.split(".")[2:3] in (["attn_q"], ["attn_k"]):
            source = permute(source, heads if "attn_q" in name else kv_heads)  # GGML's rope layout
        assert tuple(reversed(tensor.shape.tolist())) == source.shape, name
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(source.shape)
        if source.ndim == 1:
            assert tensor.tensor_type == Q.F32, name  # norms and biases stay f32
        bound = TOLERANCE[gguf_type] * np.abs(source).max() + 1e-8
        assert np.abs(values - source).max() <= bound, name
    if arch == "qwen2":
        assert "blk.0.attn_q.bias" in stored and "blk.1.attn_v.bias" in stored


def _field(reader, key):
    return reader.fields[key].contents()


@pytest.mark.parametrize("arch", ["qwen2", "llama"])
def test_tokenizer_metadata_is_complete(arch, tiny_qwen, tiny_llama, tmp_path):
    import json

    template = "qwen" if arch == "qwen2" else "llama3"
    model, tokenizer = _load(tiny_qwen if arch == "qwen2" else tiny_llama, template)
    spec = get_template(template)
    path = write_gguf(model, tokenizer, tmp_path / "m.gguf", "f16", end_of_turn=spec.end_of_turn(tokenizer.eos_token))
    reader = gguf.GGUFReader(str(path))
    assert _field(reader, "general.architecture") == arch
    assert _field(reader, "tokenizer.ggml.model") == "gpt2"
    assert _field(reader, "tokenizer.ggml.pre") == "qwen2"  # the tiny tokenizers split with Qwen2's regex
    tokens = _field(reader, "tokenizer.ggml.tokens")
    vocab = tokenizer.get_vocab()
    assert len(tokens) == model.config.vocab_size and all(vocab[t] == i for i, t in enumerate(tokens))
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["merges"]
    assert len(_field(reader, "tokenizer.ggml.merges")) == len(merges) > 100
    types = _field(reader, "tokenizer.ggml.token_type")
    for token in spec.special_tokens:
        assert types[vocab[token]] == gguf.TokenType.CONTROL, token
    assert types[vocab["a"]] == gguf.TokenType.NORMAL
    assert _field(reader, "tokenizer.ggml.eos_token_id") == tokenizer.eos_token_id
    assert _field(reader, "tokenizer.ggml.padding_token_id") == tokenizer.pad_token_id
    assert _field(reader, "tokenizer.ggml.add_bos_token") is False  # the tiny tokenizers add no BOS themselves
    if arch == "llama":
        assert _field(reader, "tokenizer.ggml.bos_token_id") == vocab["<|begin_of_text|>"]
    assert _field(reader, "tokenizer.chat_template") == spec.export_chat_template()
    assert _field(reader, f"{arch}.block_count") == 2 and _field(reader, f"{arch}.attention.head_count_kv") == 2


def test_read_back_check_fails_on_a_mismatch(tiny_qwen, tmp_path):
    import torch

    model, tokenizer = _load(tiny_qwen, "qwen")
    path = write_gguf(model, tokenizer, tmp_path / "m.gguf", "q8_0")
    good = check_gguf(path, model, "q8_0", tokenizer.chat_template, model.config.vocab_size)
    assert good.passed and good.details["tensors"] == len(gguf.GGUFReader(str(path)).tensors)
    with torch.no_grad():
        model.model.layers[1].mlp.down_proj.weight.mul_(1.5)  # the file no longer matches this model
    bad = check_gguf(path, model, "q8_0", "another template", model.config.vocab_size)
    assert not bad.passed
    assert any("blk.1.ffn_down.weight" in p for p in bad.details["problems"])
    assert any("chat_template" in p for p in bad.details["problems"])


def test_gguf_export_through_the_cli_writes_modelfile_and_report(tiny_llama, tmp_path, capsys):
    import json

    from tuneforge.cli.main import main

    code = main(["export", str(tiny_llama), f"export_dir={tmp_path / 'g'}", "export_format=gguf",
                 "gguf_type=q8_0", "template=llama3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "verify gguf:" in out and "verify merge:" in out
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["Modelfile", "export_verify.json",
                                                                 "model-q8_0.gguf"]
    report = json.loads((tmp_path / "g" / "export_verify.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    with_llama_cpp = importlib.util.find_spec("llama_cpp") is not None
    assert report["passed"] and list(checks) == ["merge", "gguf", "template"] + ["greedy"] * with_llama_cpp
    template = checks["template"]["details"]
    assert template["renderings_compared"] == 4 and template["stops"] == ["<|eot_id|>", "<|eom_id|>"]
    assert template["tokenizer"] == ("llama.cpp" if with_llama_cpp else "transformers")
    modelfile = (tmp_path / "g" / "Modelfile").read_text()
    assert "FROM ./model-q8_0.gguf" in modelfile and "PARAMETER stop <|eot_id|>" in modelfile
    assert modelfile.count("<|begin_of_text|>") == 1  # the tokenizer adds no BOS, so the TEMPLATE writes it


def test_llama_cpp_types_without_the_extra_name_it_and_write_nothing(tiny_qwen, tmp_path, capsys):
    """Issue 17, definition of done 2 (its half without llama-cpp-python): a K-quant asks for the gguf extra,
    by name, before anything loads, and leaves no file behind."""
    import importlib.util

    from tuneforge.cli.main import main

    if importlib.util.find_spec("llama_cpp") is not None:
        pytest.skip("llama-cpp-python is installed here (make test-gguf runs the K-quant exports)")
    code = main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'g'}", "export_format=gguf",
                 "gguf_type=q4_k_m"])
    err = capsys.readouterr().err
    assert code == 2
    assert "gguf_type — gguf_type q4_k_m is written by llama.cpp's quantizer" in err
    assert "pip install 'tuneforge[gguf]'" in err
    assert not (tmp_path / "g").exists() or not any((tmp_path / "g").iterdir())


def test_lora_export_keeps_the_adapter_as_a_gguf_adapter_for_ollama(tiny_qwen, tmp_path, capsys):
    """Issue 17, definition of done 3 (its file half; llama.cpp's logits are in test_llamacpp.py): the base's
    GGUF, the adapter as a GGUF LoRA adapter, a Modelfile FROM the base with ADAPTER, the template and stops;
    or FROM a base GGUF the user already has."""
    import json

    import gguf

    from tests.export.conftest import make_adapter
    from tuneforge.cli.main import main

    adapter = make_adapter(tiny_qwen, tmp_path / "adapter", seed=1)
    common = [f"adapter_name_or_path={adapter}", "export_format=gguf", "template=qwen", "export_adapter_only=true"]
    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'g'}", *common]) == 0
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["Modelfile", "adapter-f16.gguf",
                                                                 "export_verify.json", "model-f16.gguf"]
    lines = (tmp_path / "g" / "Modelfile").read_text().splitlines()
    assert "FROM ./model-f16.gguf" in lines and "ADAPTER ./adapter-f16.gguf" in lines
    checks = {c["name"]: c for c in json.loads((tmp_path / "g" / "export_verify.json").read_text())["checks"]}
    assert checks["template"]["passed"] and checks["template"]["details"]["renderings_compared"] == 4
    if "greedy" in checks:  # llama.cpp with the adapter GGUF vs transformers with the peft adapter
        assert checks["greedy"]["passed"] and checks["greedy"]["details"]["adapter"] == "adapter-f16.gguf"
    assert any(line.startswith("TEMPLATE ") for line in lines) and "PARAMETER stop <|im_end|>" in lines
    reader = gguf.GGUFReader(str(tmp_path / "g" / "adapter-f16.gguf"))
    assert bytes(reader.fields["general.type"].parts[-1]).decode() == "adapter"
    assert sum(t.name.endswith(".lora_a") for t in reader.tensors) == 2 * 7  # 2 layers × 7 linear modules
    # The base GGUF is the base model itself (the adapter is not merged into it).
    base = {t.name: t for t in gguf.GGUFReader(str(tmp_path / "g" / "model-f16.gguf")).tensors}
    from transformers import AutoModelForCausalLM
    q_proj = AutoModelForCausalLM.from_pretrained(str(tiny_qwen)).model.layers[0].self_attn.q_proj.weight
    assert np.allclose(base["blk.0.attn_q.weight"].data.astype(np.float32), q_proj.detach().numpy(), atol=1e-3)

    reused = tmp_path / "g" / "model-f16.gguf"
    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'h'}", *common,
                 f"export_base_gguf={reused}"]) == 0
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == ["Modelfile", "adapter-f16.gguf",
                                                                 "export_verify.json"]
    checks = [c["name"] for c in json.loads((tmp_path / "h" / "export_verify.json").read_text())["checks"]]
    assert checks == ["template"]  # the given base is no reference for greedy tokens, its chat template not ours
    assert f"FROM {reused.resolve()}" in (tmp_path / "h" / "Modelfile").read_text().splitlines()
    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'i'}", "export_format=gguf",
                 "export_adapter_only=true"]) == 2
    assert "export_adapter_only — needs a LoRA adapter" in capsys.readouterr().err


@pytest.mark.parametrize("fixture", ["llama2_chat", "mistral"])
def test_sentencepiece_vocabularies_are_written_as_llama_tokenizers(fixture, tmp_path):
    """Issue 17: SentencePiece-style tokenizers go out as llama.cpp's "llama" model — tokens, types and merge
    scores from gguf's LlamaHfVocab, control tokens such as [INST] typed as such, the space-prefix rule."""
    from tests.export.conftest import spm_llama
    from tuneforge.export.gguf.write import write_gguf

    model, tokenizer = spm_llama(fixture)
    path = write_gguf(model, tokenizer, tmp_path / "m.gguf", "f16")
    fields = gguf.GGUFReader(str(path)).fields
    assert bytes(fields["tokenizer.ggml.model"].parts[-1]).decode() == "llama"
    assert len(fields["tokenizer.ggml.scores"].data) == model.config.vocab_size
    assert "tokenizer.ggml.merges" not in fields
    assert bool(fields["tokenizer.ggml.add_space_prefix"].parts[-1][0]) is False  # prepend_scheme "first"
