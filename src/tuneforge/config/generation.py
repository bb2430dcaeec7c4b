"""The `generation` group: how replies are generated (chat, API server, batch predict, online-RL rollouts) and by
which backend. Defaults are LLaMA-Factory's, but for the sampling keys.

The sampling keys (do_sample, temperature, top_p, top_k, repetition_penalty) are unset unless a config, the
command line or a request sets them. Unset, they follow the model's own generation config (its
generation_config.json: what the model's authors, or tuneforge's tiny models, chose; transformers'
`generate()` and vLLM do the same), so a model that learned a fixed answer is not sampled into gibberish by
default, while an instruct model samples as its authors recommend. What the model's config has no say in
(it does not sample) takes LLaMA-Factory's values (`LF_SAMPLING`). Online-RL rollouts (grpo, ppo) read the
keys set here and otherwise sample from the policy's own distribution (temperature 1, no top-p/top-k cut),
as policy-gradient estimates assume.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import option


@dataclass(frozen=True)
class GenerationConfig:
    infer_backend: str = option("huggingface", "Inference engine: huggingface (transformers generate) or vllm "
                                               "(needs the optional vllm package and a GPU).",
                                ("huggingface", "vllm"))
    do_sample: bool | None = option(None, "Sample (true) or decode greedily (false). Unset: a set temperature "
                                          "decides (0 greedy, above 0 samples), else the model's "
                                          "generation_config.json (greedy unless it samples); grpo/ppo "
                                          "rollouts always sample.")
    temperature: float | None = option(None, "Sampling temperature (0 = greedy, even with do_sample). Unset: "
                                             "the model's, when its generation_config.json samples, else 0.95 "
                                             "(LLaMA-Factory's).")
    top_p: float | None = option(None, "Nucleus sampling: keep the smallest set of tokens with this total "
                                       "probability. Unset: the model's, when its generation_config.json "
                                       "samples, else 0.7.")
    top_k: int | None = option(None, "Sample only among the k most likely tokens. Unset: the model's, when its "
                                     "generation_config.json samples, else 50.")
    num_beams: int = option(1, "Beam search width (1 = no beam search).")
    max_length: int = option(1024, "Maximum total length (prompt + reply) in tokens.")
    max_new_tokens: int = option(1024, "Maximum reply length in tokens (wins over max_length).")
    repetition_penalty: float | None = option(None, "Penalty for repeating tokens (1.0 = none). Unset: the "
                                                    "model's, when its generation_config.json samples, "
                                                    "else 1.0.")
    length_penalty: float = option(1.0, "Beam search length penalty.")
    skip_special_tokens: bool = option(True, "Drop special tokens from the decoded reply.")
    vllm_maxlen: int = option(4096, "vllm: maximum sequence length.")
    vllm_gpu_util: float = option(0.7, "vllm: fraction of GPU memory to use.")
    vllm_enforce_eager: bool = option(False, "vllm: disable CUDA graphs.")
    vllm_max_lora_rank: int = option(32, "vllm: largest LoRA rank served.")

    def resolved(self, model_generation: Any = None) -> GenerationConfig:
        """This config with its unset sampling keys filled in. With `model_generation` (the model's transformers
        GenerationConfig): do_sample as it says, and when it samples, its temperature / top_p / top_k /
        repetition_penalty; without one, or for what a model that does not sample has no say in,
        LLaMA-Factory's values. A set temperature decides an unset do_sample (0 greedy, more samples)."""
        values = {key: getattr(self, key) for key in LF_SAMPLING}
        if values["do_sample"] is None and values["temperature"] is not None:
            values["do_sample"] = values["temperature"] > 0
        model_samples = bool(getattr(model_generation, "do_sample", False))
        if values["do_sample"] is None:
            values["do_sample"] = LF_SAMPLING["do_sample"] if model_generation is None else model_samples
        for key, value in values.items():
            if value is None:
                own = getattr(model_generation, key, None) if model_samples else None
                values[key] = LF_SAMPLING[key] if own is None else own
        if values["temperature"] == 0:  # greedy whatever do_sample says, as in LLaMA-Factory and OpenAI's API
            values["do_sample"] = False
        return dataclasses.replace(self, **values)

    def generate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for transformers' generate(); unset sampling keys take LLaMA-Factory's values
        (resolve against the model first to follow its own generation config)."""
        gen = self.resolved()
        kwargs: dict[str, Any] = {"do_sample": gen.do_sample, "num_beams": gen.num_beams,
                                  "repetition_penalty": gen.repetition_penalty,
                                  "length_penalty": gen.length_penalty, "max_new_tokens": gen.max_new_tokens}
        if gen.do_sample:
            kwargs.update(temperature=gen.temperature, top_p=gen.top_p, top_k=gen.top_k)
        return kwargs

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.temperature is not None and self.temperature < 0:
            out.append(("temperature", "must not be negative (0 decodes greedily)"))
        if self.top_p is not None and not 0 < self.top_p <= 1:
            out.append(("top_p", "must be in (0, 1]"))
        for key in ("num_beams", "max_new_tokens", "max_length"):
            if getattr(self, key) < 1:
                out.append((key, "must be at least 1"))
        return out


# LLaMA-Factory's sampling defaults, for the keys left unset where no model's own generation config applies.
LF_SAMPLING: Mapping[str, Any] = {"do_sample": True, "temperature": 0.95, "top_p": 0.7, "top_k": 50,
                                  "repetition_penalty": 1.0}
