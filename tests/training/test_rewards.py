"""Definition of done 2: the built-in rewards score hand-written completions exactly."""
from __future__ import annotations

import re

import pytest

from tuneforge.training.rewards import builtin


@pytest.mark.parametrize("completion, reference, expected", [
    ("so the total is \\boxed{42}.", "42", 1.0),
    ("First 3 then 4, the answer is 7", "7", 1.0),
    ("We get 1,200 apples", "1200", 1.0),
    ("Half: \\boxed{\\frac{1}{2}}", "0.5", 1.0),
    ("Dividing, 3/4 of the cake", "\\frac{3}{4}", 1.0),
    ("It is 75%", "0.75", 1.0),
    ("#### 18", "The final answer: #### 18", 1.0),
    ("\\boxed{x+1}", "x + 1", 1.0),
    ("\\boxed{41}", "42", 0.0),
    ("The answer is 7 or maybe 8", "7", 0.0),  # the last number after the lead is "7 or maybe 8": not 7
    ("I cannot tell.", "42", 0.0),
    ("The answer is \\boxed{", "42", 0.0),  # an unclosed box and no number: no answer
])
def test_accuracy_scores_final_answers(completion, reference, expected):
    assert builtin.accuracy(completion, reference) == expected


def test_final_answer_prefers_the_last_box_then_the_lead_then_the_last_number():
    assert builtin.final_answer("\\boxed{1} then \\boxed{\\frac{2}{3}}") == "\\frac{2}{3}"
    assert builtin.final_answer("2 and 3. Answer: 5") == "5"
    assert builtin.final_answer("from 2 to -3.5") == "-3.5"
    assert builtin.final_answer("nothing here") is None


def test_format_matches_think_then_answer():
    pattern = re.compile(r"^<think>.*?</think>\s*\S.*$", re.DOTALL)
    assert builtin.format_match("<think>2+2</think> 4", pattern) == 1.0
    assert builtin.format_match("<think>\nlong\nthought\n</think>\n\nThe answer is 4", pattern) == 1.0
    assert builtin.format_match("<think>no end", pattern) == 0.0
    assert builtin.format_match("<think>done</think>", pattern) == 0.0  # no answer after it
    assert builtin.format_match("4", pattern) == 0.0


def test_length_penalty_past_the_target():
    assert builtin.length_penalty(10, 16) == 0.0
    assert builtin.length_penalty(24, 16) == -0.5
    assert builtin.length_penalty(100, 16) == -1.0


def test_tool_call_parses_the_templates_format_with_known_functions():
    tools = '[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]'
    names = builtin.tool_names(tools)
    assert names == {"get_weather"}
    good = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>'
    assert builtin.tool_call(good, "qwen", names) == 1.0
    assert builtin.tool_call(good.replace("get_weather", "get_time"), "qwen", names) == 0.0  # unknown function
    assert builtin.tool_call('<tool_call>\n{"name": "get_weather", "arguments": {"city": }\n</tool_call>',
                             "qwen", names) == 0.0  # broken JSON
    assert builtin.tool_call("It is sunny in Paris.", "qwen", names) == 0.0  # no call at all
    assert builtin.tool_call('{"name": "get_weather", "parameters": {"city": "Paris"}}', "llama3", names) == 1.0
    assert builtin.tool_call('[TOOL_CALLS] [{"name": "get_weather", "arguments": {}}]', "mistral", names) == 1.0
