"""Definition of done 4: the Modelfile's TEMPLATE, rendered with Ollama's Go-template semantics for a 2-turn
conversation, equals the jinja template's rendering; stop tokens and SYSTEM come from the same TemplateSpec."""
from __future__ import annotations

import re

import pytest

from tuneforge.export.gguf.vocab import tokenizer_adds
from tuneforge.export.gotemplate import render
from tuneforge.export.modelfile import FORMATS, go_template, modelfile
from tuneforge.model.tiny import train_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import render_text

TWO_TURNS = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"},
             {"role": "user", "content": "Tell me a joke.\nA short one."}]
WITH_SYSTEM = [{"role": "system", "content": "You are terse."}, *TWO_TURNS]


def _bos_for_template(tokenizer) -> str:
    return "" if tokenizer_adds(tokenizer, tokenizer.bos_token_id, True) else (tokenizer.bos_token or "")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_go_template_renders_like_the_jinja_template(name):
    tokenizer = train_tokenizer(name, 300)
    spec = get_template(name)
    template = go_template(FORMATS[name], bos=_bos_for_template(tokenizer), eos=tokenizer.eos_token)
    for messages in (TWO_TURNS, WITH_SYSTEM):
        expected = render_text(tokenizer, messages, template=spec, add_generation_prompt=True)
        assert render(template, messages, spec.default_system) == expected


TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                                          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
TOOL_CHAT = [{"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": "", "tool_calls": [
                 {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "content": "{\"temperature\": 21}"},
             {"role": "assistant", "content": "21 degrees."}, {"role": "user", "content": "And in Rome?"}]


def _compact_json(text: str) -> str:
    """JSON as Ollama writes it: no spaces after ':' and ',', no indentation (llama3 indents its tool list)."""
    text = re.sub(r"([\[{,])\n\s+", r"\1", text)
    text = re.sub(r"\n\s*([\]}])", r"\1", text)
    return text.replace('": ', '":').replace(', "', ',"')


# what shows a family's tool call and tool result were rendered
TOOL_MARKS = {"qwen": ("<tool_call>", "<tool_response>"), "llama3": ('"parameters":', "<|start_header_id|>ipython"),
              "mistral": ("[TOOL_CALLS] [", "[TOOL_RESULTS]")}


@pytest.mark.parametrize("name", sorted(n for n, f in FORMATS.items() if f.tools))
def test_go_template_renders_tools_like_the_jinja_template(name):
    tokenizer = train_tokenizer(name, 300)
    spec = get_template(name)
    template = go_template(FORMATS[name], bos=_bos_for_template(tokenizer), eos=tokenizer.eos_token)
    expected = render_text(tokenizer, TOOL_CHAT, template=spec, tools=TOOLS, add_generation_prompt=True)
    got = render(template, TOOL_CHAT, spec.default_system, tools=TOOLS)
    # Ollama writes JSON without spaces after ':' and ','; everything else is identical
    assert _compact_json(got) == _compact_json(expected)
    call, result = TOOL_MARKS[spec.tool_format]
    assert call in got and result in got


def test_modelfile_has_from_template_stops_and_default_system():
    text = modelfile("model-q8_0.gguf", get_template("qwen"), eos="<|im_end|>")
    lines = text.splitlines()
    assert "FROM ./model-q8_0.gguf" in lines
    assert "PARAMETER stop <|im_end|>" in lines
    assert 'SYSTEM """You are Qwen, created by Alibaba Cloud. You are a helpful assistant."""' in lines
    assert text.count('TEMPLATE """') == 1 and ".Messages" in text


def test_every_stop_word_becomes_a_parameter():
    text = modelfile("m.gguf", get_template("llama3"), bos="<|begin_of_text|>", eos="<|eot_id|>")
    assert [line for line in text.splitlines() if line.startswith("PARAMETER stop")] == [
        "PARAMETER stop <|eot_id|>", "PARAMETER stop <|eom_id|>"]
    assert "SYSTEM" not in text  # llama3 has no default system prompt
    # templates that end a reply with the tokenizer's eos stop there
    assert "PARAMETER stop </s>" in modelfile("m.gguf", get_template("mistral"), bos="<s>", eos="</s>")


def test_every_registry_template_has_a_modelfile_template():
    """Issue 17, definition of done 4 (each one's rendering is compared with the jinja's above)."""
    from tuneforge.templates.registry import TEMPLATES

    assert sorted(set(TEMPLATES) - set(FORMATS)) == []


def test_template_without_a_chat_format_falls_back_to_the_gguf_template():
    import dataclasses

    custom = dataclasses.replace(get_template("cohere"), name="my_own")  # e.g. a template registered by a user
    text = modelfile("m.gguf", custom, eos="<|END_OF_TURN_TOKEN|>")
    assert "TEMPLATE" not in text.replace("No Ollama TEMPLATE", "")
    assert "PARAMETER stop <|END_OF_TURN_TOKEN|>" in text


@pytest.mark.parametrize("fixture, template, adds", [("llama2_chat", "llama2", True), ("mistral", "mistral", True),
                                                     ("zephyr", "zephyr", False), ("phi3", "phi", False)])
def test_llama_cpp_adds_bos_only_where_the_training_prompt_starts_with_it(fixture, template, adds):
    """Zephyr's and Phi-3's templates write no BOS though their tokenizers add one: training saw none, so the
    GGUF must not have llama.cpp add it (add_bos_token), and the TEMPLATE cannot leave it to the runtime."""
    from transformers import AutoTokenizer

    from tests.conftest import SHARED
    from tuneforge.export.gguf.vocab import runtime_adds_bos

    tokenizer = AutoTokenizer.from_pretrained(str(SHARED / "fixtures" / "tokenizers" / fixture))
    assert runtime_adds_bos(tokenizer, get_template(template)) is adds
    assert runtime_adds_bos(tokenizer, None) is (fixture != "phi3")  # plain text: what the tokenizer does
