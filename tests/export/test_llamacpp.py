"""Definition of done 3 and 5: llama.cpp itself (through llama-cpp-python) loads the GGUF files the pure-Python
writer produces and computes what transformers computes; a LoRA fine-tune survives merge → GGUF → llama.cpp.

llama-cpp-python compiles llama.cpp from source (~8 min on 2 cores; pip caches the wheel):
    CMAKE_ARGS=-DGGML_NATIVE=OFF pip install -c constraints.txt llama-cpp-python
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA_DIR, sft_config

llama_cpp = pytest.importorskip(
    "llama_cpp", reason="llama-cpp-python is not installed (it builds llama.cpp from source, ~8 min): "
                        "CMAKE_ARGS=-DGGML_NATIVE=OFF pip install -c constraints.txt llama-cpp-python")

TEXT = ("Who are you? I am a small language model. The quick brown fox jumps over the lazy dog. "
        "Give three tips for staying healthy: eat well, sleep enough, and move every day. 你好，世界！ "
        "Numbers like 12345 and symbols like #, @ and {} are tokenized too.")


def _hf(path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(str(path)).eval(), AutoTokenizer.from_pretrained(str(path))


def _gguf(model, tokenizer, path: Path, gguf_type: str, template=None) -> Path:
    """The GGUF as the export writes it for `template` (which decides add_bos_token)."""
    from tuneforge.export.gguf.vocab import runtime_adds_bos
    from tuneforge.export.gguf.write import write_gguf

    add_bos = runtime_adds_bos(tokenizer, template) if template is not None else None
    return write_gguf(model, tokenizer, path, gguf_type, add_bos=add_bos)


def _open(path: Path, *, f32_cache: bool = False):
    """llama.cpp on `path`; `f32_cache` keeps keys and values in F32 (llama.cpp's default F16 cache alone
    costs ~1e-3 relative on Gemma 3, whose q/k norms give unit-scale keys)."""
    cache = {"type_k": 0, "type_v": 0} if f32_cache else {}  # 0: GGML_TYPE_F32
    return llama_cpp.Llama(model_path=str(path), n_ctx=512, logits_all=True, verbose=False, n_threads=2, seed=0,
                           **cache)


def _llama_logits(llm, ids: list[int]) -> np.ndarray:
    llm.reset()
    llm.eval(ids)
    return np.array(llm.scores[:len(ids)], dtype=np.float32)


def _lora_logits(base: Path, lora: Path, ids: list[int]) -> np.ndarray:
    """llama.cpp's logits for `ids` on the base GGUF with the GGUF LoRA adapter applied (not merged)."""
    llm = llama_cpp.Llama(model_path=str(base), lora_path=str(lora), n_ctx=512, logits_all=True, verbose=False,
                          n_threads=2)
    try:
        return _llama_logits(llm, ids)
    finally:
        llm.close()


def _assert_consistent(gguf_file: Path, tokenizer, template) -> None:
    """The export's template check on this GGUF and the Modelfile written for it, with llama.cpp's tokenizer."""
    from tuneforge.export.consistency import check_template_consistency
    from tuneforge.export.modelfile import tokenizer_modelfile

    check = check_template_consistency(gguf_file, tokenizer_modelfile(gguf_file.name, template, tokenizer),
                                       template, tokenizer)
    assert check.passed and check.details["tokenizer"] == "llama.cpp", check.details["problems"]


def _hf_logits(model, ids: list[int]) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].numpy()


def _llama_greedy(llm, ids: list[int], n: int) -> list[int]:
    llm.reset()
    llm.eval(ids)
    out = []
    for _ in range(n):
        token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
        out.append(token)
        llm.eval([token])
    return out


