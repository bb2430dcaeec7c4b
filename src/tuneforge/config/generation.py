"""The `generation` group: how replies are generated (chat, API server, batch predict, PPO rollouts) and by
which backend. Defaults are LLaMA-Factory's."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import option


@dataclass(frozen=True)
class GenerationConfig:
    infer_backend: str = option("huggingface", "Inference engine: huggingface (transformers generate) or vllm "
                                               "(needs the optional vllm package and a GPU).",
                                ("huggingface", "vllm"))
    do_sample: bool = option(True, "Sample (true) or decode greedily (false).")
    temperature: float = option(0.95, "Sampling temperature.")
    top_p: float = option(0.7, "Nucleus sampling: keep the smallest set of tokens with this total probability.")
    top_k: int = option(50, "Sample only among the k most likely tokens.")
    num_beams: int = option(1, "Beam search width (1 = no beam search).")
    max_length: int = option(1024, "Maximum total length (prompt + reply) in tokens.")
    max_new_tokens: int = option(1024, "Maximum reply length in tokens (wins over max_length).")
    repetition_penalty: float = option(1.0, "Penalty for repeating tokens (1.0 = none).")
    length_penalty: float = option(1.0, "Beam search length penalty.")
    skip_special_tokens: bool = option(True, "Drop special tokens from the decoded reply.")
    vllm_maxlen: int = option(4096, "vllm: maximum sequence length.")
    vllm_gpu_util: float = option(0.7, "vllm: fraction of GPU memory to use.")
    vllm_enforce_eager: bool = option(False, "vllm: disable CUDA graphs.")
    vllm_max_lora_rank: int = option(32, "vllm: largest LoRA rank served.")

    def generate_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for transformers' generate()."""
        kwargs: dict[str, Any] = {"do_sample": self.do_sample, "num_beams": self.num_beams,
                                  "repetition_penalty": self.repetition_penalty,
                                  "length_penalty": self.length_penalty, "max_new_tokens": self.max_new_tokens}
        if self.do_sample:
            kwargs.update(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        return kwargs

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.temperature <= 0 and self.do_sample:
            out.append(("temperature", "must be positive when do_sample is true"))
        if not 0 < self.top_p <= 1:
            out.append(("top_p", "must be in (0, 1]"))
        for key in ("num_beams", "max_new_tokens", "max_length"):
            if getattr(self, key) < 1:
                out.append((key, "must be at least 1"))
        return out
