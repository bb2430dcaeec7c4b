"""Issue 17's consistency promise: for every export, the training template, the GGUF's chat template and the
Modelfile's TEMPLATE give the same token ids (through llama.cpp's tokenizer where llama-cpp-python is
installed), the stop words are the template's stop tokens and end generation, and llama.cpp's greedy tokens are
transformers' — and each of these checks fails when its promise is broken."""
from __future__ import annotations

import importlib.util
import json

import pytest

from tuneforge.export.consistency import check_template_consistency, parse_modelfile
from tuneforge.templates.registry import TEMPLATES, get_template

TEXT_TEMPLATES = sorted(name for name in TEMPLATES if not get_template(name).vision)
WITH_LLAMA_CPP = importlib.util.find_spec("llama_cpp") is not None


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """template name → a tiny random Llama whose tokenizer has that template's special tokens."""
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    root = tmp_path_factory.mktemp("consistency")
    made = {}

    def model(name: str):
        if name not in made:
            spec = TinyModelSpec(arch="llama", template=name, hidden_size=32, intermediate_size=64, num_layers=1,
                                 num_heads=2, num_kv_heads=1, vocab_size=400)
            made[name] = make_tiny_model(root / name, spec)
        return made[name]
    return model


@pytest.mark.parametrize("name", TEXT_TEMPLATES)
def test_every_template_exports_a_consistent_gguf_and_modelfile(name, tiny_models, tmp_path):
    from tuneforge.cli.main import main

    out = tmp_path / "gguf"
    assert main(["export", str(tiny_models(name)), f"export_dir={out}", "export_format=gguf", "gguf_type=f32",
                 f"template={name}"]) == 0
    checks = {c["name"]: c for c in json.loads((out / "export_verify.json").read_text())["checks"]}
    assert checks["template"]["passed"], checks["template"]["details"]["problems"]
    assert checks["template"]["details"]["renderings_compared"] >= 2
    assert ("greedy" in checks) == WITH_LLAMA_CPP
    if WITH_LLAMA_CPP:
        assert checks["greedy"]["passed"] and checks["greedy"]["details"]["top1_agreement"] == 1.0


def _export(model_dir, out, template="qwen"):
    from tuneforge.cli.main import main

    assert main(["export", str(model_dir), f"export_dir={out}", "export_format=gguf", "gguf_type=f32",
                 f"template={template}"]) == 0
    return out / "model-f32.gguf", (out / "Modelfile").read_text()


def test_template_check_fails_on_a_modelfile_that_renders_other_ids(tiny_qwen, tmp_path):
    from transformers import AutoTokenizer

    gguf_file, text = _export(tiny_qwen, tmp_path / "g")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_qwen))
    assert parse_modelfile(text)["stops"] == ["<|im_end|>"]
    template = get_template("qwen")
    assert check_template_consistency(gguf_file, text, template, tokenizer).passed
    dropped_newline = text.replace("<|im_start|>assistant\n", "<|im_start|>assistant", 1)
    bad = check_template_consistency(gguf_file, dropped_newline, template, tokenizer)
    assert not bad.passed and any("Modelfile TEMPLATE gives other ids" in p for p in bad.details["problems"])
    wrong_stop = text.replace("PARAMETER stop <|im_end|>", "PARAMETER stop <|im_start|>")
    bad = check_template_consistency(gguf_file, wrong_stop, template, tokenizer)
    assert not bad.passed and any("stop '<|im_start|>'" in p for p in bad.details["problems"])


def test_template_check_fails_when_the_gguf_chat_template_differs_from_training(tiny_qwen, tmp_path):
    from transformers import AutoTokenizer

    gguf_file, text = _export(tiny_qwen, tmp_path / "g")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_qwen))
    bad = check_template_consistency(gguf_file, text, get_template("chatml"), tokenizer)  # qwen's has a default system
    assert not bad.passed and any("gguf chat_template gives other ids" in p for p in bad.details["problems"])


def test_greedy_check_fails_against_another_model(tiny_qwen, tmp_path):
    pytest.importorskip("llama_cpp")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tuneforge.export.consistency import SAMPLES, check_greedy
    from tuneforge.templates.render import render_prompt

    gguf_file, _ = _export(tiny_qwen, tmp_path / "g")
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_qwen))
    prompt = render_prompt(tokenizer, SAMPLES[0], template=get_template("qwen"))
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen)).eval()
    assert check_greedy(gguf_file, model, prompt, "f32").passed
    with torch.no_grad():
        model.lm_head.weight.mul_(-1)  # the opposite preferences: llama.cpp's tokens are now its worst
    bad = check_greedy(gguf_file, model, prompt, "f32")
    assert not bad.passed and bad.details["top1_agreement"] < 1.0
