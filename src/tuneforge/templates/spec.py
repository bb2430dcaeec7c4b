"""What a chat template is: a frozen `TemplateSpec` (facts about a model family) plus its jinja file.

The jinja file under `templates/jinja/` is the single source of truth for the prompt layout. It uses Hugging Face
chat_template syntax and wraps the trained span of every assistant turn (its content and end-of-turn token) in
`{% generation %}…{% endgeneration %}`; `export_chat_template()` turns those markers into whitespace-equivalent
comments so runtimes that do not know the tag (llama.cpp, Ollama, older transformers) can still read the template.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# `{% generation %}` / `{%- endgeneration -%}` etc. The dashes are kept in the exported comment so that the
# whitespace either side renders exactly as it did with the marker (jinja honours `{#-`/`-#}` like `{%-`/`-%}`).
_MARKER = re.compile(r"\{%(-?)\s*(generation|endgeneration)\s*(-?)%\}")


@cache
def load_jinja(file_name: str) -> str:
    """The text of `templates/jinja/<file_name>` (read once per process)."""
    return resources.files("tuneforge.templates").joinpath("jinja", file_name).read_text(encoding="utf-8")


def strip_generation_markers(chat_template: str) -> str:
    """The same template without `{% generation %}` markers, rendering byte-identical text."""
    return _MARKER.sub(lambda m: "{#" + m.group(1) + " " + m.group(2) + " " + m.group(3) + "#}", chat_template)


def has_generation_markers(chat_template: str) -> bool:
    return _MARKER.search(chat_template) is not None


@dataclass(frozen=True)
class TemplateSpec:
    """One chat format. Token strings are those the family's own tokenizer uses.

    stop_words: end-of-turn strings the template writes itself; the first ends an assistant turn and is trained.
        Empty for templates that end a reply with the tokenizer's own eos_token (as the official Llama-2, Mistral
        and Zephyr templates do, and the generic default/alpaca/vicuna/empty): with the family's tokenizer that is
        `eos_token`, with any other tokenizer it is that tokenizer's eos, which is then what the model learns.
    special_tokens: every special/added token string the template writes (bos/eos included when written), i.e.
        what a tokenizer must hold as single tokens for this template to render as the family's model expects.
    default_system: the system prompt the template writes when the conversation has none ("" = none).
    supports_system: whether the family's format has a system turn of its own. When False a system message is
        still accepted and written where LLaMA-Factory puts it (in or before the first user turn).
    tool_format: how tools, tool calls and tool results are written ("qwen", "llama3", "glm4", "mistral"),
        or None when the template does not support them (rendering tools then raises a UserError).
    verified_against: the official chat template(s) this one reproduces token for token, if any.
    vision: a vision-language template (qwen2_vl, llava, …); text templates of a family (gemma3) serve its
        vision models too.
    """

    name: str
    description: str
    jinja_file: str
    stop_words: tuple[str, ...] = ()
    default_system: str = ""
    special_tokens: tuple[str, ...] = ()
    bos_token: str | None = None  # what the family's tokenizer uses (None: it has no BOS / not fixed)
    eos_token: str | None = None
    supports_system: bool = True
    tool_format: str | None = None
    thinking: bool = False
    vision: bool = False  # written for a vision-language model (its media tokens come from the model's family)
    verified_against: tuple[str, ...] = ()

    @property
    def chat_template(self) -> str:
        """The jinja text, with generation markers (for training: assistant masks)."""
        return load_jinja(self.jinja_file)

    def export_chat_template(self) -> str:
        """The jinja text without generation markers, for saving into exported tokenizers."""
        return strip_generation_markers(self.chat_template)

    def stop_token_ids(self, tokenizer: Any, extra: Iterable[int] = ()) -> list[int]:
        """See `stop_token_ids`."""
        return stop_token_ids(tokenizer, self, extra)

    def end_of_turn(self, tokenizer_eos: str | None) -> str | None:
        """The string that ends a trained reply when rendered with a tokenizer whose eos is `tokenizer_eos`."""
        return self.stop_words[0] if self.stop_words else tokenizer_eos


def stop_token_ids(tokenizer: Any, template: TemplateSpec | None, extra: Iterable[int] = ()) -> list[int]:
    """The ids that end an assistant turn — where generation stops, what generation_config.eos_token_id holds:
    the template's end-of-turn tokens, then the tokenizer's eos, then `extra` (say, the model's own
    generation_config eos ids when no template is given); in that order, each once, never an id the tokenizer
    does not know (a stop word missing from the vocabulary would otherwise map to unk and stop on any unknown
    token)."""
    words = list(template.stop_words) if template is not None else []
    candidates = [tokenizer.convert_tokens_to_ids(word) for word in words]
    candidates += [tokenizer.eos_token_id, *extra]
    unknown = getattr(tokenizer, "unk_token_id", None)
    return list(dict.fromkeys(i for i in candidates if isinstance(i, int) and i != unknown))


def generation_eos_ids(generation_config: Any) -> list[int]:
    """A generation_config's eos_token_id (an int, a list or None) as a list."""
    eos = getattr(generation_config, "eos_token_id", None)
    return [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
