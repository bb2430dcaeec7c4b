"""Hand-written rows in each format convert to exactly the expected canonical examples."""
from __future__ import annotations

import json

import pytest

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import stage_needs
from tuneforge.data.example import (
    Conversation,
    KTOExample,
    Origin,
    PreferencePair,
    Prompt,
    Text,
)
from tuneforge.data.load import load_data

SEARCH_TOOL = {"name": "search", "description": "Search the web", "parameters": {
    "type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}


def _train(dataset_dir, name, stage="sft"):
    return load_data(DataConfig(dataset=name, dataset_dir=str(dataset_dir)), stage=stage_needs(stage), seed=0).train


def test_alpaca_with_history_and_system(make_data):
    rows = [
        {"instruction": "Translate", "input": "bonjour", "output": "hello", "system": "Be brief.",
         "history": [["hi", "hello!"], ["how are you?", "fine"]]},
        {"instruction": "Say hi", "input": "", "output": "hi"},
    ]
    d = make_data({"tiny": {"file_name": "tiny.json", "columns": {
        "prompt": "instruction", "query": "input", "response": "output", "system": "system",
        "history": "history"}}}, {"tiny.json": rows})
    first, second = _train(d, "tiny")
    assert first == Conversation(messages=(
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello!"},
        {"role": "user", "content": "how are you?"}, {"role": "assistant", "content": "fine"},
        {"role": "user", "content": "Translate\nbonjour"}, {"role": "assistant", "content": "hello"},
    ), tools=None, source=Origin(str(d / 'tiny.json'), 1))
    assert second.messages == ({"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "hi"})


def test_alpaca_columns_given_means_other_columns_unused(make_data):
    # LLaMA-Factory: once "columns" is written, an omitted column (here query/input) is not read.
    d = make_data({"t": {"file_name": "t.json", "columns": {"prompt": "q", "response": "a"}}},
                  {"t.json": [{"q": "Question?", "a": "Answer.", "input": "ignored"}]})
    assert _train(d, "t")[0].messages == ({"role": "user", "content": "Question?"},
                                          {"role": "assistant", "content": "Answer."})


def test_alpaca_ranking_and_kto(make_data):
    d = make_data({
        "pref": {"file_name": "pref.json", "ranking": True,
                 "columns": {"prompt": "instruction", "query": "input", "chosen": "chosen", "rejected": "rejected"}},
        "kto": {"file_name": "kto.json", "columns": {"prompt": "instruction", "response": "output",
                                                      "kto_tag": "kto_tag"}},
    }, {
        "pref.json": [{"instruction": "2+2?", "input": "", "chosen": "4", "rejected": "5"}],
        "kto.json": [{"instruction": "2+2?", "output": "4", "kto_tag": True},
                     {"instruction": "2+2?", "output": "5", "kto_tag": False}],
    })
    user = {"role": "user", "content": "2+2?"}
    assert _train(d, "pref", "dpo") == [PreferencePair(
        prompt=(user,), chosen={"role": "assistant", "content": "4"},
        rejected={"role": "assistant", "content": "5"}, source=Origin(str(d / 'pref.json'), 1))]
    assert [(e.messages, e.label) for e in _train(d, "kto", "kto")] == [
        ((user, {"role": "assistant", "content": "4"}), True),
        ((user, {"role": "assistant", "content": "5"}), False)]
    assert all(isinstance(e, KTOExample) for e in _train(d, "kto", "kto"))


def test_sharegpt_with_system_function_call_and_observation(make_data):
    row = {
        "conversations": [
            {"from": "system", "value": "You can search."},
            {"from": "human", "value": "Weather in Paris?"},
            {"from": "function_call", "value": json.dumps({"name": "search", "arguments": {"q": "Paris weather"}})},
            {"from": "observation", "value": "{\"temp\": 21}"},
            {"from": "gpt", "value": "It is 21 degrees."},
            {"from": "human", "value": "Thanks"},
            {"from": "gpt", "value": "You're welcome."},
        ],
        "tools": json.dumps([SEARCH_TOOL]),
    }
    d = make_data({"chat": {"file_name": "chat.jsonl", "formatting": "sharegpt",
                            "columns": {"messages": "conversations", "tools": "tools"}}},
                  {"chat.jsonl": [row]})
    (example,) = _train(d, "chat")
    assert example == Conversation(messages=(
        {"role": "system", "content": "You can search."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"type": "function", "function": {"name": "search", "arguments": {"q": "Paris weather"}}}]},
        {"role": "tool", "content": "{\"temp\": 21}"},
        {"role": "assistant", "content": "It is 21 degrees."},
        {"role": "user", "content": "Thanks"},
        {"role": "assistant", "content": "You're welcome."},
    ), tools=({"type": "function", "function": SEARCH_TOOL},), source=Origin(str(d / 'chat.jsonl'), 1))


def test_sharegpt_parallel_calls_and_wrapped_tools(make_data):
    wrapped = {"type": "function", "function": SEARCH_TOOL}
    calls = [{"name": "search", "arguments": "{\"q\": \"a\"}"}, {"name": "search", "arguments": {"q": "b"}}]
    row = {"conversations": [{"from": "human", "value": "a and b?"},
                             {"from": "function_call", "value": json.dumps(calls)},
                             {"from": "observation", "value": "[1, 2]"},
                             {"from": "gpt", "value": "1 and 2"}],
           "tools": [wrapped]}
    d = make_data({"c": {"file_name": "c.json", "formatting": "sharegpt",
                         "columns": {"messages": "conversations", "tools": "tools"}}}, {"c.json": [row]})
    (example,) = _train(d, "c")
    assert example.tools == (wrapped,)
    assert [c["function"]["arguments"] for c in example.messages[1]["tool_calls"]] == [{"q": "a"}, {"q": "b"}]


def test_sharegpt_ranking_and_custom_tags(make_data):
    row = {"messages": [{"role": "user", "content": "Hi"}],
           "chosen": {"role": "assistant", "content": "Hello!"},
           "rejected": {"role": "assistant", "content": "Go away."}}
    d = make_data({"p": {"file_name": "p.json", "formatting": "sharegpt", "ranking": True,
                         "columns": {"messages": "messages", "chosen": "chosen", "rejected": "rejected"},
                         "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                                  "assistant_tag": "assistant"}}}, {"p.json": [row]})
    (pair,) = _train(d, "p", "rm")
    assert pair.prompt == ({"role": "user", "content": "Hi"},)
    assert (pair.chosen, pair.rejected) == ({"role": "assistant", "content": "Hello!"},
                                            {"role": "assistant", "content": "Go away."})


def test_openai_messages_with_tool_calls(make_data):
    call = {"id": "call_1", "type": "function", "function": {"name": "search", "arguments": "{\"q\": \"x\"}"}}
    row = {"messages": [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "find x"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "x found"},
        {"role": "assistant", "content": "Found x."},
    ], "tools": [SEARCH_TOOL]}
    d = make_data({"o": {"file_name": "o.json", "formatting": "openai",
                         "columns": {"messages": "messages", "tools": "tools"}}}, {"o.json": [row]})
    (example,) = _train(d, "o")
    assert example.messages == (
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "find x"},
        {"role": "assistant", "content": "", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "search", "arguments": {"q": "x"}}}]},
        {"role": "tool", "content": "x found", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "Found x."},
    )
    assert example.tools == ({"type": "function", "function": SEARCH_TOOL},)


