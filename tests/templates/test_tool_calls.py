"""Tool-call parsing per template tool_format is the inverse of what the template renders: a call rendered
by the qwen, llama3, glm4 and mistral templates parses back to the same name and arguments."""
from __future__ import annotations

import pytest

from tuneforge.templates.tool_calls import parse_reply

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.",
                                           "parameters": {"type": "object",
                                                          "properties": {"city": {"type": "string"}}}}}]
CALLS = [{"name": "get_weather", "arguments": {"city": "巴黎 Paris"}}]


def _rendered_reply(tokenizer, template_name: str, calls: list[dict]) -> str:
    """What the template writes for an assistant tool-call turn (text after the generation prompt)."""
    from tuneforge.templates.registry import get_template
    from tuneforge.templates.render import render_text

    template = get_template(template_name)
    ask = [{"role": "user", "content": "Weather in Paris?"}]
    turn = {"role": "assistant", "content": "",
            "tool_calls": [{"type": "function", "function": c} for c in calls]}
    prompt = render_text(tokenizer, ask, template=template, tools=TOOLS, add_generation_prompt=True)
    full = render_text(tokenizer, ask + [turn], template=template, tools=TOOLS)
    assert full.startswith(prompt)
    reply = full[len(prompt):]
    for stop in (*template.stop_words, tokenizer.eos_token):  # generation ends at these; they are not text
        reply = reply.split(stop)[0]
    return reply


@pytest.mark.parametrize("template_name", ["qwen", "qwen3", "llama3", "glm4", "mistral"])
def test_rendered_tool_call_parses_back(tiny_qwen, template_name):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen)
    from tuneforge.templates.registry import get_template

    reply = _rendered_reply(tokenizer, template_name, CALLS)
    parsed = parse_reply(reply, get_template(template_name).tool_format)
    assert list(parsed.calls) == CALLS, reply


def test_qwen_several_calls_and_leading_text():
    text = ('Let me check.\n<tool_call>\n{"name": "a", "arguments": {"x": 1}}\n</tool_call>\n'
            '<tool_call>\n{"name": "b", "arguments": {}}\n</tool_call>')
    parsed = parse_reply(text, "qwen")
    assert parsed.content == "Let me check."
    assert [c["name"] for c in parsed.calls] == ["a", "b"]


@pytest.mark.parametrize("fmt,text", [
    ("qwen", "The capital of France is Paris."),
    ("qwen", '<tool_call>\n{"name": "a", "arguments": {broken\n</tool_call>'),
    ("llama3", "Paris is the capital."),
    ("llama3", '{"no_name": 1}'),
    ("glm4", "\nParis is the capital."),
    ("mistral", "Paris."),
])
def test_text_that_is_not_a_call_stays_text(fmt, text):
    parsed = parse_reply(text, fmt)
    assert parsed.calls == () and parsed.content == (text.lstrip("\n") if fmt == "glm4" else text)


def test_mistral_calls_with_and_without_the_marker():
    body = '[{"name": "f", "arguments": {"a": [1, 2]}}]'
    for text in ("[TOOL_CALLS] " + body, " " + body):
        assert parse_reply(text, "mistral").calls == ({"name": "f", "arguments": {"a": [1, 2]}},)
