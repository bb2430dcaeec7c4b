"""Helpers shared by the template tests: fixture tokenizers, a tiny fixture-free tokenizer, the official
templates of the fixture folders and sample conversations."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing_fixture
from tuneforge.templates.spec import TemplateSpec

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "tokenizers"


def fixture_dir(name: str) -> Path:
    path = FIXTURES / name
    if not path.is_dir():
        missing_fixture(f"tokenizer fixtures not found at {path} (they live in ../shared/fixtures/tokenizers)")
    return path


@cache
def _tokenizer_config(name: str) -> dict[str, Any]:
    return json.loads((fixture_dir(name) / "tokenizer_config.json").read_text(encoding="utf-8"))


def official_template(name: str) -> str:
    template = _tokenizer_config(name).get("chat_template")
    assert isinstance(template, str), f"{name} has no single chat_template"
    return template


def config_token(name: str, key: str) -> str | None:
    """bos_token / eos_token as written in the folder's tokenizer_config.json."""
    value = _tokenizer_config(name).get(key)
    return value.get("content") if isinstance(value, dict) else value


def load_fixture_tokenizer(name: str):
    """A fresh tokenizer instance from a fixture folder (tests may add tokens to it)."""
    from transformers import AutoTokenizer

    path = fixture_dir(name)
    if not (path / "tokenizer.json").is_file():
        pytest.skip(f"{name} has no tokenizer.json")
    return AutoTokenizer.from_pretrained(path)


@cache
def shared_fixture_tokenizer(name: str):
    """One instance per fixture folder for the whole session: READ-ONLY (never add tokens or set attributes);
    use `load_fixture_tokenizer` for a copy that a test may change."""
    return load_fixture_tokenizer(name)


def tiny_tokenizer(special_tokens: tuple[str, ...] = (), bos: str | None = None, eos: str | None = "</s>"):
    """A byte-level tokenizer with no merges (every byte is a token) plus the given special tokens.

    It needs no files, so it can stand in for any family: two texts get equal ids iff they are equal and split
    the special tokens the same way.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {char: i for i, char in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    extra = [t for t in dict.fromkeys(special_tokens) if t not in (bos, eos)]
    return PreTrainedTokenizerFast(tokenizer_object=backend, bos_token=bos, eos_token=eos,
                                   extra_special_tokens=extra, clean_up_tokenization_spaces=False)


def tiny_tokenizer_for(spec: TemplateSpec):
    """A tiny tokenizer holding every token `spec` writes, with the family's bos/eos."""
    eos = spec.eos_token or "</s>"
    return tiny_tokenizer((*spec.special_tokens, *spec.stop_words), bos=spec.bos_token, eos=eos)


def render_official_text(chat_template: str, messages: list[dict], *, bos: str | None, eos: str | None,
                         add_generation_prompt: bool = False, tools: list[dict] | None = None, **kwargs) -> str:
    """Render a template the way transformers does (sandbox, trim_blocks, lstrip_blocks, tojson, …)."""
    from transformers.utils.chat_template_utils import render_jinja_template

    specials = {k: v for k, v in {"bos_token": bos, "eos_token": eos}.items() if v is not None}
    rendered, _ = render_jinja_template(conversations=[messages], chat_template=chat_template, tools=tools,
                                        add_generation_prompt=add_generation_prompt, **specials, **kwargs)
    return rendered[0]


def masked_runs(input_ids: list[int], mask: list[int]) -> list[list[int]]:
    """The ids of each contiguous run of 1s in the mask."""
    runs: list[list[int]] = []
    previous = 0
    for token, bit in zip(input_ids, mask):
        if bit and not previous:
            runs.append([])
        if bit:
            runs[-1].append(token)
        previous = bit
    return runs


# ---- sample conversations -------------------------------------------------------------------------------

SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
TURNS = [
    {"role": "user", "content": "Hello! What is 2+2?"},
    {"role": "assistant", "content": "2+2 equals 4."},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "3+3 equals 6."},
]
# Whitespace at the edges shows whether a template trims content exactly as the official one does.
UNTRIMMED = [
    {"role": "user", "content": "  Write a haiku\nabout tea. "},
    {"role": "assistant", "content": " Green leaves steep slowly,\nwarmth rising. \n"},
]
WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}},
                   "required": ["city"]}}}
TIME_TOOL = {"type": "function", "function": {
    "name": "get_time", "description": "Get the local time in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}


def call(name: str, **arguments: Any) -> dict:
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


TOOL_TURNS = [
    {"role": "user", "content": "What's the weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [call("get_weather", city="Paris")]},
    {"role": "tool", "name": "get_weather", "content": "{\"temperature\": 21, \"sky\": \"sunny\"}"},
    {"role": "assistant", "content": "It is 21 °C and sunny in Paris."},
]
PARALLEL_TOOL_TURNS = [
    {"role": "user", "content": "Weather and time in Rome?"},
    {"role": "assistant", "content": "Let me check both.",
     "tool_calls": [call("get_weather", city="Rome"), call("get_time", city="Rome")]},
    {"role": "tool", "name": "get_weather", "content": "{\"temperature\": 25}"},
    {"role": "tool", "name": "get_time", "content": "{\"time\": \"14:05\"}"},
    {"role": "assistant", "content": "25 °C, and it is 14:05."},
]