def _hf_greedy(model, ids: list[int], n: int) -> list[int]:
    import torch

    with torch.no_grad():
        out = model.generate(input_ids=torch.tensor([ids]), max_new_tokens=n, min_new_tokens=n, do_sample=False,
                             eos_token_id=None, pad_token_id=0)
    return out[0, len(ids):].tolist()


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_llama_cpp_matches_transformers(arch, tiny_llama, tiny_qwen, tmp_path):
    model, tokenizer = _hf(tiny_llama if arch == "llama" else tiny_qwen)
    ids = tokenizer(TEXT)["input_ids"]
    reference = _hf_logits(model, ids)
    llm = _open(_gguf(model, tokenizer, tmp_path / "f32.gguf", "f32"))
    try:
        assert llm.tokenize(TEXT.encode(), add_bos=False, special=True) == ids  # same tokenizer
        logits = _llama_logits(llm, ids)
        scale = np.abs(reference).max()
        assert np.abs(logits[-1] - reference[-1]).max() / scale < 1e-3  # next-token logits
        assert np.abs(logits - reference).max() / scale < 1e-3  # and every position
        assert _llama_greedy(llm, ids[:12], 20) == _hf_greedy(model, ids[:12], 20)
    finally:
        llm.close()
    llm = _open(_gguf(model, tokenizer, tmp_path / "q8.gguf", "q8_0"))
    try:
        agreement = (_llama_logits(llm, ids).argmax(-1) == reference.argmax(-1)).mean()
    finally:
        llm.close()
    assert agreement >= 0.95, agreement


def test_identity_fine_tune_survives_merge_and_gguf(tiny_qwen, tmp_path, capsys):
    import tuneforge
    from tuneforge.cli.main import main
    from tuneforge.inference.hf import HFEngine

    run = tuneforge.train(sft_config(tiny_qwen, tmp_path / "identity", dataset="identity", lora_rank=16,
                                     learning_rate=5e-3, num_train_epochs=25, lr_scheduler_type="cosine"))
    question = [{"role": "user", "content": "Who are you?"}]
    trained = HFEngine.load(run.path).chat(question, max_new_tokens=24)
    assert "Forge" in trained, trained
    assert main(["export", str(run.path), f"export_dir={tmp_path / 'gguf'}", "export_format=gguf",
                 "gguf_type=q8_0"]) == 0
    assert "verify gguf" in capsys.readouterr().out
    llm = llama_cpp.Llama(model_path=str(tmp_path / "gguf" / "model-q8_0.gguf"), n_ctx=512, verbose=False,
                          n_threads=2, seed=0)
    try:
        # llama.cpp renders the prompt with the chat template stored in the GGUF and stops at <|im_end|>
        reply = llm.create_chat_completion(messages=question, max_tokens=24, temperature=0.0)
    finally:
        llm.close()
    answer = reply["choices"][0]["message"]["content"].strip()
    assert "Forge" in answer, (answer, trained)


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_lora_as_a_gguf_adapter_matches_the_merged_model(arch, tiny_llama, tiny_qwen, tmp_path):
    from peft import PeftModel

    from tests.export.conftest import make_adapter
    from tuneforge.export.gguf.lora import write_gguf_lora

    base_dir = tiny_llama if arch == "llama" else tiny_qwen
    adapter = make_adapter(base_dir, tmp_path / "adapter", seed=3)
    model, tokenizer = _hf(base_dir)
    base_file = _gguf(model, tokenizer, tmp_path / "base.gguf", "f32")
    lora_file = write_gguf_lora(adapter, model.config, tmp_path / "lora.gguf")
    ids = tokenizer(TEXT)["input_ids"]
    reference = _hf_logits(PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval(), ids)
    logits = _lora_logits(base_file, lora_file, ids)
    assert np.abs(logits - reference).max() / np.abs(reference).max() < 1e-3


# Top-1 agreement with the F32 file that each K-quant must reach (issue 17, definition of done 2).
K_QUANTS = {"q4_k_m": 0.90, "q5_k_m": 0.95, "q6_k": 0.97}


