"""vLLM engine (`infer_backend: vllm`): the same Engine contract over vllm.LLM, for CUDA GPUs.

vllm is optional (no CPU wheels); without it `load` raises a UserError saying how to get it. LoRA adapters are
served unmerged through vllm's LoRARequest (one adapter). Streaming yields the whole reply as one piece: the
offline LLM class has no token streaming.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.inference.engine import Completion, Messages, Sampling, Stream, Tools
from tuneforge.model.stack import check_adapter_paths
from tuneforge.model.load import load_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import jinja_variables, render_prompt, with_default_system
from tuneforge.templates.spec import stop_token_ids


def _import_vllm():
    try:
        import vllm
    except ImportError:
        raise UserError("needs the vllm package, which is not installed (it runs on CUDA GPUs only: "
                        "`pip install vllm`); or use infer_backend: huggingface", field="infer_backend") from None
    return vllm


def _model_generation(path: str | None) -> Any:
    """The model folder's generation config, as the HF engine's model holds it (transformers' defaults —
    greedy — when the folder has none)."""
    from transformers import GenerationConfig

    try:
        return GenerationConfig.from_pretrained(path)
    except OSError:
        return GenerationConfig()


class VLLMEngine:
    def __init__(self, llm: Any, tokenizer: Any, cfg: RunConfig, lora: Any, model_generation: Any = None) -> None:
        self.llm, self.tokenizer, self.cfg, self.lora = llm, tokenizer, cfg, lora
        self.model_generation = model_generation  # the model's generation config: what unset keys follow
        self.template = get_template(cfg.data.template) if cfg.data.template else None
        self.tool_format = cfg.data.tool_format or (self.template.tool_format if self.template else None)
        self.stop_ids = stop_token_ids(tokenizer, self.template)
        self.template_kwargs = jinja_variables(self.template, cfg.model.enable_thinking)
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, cfg: RunConfig) -> VLLMEngine:
        vllm = _import_vllm()
        check_adapter_paths(cfg.model)
        adapters = cfg.model.adapter_paths()
        if len(adapters) > 1:
            raise UserError("vllm serves one LoRA adapter; merge the earlier ones first (tuneforge export)",
                            field="adapter_name_or_path")
        gen = cfg.generation
        llm = vllm.LLM(model=cfg.model.model_name_or_path, trust_remote_code=cfg.model.trust_remote_code,
                       max_model_len=gen.vllm_maxlen, gpu_memory_utilization=gen.vllm_gpu_util,
                       enforce_eager=gen.vllm_enforce_eager, enable_lora=bool(adapters),
                       max_lora_rank=gen.vllm_max_lora_rank)
        lora = None
        if adapters:
            from vllm.lora.request import LoRARequest

            lora = LoRARequest("default", 1, adapters[0])
        tokenizer = load_tokenizer(cfg.model, path=adapters[0] if adapters else None)
        return cls(llm, tokenizer, cfg, lora, _model_generation(cfg.model.model_name_or_path))

    def prompt_ids(self, messages: Messages, *, tools: Tools = None) -> list[int]:
        return render_prompt(self.tokenizer, with_default_system(messages, self.cfg.data.default_system),
                             template=self.template, tools=tools, template_kwargs=self.template_kwargs)

    def _params(self, sampling: Sampling) -> Any:
        vllm = _import_vllm()
        gen = sampling.apply(self.cfg.generation).resolved(self.model_generation)
        return vllm.SamplingParams(
            n=1, temperature=gen.temperature if gen.do_sample else 0.0, top_p=gen.top_p if gen.do_sample else 1.0,
            top_k=gen.top_k if gen.do_sample else -1, repetition_penalty=gen.repetition_penalty,
            max_tokens=gen.max_new_tokens, stop=list(sampling.stop) or None, stop_token_ids=self.stop_ids,
            seed=sampling.seed, skip_special_tokens=gen.skip_special_tokens)

    def generate(self, prompts: Sequence[Sequence[int]], *, sampling: Sampling = Sampling()) -> list[Completion]:
        vllm = _import_vllm()
        inputs = [vllm.TokensPrompt(prompt_token_ids=list(p)) for p in prompts for _ in range(sampling.n)]
        with self._lock:
            outputs = self.llm.generate(inputs, self._params(sampling), lora_request=self.lora, use_tqdm=False)
        return [Completion(o.outputs[0].text, len(o.prompt_token_ids), len(o.outputs[0].token_ids),
                           "length" if o.outputs[0].finish_reason == "length" else "stop") for o in outputs]

    def complete(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling(),
                 media=None) -> list[Completion]:
        if media:
            raise UserError("images and videos are generated with infer_backend: huggingface (the vLLM engine "
                            "takes text only here)", field="infer_backend")
        return self.generate([self.prompt_ids(messages, tools=tools)], sampling=sampling)

    def chat(self, messages: Messages, *, tools: Tools = None, **overrides: Any) -> str:
        return self.complete(messages, tools=tools, sampling=Sampling(**overrides))[0].text.strip()

    def stream(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling()) -> Stream:
        done = self.complete(messages, tools=tools, sampling=sampling)[0]
        return Stream(iter([done.text] if done.text else []), lambda: done, lambda: None)
