"""The consistency promise of a GGUF export: what Ollama and llama.cpp will feed the model is what training fed
it, and the file computes what the merged transformers model computes.

- template: for sample conversations, the training template's prompt ids equal the ids of the GGUF's stored
  `tokenizer.chat_template` rendering and of the Modelfile's TEMPLATE rendering (Ollama's Go-template semantics,
  its SYSTEM as the default system prompt, BOS added by the tokenizer when the GGUF says so). The texts are
  tokenized by llama.cpp's own tokenizer when llama-cpp-python is installed (by transformers otherwise). Every
  Modelfile stop word is one token among the template's stop ids, and the end-of-turn token ends generation in
  llama.cpp (without llama-cpp-python: it is the GGUF's eos/eot id).
- greedy: llama.cpp (with the adapter GGUF applied, for an adapter export) generates the first tokens greedily;
  each must be the merged model's top token, or within the stored type's tolerance of it (a tie at that
  precision): 1e-3 of the largest logit for f32, 2e-2 for f16, 6e-2 for bf16, and for quantized types the
  merge check's int8 bound (0.1, q8_0) or int4 bound (0.3, the rest), which catch a broken file, not rounding.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tuneforge.export.gotemplate import render as render_go
from tuneforge.export.verify import LOGIT_TOLERANCE, Check
from tuneforge.templates.render import render_prompt
from tuneforge.templates.spec import TemplateSpec

SAMPLES = (
    [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Tell me a joke.\nA short one, 12345 words at most."}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "你好，世界！ Who are you?"}],
)
GREEDY_TOKENS = 8
_TYPE_DTYPE = {"f32": "float32", "f16": "float16", "bf16": "bfloat16", "q8_0": "int8"}  # others: int4
_BLOCK = re.compile(r'^(TEMPLATE|SYSTEM) """(.*?)"""$', re.DOTALL | re.MULTILINE)
_STOP = re.compile(r'^PARAMETER stop (?:"""(.*?)"""|(\S+))$', re.MULTILINE)


def _llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        return None
    return llama_cpp


def parse_modelfile(text: str) -> dict[str, Any]:
    """TEMPLATE, SYSTEM and the stop words of a Modelfile tuneforge wrote."""
    blocks = dict(_BLOCK.findall(text))
    return {"template": blocks.get("TEMPLATE"), "system": blocks.get("SYSTEM", ""),
            "stops": [a or b for a, b in _STOP.findall(text)]}


class _Tokenizer:
    """llama.cpp's tokenizer of the GGUF (vocab only), or transformers' when llama-cpp-python is absent."""

    def __init__(self, gguf_path: Path, tokenizer):
        import gguf

        fields = gguf.GGUFReader(str(gguf_path)).fields
        self.chat_template = _field(fields, "tokenizer.chat_template")
        self.add_bos = bool(_field(fields, "tokenizer.ggml.add_bos_token"))
        self.bos = _field(fields, "tokenizer.ggml.bos_token_id")
        self.ends = {_field(fields, f"tokenizer.ggml.{kind}_token_id") for kind in ("eos", "eot")} - {None}
        llama_cpp = _llama_cpp()
        self.llm = (llama_cpp.Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
                    if llama_cpp else None)
        self.hf = tokenizer
        self.name = "llama.cpp" if self.llm else "transformers"

    def ids(self, text: str, add_bos: bool = False) -> list[int]:
        if self.llm is not None:
            ids = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        else:
            ids = self.hf(text, add_special_tokens=False)["input_ids"]
        return ([int(self.bos)] if add_bos and self.bos is not None else []) + list(ids)

    def ends_generation(self, token_id: int) -> bool:
        llama_cpp = _llama_cpp()
        vocab = getattr(getattr(self.llm, "_model", None), "vocab", None)  # llama-cpp-python's loaded vocab
        if vocab is not None:
            return bool(llama_cpp.llama_vocab_is_eog(vocab, token_id))
        return token_id in self.ends

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()


def _field(fields, key: str):
    value = fields.get(key)
    return None if value is None else value.contents()


def check_template_consistency(gguf_path: Path, modelfile_text: str, template: TemplateSpec | None, tokenizer,
                               *, own_gguf: bool = True) -> Check:
    """The `template` check (module docstring); `own_gguf` False for a base GGUF the user gave, whose chat
    template is not tuneforge's (Ollama uses the Modelfile's TEMPLATE)."""
    from tuneforge.templates.spec import stop_token_ids

    parts = parse_modelfile(modelfile_text)
    tok = _Tokenizer(gguf_path, tokenizer)
    problems: list[str] = []
    compared = 0
    try:
        for n, messages in enumerate(SAMPLES):
            if template is not None and not template.supports_system and messages[0]["role"] == "system":
                continue
            want = render_prompt(tokenizer, messages, template=template)
            sources = {}
            if own_gguf and tok.chat_template:
                sources["gguf chat_template"] = tok.ids(tokenizer.apply_chat_template(
                    messages, chat_template=tok.chat_template, add_generation_prompt=True, tokenize=False))
            if parts["template"] is not None:
                sources["Modelfile TEMPLATE"] = tok.ids(render_go(parts["template"], messages, parts["system"]),
                                                        add_bos=tok.add_bos)
            for source, got in sources.items():
                compared += 1
                if got != want:
                    first = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
                    problems.append(f"sample {n + 1}: {source} gives other ids than training from token {first} "
                                    f"({tokenizer.decode(got[first:first + 8])!r} vs "
                                    f"{tokenizer.decode(want[first:first + 8])!r})")
        stops = stop_token_ids(tokenizer, template)
        for word in parts["stops"]:
            ids = tok.ids(word)
            if len(ids) != 1 or ids[0] not in stops:
                problems.append(f"stop {word!r}: tokenizes to {ids}, not one of the template's stop ids {stops}")
        problems += [f"end-of-turn id {i} ({tokenizer.convert_ids_to_tokens(i)!r}) does not end generation in "
                     f"the GGUF" for i in stops[:1] if not tok.ends_generation(i)]
        # A GGUF names one eos and one eot: further stop words (chatglm3's <|observation|>) end a reply in
        # Ollama through PARAMETER stop, in plain llama.cpp only as stop strings.
        others = [tokenizer.convert_ids_to_tokens(i) for i in stops[1:]
                  if tok.llm is not None and not tok.ends_generation(i)]
    finally:
        tok.close()
    return Check("template", not problems, float(len(problems)), 0.0,
                 {"tokenizer": tok.name, "renderings_compared": compared, "stops": parts["stops"],
                  "stops_needing_stop_strings_in_llama_cpp": others, "problems": problems[:20]},
                 measure="mismatches")


def check_greedy(gguf_path: Path, reference_model, prompt: list[int], gguf_type: str, *,
                 lora_path: Path | None = None) -> Check | None:
    """The `greedy` check (module docstring); None without llama-cpp-python."""
    import numpy as np
    import torch

    llama_cpp = _llama_cpp()
    if llama_cpp is None:
        return None
    llm = llama_cpp.Llama(model_path=str(gguf_path), lora_path=str(lora_path) if lora_path else None,
                          n_ctx=len(prompt) + GREEDY_TOKENS + 8, logits_all=True, verbose=False, seed=0)
    try:
        llm.eval(prompt)
        generated: list[int] = []
        for _ in range(GREEDY_TOKENS):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            generated.append(token)
            llm.eval([token])
    finally:
        llm.close()
    with torch.no_grad():  # transformers on the same path (llama.cpp's tokens), one forward
        ids = torch.tensor([prompt + generated[:-1]], device=reference_model.device)
        logits = reference_model(input_ids=ids).logits[0, len(prompt) - 1:].float().cpu().numpy()
    scale = max(1.0, float(np.abs(logits).max()))
    tolerance = LOGIT_TOLERANCE[_TYPE_DTYPE.get(gguf_type, "int4")] * scale
    gaps = [float(row.max() - row[token]) for row, token in zip(logits, generated)]
    agree = sum(row.argmax() == token for row, token in zip(logits, generated))
    return Check("greedy", max(gaps) <= tolerance, max(gaps), tolerance,
                 {"tokens": GREEDY_TOKENS, "top1_agreement": agree / GREEDY_TOKENS, "gguf_type": gguf_type,
                  "adapter": lora_path.name if lora_path else None},
                 measure="largest gap between transformers' top logit and llama.cpp's greedy token")