def test_k_quants_of_a_trained_model_agree_with_f32(learner_qwen, tmp_path, capsys):
    """llama.cpp's own quantizer writes q4_k_m / q5_k_m / q6_k from tuneforge's F16 file: each loads, its greedy
    next token agrees with the F32 file's on most positions, and the sizes fall in the types' order. The
    256-wide model fits K-quant blocks (a row of 256 values), so no tensor takes a fallback type."""
    import json

    import tuneforge
    from tuneforge.cli.main import main

    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "run", dataset="identity", num_train_epochs=8,
                                     finetuning_type="full", learning_rate=5e-4))
    files, agreement = {}, {}
    for gguf_type in ("f32", "f16", *K_QUANTS):
        folder = tmp_path / gguf_type
        assert main(["export", str(run.path), f"export_dir={folder}", "export_format=gguf",
                     f"gguf_type={gguf_type}"]) == 0
        files[gguf_type] = folder / f"model-{gguf_type}.gguf"
        assert sorted(p.name for p in folder.iterdir()) == ["Modelfile", "export_verify.json",
                                                            f"model-{gguf_type}.gguf"]  # no F16 step left
    capsys.readouterr()
    report = json.loads((tmp_path / "q4_k_m" / "export_verify.json").read_text())
    quant = next(c for c in report["checks"] if c["name"] == "llama.cpp quantize")
    assert quant["passed"] and quant["max_abs_diff"] == 0.0  # no matrix fell back
    assert quant["details"]["fallback"] == {} and "Q4_K" in quant["details"]["tensor_types"]

    # The probe is what the model learned (the identity answers), where its predictions are decided; on text
    # it never saw, a tiny model's next-token scores are nearly flat and any rounding flips the top one.
    rows = json.loads((DATA_DIR / "identity.json").read_text())[:6]
    probe = " ".join(row["output"].replace("{{name}}", "Forge").replace("{{author}}", "tuneforge") for row in rows)
    llm = _open(files["f32"])
    ids = llm.tokenize(probe.encode(), add_bos=False)
    reference = _llama_logits(llm, ids).argmax(-1)
    llm.close()
    for gguf_type, needed in K_QUANTS.items():
        llm = _open(files[gguf_type])
        agreement[gguf_type] = float((_llama_logits(llm, ids).argmax(-1) == reference).mean())
        llm.close()
    sizes = {t: files[t].stat().st_size / files["f16"].stat().st_size for t in files}
    print("top-1 agreement with f32:", agreement, "size / f16:", {t: round(r, 3) for t, r in sizes.items()})
    for gguf_type, needed in K_QUANTS.items():
        assert agreement[gguf_type] >= needed, (gguf_type, agreement)
    assert sizes["q4_k_m"] < sizes["q5_k_m"] < sizes["q6_k"] < 0.75 < 1.0 < sizes["f32"]


def test_k_quant_of_a_64_wide_model_reports_every_matrix_as_a_fallback(tiny_qwen, tmp_path):
    """Rows of 64 values fit no 256-value K block: llama.cpp stores such matrices in its fallback types, and
    the report names each one."""
    import json

    from tuneforge.cli.main import main

    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'g'}", "export_format=gguf",
                 "gguf_type=q4_k_m"]) == 0
    report = json.loads((tmp_path / "g" / "export_verify.json").read_text())
    quant = next(c for c in report["checks"] if c["name"] == "llama.cpp quantize")
    assert quant["passed"] and quant["max_abs_diff"] == 1.0
    assert "blk.0.attn_q.weight" in quant["details"]["fallback"]
    assert "Q4_K" not in quant["details"]["tensor_types"]


def test_exported_gguf_adapter_on_its_base_matches_the_merged_export(tiny_qwen, tmp_path):
    """Issue 17, definition of done 3: `export_adapter_only` → llama.cpp with the base GGUF + the adapter
    GGUF computes the logits of the merged model's f32 GGUF (within 1e-3 relative)."""
    from tests.export.conftest import make_adapter
    from tuneforge.cli.main import main

    adapter = make_adapter(tiny_qwen, tmp_path / "adapter", seed=5)
    common = [f"adapter_name_or_path={adapter}", "export_format=gguf", "template=qwen", "gguf_type=f32"]
    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'merged'}", *common]) == 0
    assert main(["export", str(tiny_qwen), f"export_dir={tmp_path / 'split'}", *common,
                 "export_adapter_only=true"]) == 0
    merged = _open(tmp_path / "merged" / "model-f32.gguf")
    ids = merged.tokenize(TEXT.encode(), add_bos=False)
    reference = _llama_logits(merged, ids)
    merged.close()
    logits = _lora_logits(tmp_path / "split" / "model-f32.gguf", tmp_path / "split" / "adapter-f32.gguf", ids)
    assert np.abs(logits - reference).max() / np.abs(reference).max() < 1e-3


