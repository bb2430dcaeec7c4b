"""Hugging Face engine: transformers `generate` over a base model (+ LoRA adapters, unmerged) and a template.

Replies stop at the template's end-of-turn tokens (and the tokenizer's eos); batches are left-padded;
streaming runs `generate` in a worker thread and hands pieces over through a streamer. One model cannot run
two generations at once, so every generation holds the engine's lock: concurrent callers queue, none fail.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tuneforge.artifacts.run_dir import CONFIG_FILE, inference_keys
from tuneforge.config.generation import GenerationConfig
from tuneforge.config.load import load_run_config
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.data.example import NO_MEDIA, Media
from tuneforge.encode.media import MediaEncoder, MediaOptions, load_media, media_encoder, processor_inputs
from tuneforge.inference.engine import Completion, Messages, Sampling, Stream, Tools
from tuneforge.inference.text import IncrementalText, decode_reply
from tuneforge.templates.tool_calls import marker_ids
from tuneforge.model.stack import load_with_adapters
from tuneforge.model.vision import media_tokens, run_processor
from tuneforge.templates.media import with_media_tokens
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import jinja_variables, render_prompt, render_text, with_default_system
from tuneforge.templates.spec import TemplateSpec, generation_eos_ids, stop_token_ids

_DONE = object()


class HFEngine:
    def __init__(self, model: Any, tokenizer: Any, template: TemplateSpec | None, *,
                 generation: GenerationConfig | None = None, default_system: str | None = None,
                 tool_format: str | None = None, template_kwargs: dict[str, Any] | None = None,
                 media: MediaEncoder | None = None) -> None:
        self.model, self.tokenizer, self.template = model, tokenizer, template
        self.media = media  # a vision-language model's processor: conversations may carry images/videos
        self.generation = generation or GenerationConfig()
        self.default_system = default_system
        self.tool_format = tool_format or (template.tool_format if template else None)
        self.template_kwargs = template_kwargs or {}
        # Without a template the model's own generation_config knows its end-of-turn tokens (Phi-3.5's <|end|>).
        self.stop_ids = stop_token_ids(tokenizer, template,
                                       generation_eos_ids(model.generation_config) if template is None else ())
        self.keep_ids = frozenset(marker_ids(tokenizer, self.tool_format))
        self._lock = threading.Lock()

    # ---- construction ---------------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: RunConfig) -> HFEngine:
        import torch

        template = get_template(cfg.data.template) if cfg.data.template else None
        loaded = load_with_adapters(cfg.model, on_gpu=torch.cuda.is_available(), merge_last=False,
                                    context_length=cfg.data.cutoff_len)
        model, tokenizer = loaded.model, loaded.tokenizer
        return cls(model, tokenizer, template, generation=cfg.generation, default_system=cfg.data.default_system,
                   tool_format=cfg.data.tool_format,
                   template_kwargs=jinja_variables(template, cfg.model.enable_thinking),
                   media=_media_encoder(cfg, tokenizer))

    @classmethod
    def load(cls, path: str | Path, template: str | None = None, **generation: Any) -> HFEngine:
        """From a run folder (base + adapter, or full model) or a model folder. Greedy, 64 new tokens unless
        `generation` keys say otherwise (scripts and tests want reproducible replies)."""
        path = Path(path)
        keys = inference_keys(path) if (path / CONFIG_FILE).is_file() else {"model_name_or_path": str(path)}
        if template:
            keys["template"] = template
        overrides = {"do_sample": False, "max_new_tokens": 64, **generation}
        return cls.from_config(load_run_config(keys, overrides, command="chat"))

    # ---- prompts ---------------------------------------------------------------------------------------
    def prompt_ids(self, messages: Messages, *, tools: Tools = None) -> list[int]:
        return render_prompt(self.tokenizer, with_default_system(messages, self.default_system),
                             template=self.template, tools=tools, template_kwargs=self.template_kwargs)

    def generate_kwargs(self, sampling: Sampling) -> dict[str, Any]:
        """Keyword arguments for transformers generate(): the config with `sampling` applied, stop tokens."""
        # Keys still unset after the config and this call follow the model's own generation config.
        kwargs = sampling.apply(self.generation).resolved(self.model.generation_config).generate_kwargs()
        kwargs.update(eos_token_id=self.stop_ids, pad_token_id=self.tokenizer.pad_token_id)
        if sampling.stop:
            kwargs.update(stop_strings=list(sampling.stop), tokenizer=self.tokenizer)
        return kwargs

    # ---- generation ------------------------------------------------------------------------------------
    def generate(self, prompts: Sequence[Sequence[int]], *, sampling: Sampling = Sampling()) -> list[Completion]:
        """Replies to already-rendered prompts, in one left-padded batch (n per prompt, prompt-major)."""
        import torch

        if not prompts:
            return []
        # n replies per prompt = the prompt n times in the batch (greedy or sampled, no beam-search detour)
        prompts = [list(p) for p in prompts for _ in range(sampling.n)]
        width = max(len(p) for p in prompts)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(p)) + list(p) for p in prompts], device=self.model.device)
        mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=self.model.device)
        kwargs = self.generate_kwargs(sampling)
        with self._lock, torch.inference_mode():
            if sampling.seed is not None:
                torch.manual_seed(sampling.seed)
            output = self.model.generate(input_ids=ids, attention_mask=mask, **kwargs)
        skip = self.generation.skip_special_tokens
        out = []
        for row, generated in enumerate(output[:, width:].tolist()):
            decoded = decode_reply(self.tokenizer, generated, self.stop_ids, sampling.stop, skip, self.keep_ids)
            out.append(Completion(decoded.text, len(prompts[row]), decoded.tokens,
                                  "stop" if decoded.stopped else "length"))
        return out

    def complete(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling(),
                 media: Media = NO_MEDIA) -> list[Completion]:
        """`media`: the images/videos the messages' <image>/<video> placeholders stand for (paths, or PIL
        images for images a client sent)."""
        if media:
            return self._complete_media(messages, tools, sampling, media)
        return self.generate([self.prompt_ids(messages, tools=tools)], sampling=sampling)

    def chat(self, messages: Messages, *, tools: Tools = None, media: Media = NO_MEDIA, **overrides: Any) -> str:
        """The reply text, stripped. `overrides` are Sampling fields (max_new_tokens, do_sample, …)."""
        return self.complete(messages, tools=tools, sampling=Sampling(**overrides), media=media)[0].text.strip()

    def media_inputs(self, messages: Messages, media: Media, tools: Tools = None) -> Any:
        """The processor's model inputs (ids with each image's tokens expanded, pixels, grids) for a prompt."""
        messages = with_media_tokens(with_default_system(messages, self.default_system),
                                     self.media.tokens if self.media else None, media.counts(),
                                     as_parts=self.template is None)
        text = render_text(self.tokenizer, messages, template=self.template, tools=tools, add_generation_prompt=True,
                           template_kwargs=self.template_kwargs)
        loaded = load_media(media, self.media.options)
        try:
            return self.media.processor(text=[text], add_special_tokens=False, return_tensors="pt",
                                        **processor_inputs(loaded))
        except ValueError as exc:
            raise UserError(f"the model's processor refused the media: {exc}", field="images") from None

    def _complete_media(self, messages: Messages, tools: Tools, sampling: Sampling, media: Media) -> list[Completion]:
        import torch

        inputs = self.media_inputs(messages, media, tools).to(self.model.device)
        width = inputs["input_ids"].shape[1]
        kwargs = self.generate_kwargs(sampling)
        out = []
        with self._lock, torch.inference_mode():
            for _ in range(sampling.n):
                if sampling.seed is not None:
                    torch.manual_seed(sampling.seed)
                generated = self.model.generate(**inputs, **kwargs)[0, width:].tolist()
                decoded = decode_reply(self.tokenizer, generated, self.stop_ids, sampling.stop,
                                       self.generation.skip_special_tokens, self.keep_ids)
                out.append(Completion(decoded.text, width, decoded.tokens, "stop" if decoded.stopped else "length"))
        return out

    def stream(self, messages: Messages, *, tools: Tools = None, sampling: Sampling = Sampling()) -> Stream:
        """One reply, piece by piece; the pieces join to what `complete` returns for the same greedy call."""
        import torch

        if sampling.n != 1:
            raise UserError("streaming generates one reply at a time", field="n")
        prompt = self.prompt_ids(messages, tools=tools)
        kwargs = self.generate_kwargs(sampling)
        text = IncrementalText(self.tokenizer, self.stop_ids, sampling.stop, self.generation.skip_special_tokens,
                               self.keep_ids)
        pieces: queue.Queue = queue.Queue()
        cancel = threading.Event()
        streamer = _QueueStreamer(pieces, skip_first=True)
        stopping = _Cancelled(cancel)

        def work() -> None:
            try:
                with self._lock, torch.inference_mode():
                    if sampling.seed is not None:
                        torch.manual_seed(sampling.seed)
                    self.model.generate(input_ids=torch.tensor([prompt], device=self.model.device),
                                        attention_mask=torch.ones(1, len(prompt), dtype=torch.long,
                                                                  device=self.model.device),
                                        streamer=streamer, stopping_criteria=[stopping], **kwargs)
            except BaseException as exc:  # handed to the reader, which re-raises it in its own thread
                pieces.put(exc)
            finally:
                pieces.put(_DONE)

        threading.Thread(target=work, name="tuneforge-generate", daemon=True).start()
        result: dict[str, Completion] = {}

        def iterate() -> Iterator[str]:
            while True:
                item = pieces.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                piece = text.push(item)
                if piece:
                    yield piece
            decoded = text.finish()
            result["done"] = Completion(decoded.text, len(prompt), decoded.tokens,
                                        "stop" if decoded.stopped else "length")
            if text.tail:
                yield text.tail

        return Stream(iterate(), lambda: result["done"], cancel.set)

    def score(self, messages: Messages, reply: str, *, tools: Tools = None) -> float:
        """Sum of the log-probabilities of `reply`'s tokens after the conversation (higher = more likely)."""
        import torch

        prompt = self.prompt_ids(messages, tools=tools)
        answer = self.tokenizer(reply, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([prompt + answer], device=self.model.device)
        with self._lock, torch.inference_mode():
            logits = self.model(input_ids=ids).logits[0, len(prompt) - 1:-1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        return float(logprobs.gather(-1, torch.tensor(answer, device=logits.device)[:, None]).sum())


def _media_encoder(cfg: RunConfig, tokenizer) -> MediaEncoder | None:
    processor = run_processor(cfg.model, tokenizer, own_template=not cfg.data.template)
    if processor is None:
        return None
    return media_encoder(processor, media_tokens(cfg.model.model_name_or_path), MediaOptions.from_data(cfg.data))


class _QueueStreamer:
    """transformers' streamer interface (`put`, `end`): raw new token ids into a queue. Decoding happens in
    the reader (IncrementalText), so streamed and whole replies are decoded by the same code."""

    def __init__(self, out: queue.Queue, *, skip_first: bool) -> None:
        self.out, self.skip_first = out, skip_first

    def put(self, value) -> None:
        if self.skip_first:  # generate() first hands over the prompt
            self.skip_first = False
            return
        self.out.put(value.reshape(-1).tolist())

    def end(self) -> None:
        pass


class _Cancelled:
    """A stopping criterion that ends generation when the reader has gone away."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)