def test_text_formats_and_txt_lines(make_data):
    d = make_data({"t": {"file_name": "t.txt", "columns": {"prompt": "text"}},
                   "j": {"file_name": "j.jsonl", "formatting": "text", "columns": {"prompt": "body"}}},
                  {"t.txt": "first line\n\n  \nsecond line\n", "j.jsonl": [{"body": "doc one"}]})
    assert _train(d, "t", "pt") == [Text("first line", Origin(str(d / "t.txt"), 1)),
                                    Text("second line", Origin(str(d / "t.txt"), 4))]
    assert _train(d, "j", "pt") == [Text("doc one", Origin(str(d / 'j.jsonl'), 1))]


def test_sharegpt_dataset_in_pt_gives_first_user_message(make_data):
    d = make_data({"c": {"file_name": "c.json", "formatting": "sharegpt"}}, {"c.json": [{"conversations": [
        {"from": "system", "value": "s"}, {"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}]})
    assert [e.text for e in _train(d, "c", "pt")] == ["q"]


@pytest.mark.parametrize("stage", ["ppo", "grpo"])
def test_online_rl_gives_prompts_with_their_reference_and_other_columns(make_data, stage):
    d = make_data({"a": {"file_name": "a.json"}, "s": {"file_name": "s.json", "formatting": "sharegpt",
                                                       "columns": {"messages": "conversations", "answer": "gold"}}},
                  {"a.json": [{"instruction": "q", "input": "", "output": "a", "level": 3},
                              {"instruction": "open question"}],
                   "s.json": [{"conversations": [{"from": "human", "value": "hi"}], "gold": 42},
                              {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "x"}],
                               "gold": "y"}]})
    first, second = _train(d, "a", stage)
    assert first == Prompt(({"role": "user", "content": "q"},), "a", {"level": 3}, None,
                           Origin(str(d / "a.json"), 1))
    assert second.reference is None and second.messages == ({"role": "user", "content": "open question"},)
    ends_with_user, ends_with_answer = _train(d, "s", stage)
    assert ends_with_user.reference == "42"  # the answer column wins, as text
    assert ends_with_answer.reference == "y" and ends_with_answer.messages == ({"role": "user", "content": "hi"},)