SAMPLE_CONVERSATIONS = [
    [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke.\nA short one, 12345 words at most."}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "你好，世界！ Who are you?"}],
]


def _assert_like_transformers(model, tokenizer, template, tmp_path: Path, *, f32_cache: bool = False) -> list:
    """Issue 17, definition of done 1: f32 and f16 GGUFs (written as the export writes them for `template`)
    load in llama.cpp; its tokenizer gives transformers' ids for the template-rendered sample conversations,
    special tokens included; f32 logits within 1e-3 relative; 20 greedy tokens identical; and the export's
    template check passes. Returns the sample prompts' ids."""
    from tuneforge.templates.render import render_text

    tokenizer.chat_template = template.export_chat_template()  # what the export writes into the GGUF
    texts = [render_text(tokenizer, c, template=template, add_generation_prompt=True) for c in SAMPLE_CONVERSATIONS]
    prompts = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
    for gguf_type in ("f32", "f16"):
        llm = _open(_gguf(model, tokenizer, tmp_path / f"{gguf_type}.gguf", gguf_type, template), f32_cache=f32_cache)
        try:
            for text, ids in zip(texts, prompts):
                assert llm.tokenize(text.encode(), add_bos=False, special=True) == ids, (gguf_type, text)
                if gguf_type == "f32":
                    reference = _hf_logits(model, ids)
                    assert np.abs(_llama_logits(llm, ids) - reference).max() / np.abs(reference).max() < 1e-3
                    assert _llama_greedy(llm, ids, 20) == _hf_greedy(model, ids, 20)
        finally:
            llm.close()
    _assert_consistent(tmp_path / "f32.gguf", tokenizer, template)
    return prompts


@pytest.mark.parametrize("fixture", ["llama2_chat", "mistral", "zephyr", "mixtral"])
def test_sentencepiece_models_tokenize_and_compute_like_transformers(fixture, tmp_path):
    """Definition of done 1 (`_assert_like_transformers`) for Llama-family models with SentencePiece
    vocabularies."""
    from tests.export.conftest import SPM_FIXTURES, spm_llama
    from tuneforge.templates.registry import get_template

    model, tokenizer = spm_llama(fixture)
    _assert_like_transformers(model, tokenizer, get_template(SPM_FIXTURES[fixture]), tmp_path)


@pytest.mark.parametrize("kind", ["phi3", "phi3_longrope", "gemma", "gemma2", "gemma3", "mixtral", "qwen2_moe"])
def test_more_architectures_tokenize_and_compute_like_transformers(kind, tmp_path):
    """Definition of done 1 (`_assert_like_transformers`, llama.cpp's KV cache in F32) for phi3 (with and
    without Phi-3.5's longrope; its rstrip special tokens), gemma, gemma2, gemma3 text, and the MoE models
    mixtral and qwen2_moe; and a LoRA adapter as a GGUF adapter on the base matches the merged model within
    1e-3."""
    from peft import PeftModel

    from tests.export.conftest import ARCH_TEMPLATES, make_adapter, tiny_arch
    from tuneforge.core.errors import UserError
    from tuneforge.export.gguf.lora import write_gguf_lora
    from tuneforge.templates.registry import get_template

    model, tokenizer = tiny_arch(kind)
    prompts = _assert_like_transformers(model, tokenizer, get_template(ARCH_TEMPLATES[kind]), tmp_path,
                                        f32_cache=True)
    if kind == "mixtral":  # peft's all-linear reaches its experts, which a GGUF adapter cannot hold: refused
        with pytest.raises(UserError, match="trains MoE experts"):
            write_gguf_lora(make_adapter(model, tmp_path / "experts", seed=3), model.config, tmp_path / "x.gguf")
    adapter = make_adapter(model, tmp_path / "adapter", seed=3,
                           targets=["q_proj", "k_proj", "v_proj", "o_proj"] if kind == "mixtral" else "all-linear")
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()
    lora_file = write_gguf_lora(adapter, model.config, tmp_path / "lora.gguf")
    llm = llama_cpp.Llama(model_path=str(tmp_path / "f32.gguf"), lora_path=str(lora_file), n_ctx=512,
                          logits_all=True, verbose=False, n_threads=2, type_k=0, type_v=0)
    try:
        reference = _hf_logits(merged, prompts[0])
        assert np.abs(_llama_logits(llm, prompts[0]) - reference).max() / np.abs(reference).max() < 1e-3
    finally:
        llm.close()
