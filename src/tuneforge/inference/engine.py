"""The contract every inference backend meets, and the values that cross it.

`Engine` is what chat, the API server, batch predict and the web UI program against: `complete` (n replies to
one conversation, with token counts), `stream` (one reply, piece by piece), `generate` (a batch of rendered
prompts) and `chat` (the reply text, for scripts). Per-call `Sampling` values override the run's
`generation` config; `load_engine(cfg)` picks the backend named by `infer_backend`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tuneforge.config.generation import GenerationConfig
from tuneforge.config.run import RunConfig
from tuneforge.core.registry import Registry
from tuneforge.templates.spec import TemplateSpec

Messages = Sequence[Mapping[str, Any]]
Tools = Sequence[Mapping[str, Any]] | None


@dataclass(frozen=True)
class Sampling:
    """Per-call overrides of the `generation` config; None keeps the config's value.

    temperature 0 means greedy decoding (as in OpenAI's API). `stop` strings end the reply and are not part
    of it. `seed` makes sampling reproducible. `n` replies are generated for the same prompt.
    """
    max_new_tokens: int | None = None
    do_sample: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    num_beams: int | None = None
    repetition_penalty: float | None = None
    length_penalty: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    n: int = 1

    def apply(self, defaults: GenerationConfig) -> GenerationConfig:
        """The generation config with these overrides applied."""
        changes = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                   if f.name not in ("stop", "seed", "n") and getattr(self, f.name) is not None}
        if changes.get("temperature") == 0:
            changes.pop("temperature")
            changes["do_sample"] = False
        return dataclasses.replace(defaults, **changes)


@dataclass(frozen=True)
class Completion:
    """One generated reply. finish_reason: "stop" (end of turn or a stop string) or "length"."""
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str


class Stream:
    """An iterator of text pieces; once exhausted, `completion` holds the whole reply and its counts.
    Closing it early (a client went away) stops the generation."""

    def __init__(self, pieces: Iterator[str], result: Callable[[], Completion], cancel: Callable[[], None]):
        self._pieces, self._result, self._cancel = pieces, result, cancel

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        self._cancel()

    @property
    def completion(self) -> Completion:
        return self._result()


class Engine(Protocol):
    tokenizer: Any
    template: TemplateSpec | None
    tool_format: str | None

    def complete(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling(),
                 media: Any = None) -> list[Completion]:
        """`media`: a data.example.Media for the messages' <image>/<video> placeholders (vision models)."""
        ...

    def stream(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling()) -> Stream: ...

    def generate(self, prompts: Sequence[Sequence[int]], *, sampling: Sampling = Sampling()
                 ) -> list[Completion]: ...

    def prompt_ids(self, messages: Messages, *, tools: Tools = None) -> list[int]: ...

    def chat(self, messages: Messages, **overrides: Any) -> str: ...


def _load_hf(cfg: RunConfig) -> Engine:
    from tuneforge.inference.hf import HFEngine

    return HFEngine.from_config(cfg)


def _load_vllm(cfg: RunConfig) -> Engine:
    from tuneforge.inference.vllm import VLLMEngine

    return VLLMEngine.from_config(cfg)


BACKENDS: Registry[Callable[[RunConfig], Engine]] = Registry("inference backend", {
    "huggingface": _load_hf, "vllm": _load_vllm,
})


def load_engine(cfg: RunConfig) -> Engine:
    """The engine for `cfg.generation.infer_backend`, with the model, adapters and template of `cfg`."""
    return BACKENDS.get_or_raise(cfg.generation.infer_backend, field="infer_backend")(cfg)
