"""The assistant mask covers exactly each assistant turn's trained span and nothing else: its content, its stop
token and, where LLaMA-Factory's template trains it too, the separator written right after the stop token (so
that the same YAML trains the same tokens in both)."""
from __future__ import annotations

import pytest

from tests.templates.golden import all_goldens
from tests.templates.support import (PARALLEL_TOOL_TURNS, SYSTEM, TIME_TOOL, TOOL_TURNS, TURNS, WEATHER_TOOL,
                                     masked_runs, shared_fixture_tokenizer, tiny_tokenizer_for)
from tuneforge.templates.registry import TEMPLATES, get_template
from tuneforge.templates.render import render

TOOLS = [WEATHER_TOOL, TIME_TOOL]
GOLDEN = all_goldens()  # the spans of the templates added later (golden_*.py)

# How each template writes a trained span around the reply text ("{}"); default: reply + end-of-turn token.
SPAN = {
    "llama2": " {} </s>", "vicuna": " {}</s>", "llava": " {}</s>", "llava_next": " {}</s>", "deepseek": " {}<｜end▁of▁sentence｜>",
    "xverse": " {}<|endoftext|>", "falcon": " {}<|endoftext|>", "glm4": "\n{}<|user|>", "chatglm3": "\n {}<|user|>",
}

# The separator after the stop token that is trained with it (LLaMA-Factory's `format_assistant` slots).
AFTER_STOP = {"alpaca": "\n\n", "chatml": "\n", "default": "\n", "gemma": "\n", "gemma3": "\n", "intern2": "\n",
              "phi": "\n", "qwen": "\n", "qwen3": "\n", "qwen3_nothink": "\n", "qwen2_vl": "\n", "qwen3_vl": "\n",
              "qwen3_vl_nothink": "\n", "yi": "\n", "yuan": "\n"}


def decoded_runs(tok, rendered) -> list[str]:
    return [tok.decode(run, skip_special_tokens=False) for run in masked_runs(rendered.input_ids,
                                                                              rendered.assistant_mask)]


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_multi_turn_mask_is_exactly_the_replies(name):
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)  # byte-level: decoding gives back the exact text
    span = SPAN.get(name, "{}" + spec.end_of_turn(tok.eos_token) + AFTER_STOP.get(name, ""))
    expected = [span.format("2+2 equals 4."), span.format("3+3 equals 6.")]
    if spec.jinja_file == "qwen3.jinja":  # the official template opens a (here empty) think block in the final turn
        expected[1] = "<think>\n\n</think>\n\n" + expected[1]
    if name in GOLDEN:
        expected = list(GOLDEN[name].runs)
    for messages in (TURNS, [SYSTEM, *TURNS]):
        assert decoded_runs(tok, render(tok, messages, template=spec)) == expected


@pytest.mark.parametrize("folder,name", [("qwen2_5_general_npm", "qwen"), ("qwen3", "qwen3"),
                                         ("mistral", "mistral"), ("mixtral", "mixtral"), ("phi3", "phi"),
                                         ("zephyr", "zephyr")])
def test_multi_turn_mask_with_the_real_tokenizer(folder, name):
    tok = shared_fixture_tokenizer(folder)
    rendered = render(tok, [SYSTEM, *TURNS] if name not in ("mistral", "mixtral") else TURNS,
                      template=get_template(name))
    stop = get_template(name).end_of_turn(tok.eos_token)
    runs = decoded_runs(tok, rendered)
    prefix = "<think>\n\n</think>\n\n" if name == "qwen3" else ""
    assert [run.strip() for run in runs] == [f"2+2 equals 4.{stop}", f"{prefix}3+3 equals 6.{stop}"]


QWEN_CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
TOOL_SPANS = {
    "qwen": [QWEN_CALL + "<|im_end|>\n", "It is 21 °C and sunny in Paris.<|im_end|>\n"],
    "qwen3": [QWEN_CALL + "<|im_end|>\n", "<think>\n\n</think>\n\nIt is 21 °C and sunny in Paris.<|im_end|>\n"],
    "qwen3_nothink": [QWEN_CALL + "<|im_end|>\n", "It is 21 °C and sunny in Paris.<|im_end|>\n"],
    "llama3": ['{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>',
               "It is 21 °C and sunny in Paris.<|eot_id|>"],
    "glm4": ['get_weather\n{"city": "Paris"}<|observation|>', "\nIt is 21 °C and sunny in Paris.<|user|>"],
    "mistral": ['[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}]</s>',
                "It is 21 °C and sunny in Paris.</s>"],
}
TOOL_SPANS |= {"qwen3_vl": TOOL_SPANS["qwen3"], "qwen3_vl_nothink": TOOL_SPANS["qwen3_nothink"]}  # same layouts


@pytest.mark.parametrize("name", sorted(TOOL_SPANS))
def test_tool_call_mask(name):
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)
    assert decoded_runs(tok, render(tok, TOOL_TURNS, template=spec, tools=TOOLS)) == TOOL_SPANS[name]


def test_tool_templates_are_exactly_the_ones_with_a_tool_format():
    assert {name for name, spec in TEMPLATES.items() if spec.tool_format} == set(TOOL_SPANS)


def test_parallel_tool_calls_mask_qwen():
    tok = shared_fixture_tokenizer("qwen2_5_general_npm")
    rendered = render(tok, PARALLEL_TOOL_TURNS, template=get_template("qwen"), tools=TOOLS)
    assert decoded_runs(tok, rendered) == [
        'Let me check both.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_time", "arguments": {"city": "Rome"}}\n</tool_call><|im_end|>\n',
        "25 °C, and it is 14:05.<|im_end|>\n"]


def test_qwen3_keeps_reasoning_only_after_the_last_user_message():
    spec = get_template("qwen3")
    tok = shared_fixture_tokenizer("qwen3")
    messages = [{"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4."},
                {"role": "user", "content": "3+3?"},
                {"role": "assistant", "content": "<think>\nadd again\n</think>\n\n6."}]
    assert decoded_runs(tok, render(tok, messages, template=spec)) == [
        "4.<|im_end|>\n", "<think>\nadd again\n</think>\n\n6.<|im_end|>\n"]


def test_deepseekr1_keeps_reasoning_of_the_trained_turn():
    spec = get_template("deepseekr1")
    tok = tiny_tokenizer_for(spec)
    messages = [{"role": "user", "content": "2+2?"},
                {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4."},
                {"role": "user", "content": "3+3?"},
                {"role": "assistant", "content": "<think>\nadd again\n</think>\n\n6."}]
    assert decoded_runs(tok, render(tok, messages, template=spec)) == [
        "\n\n4.<｜end▁of▁sentence｜>", "<think>\nadd again\n</think>\n\n6.<｜end▁of▁sentence｜>"]
