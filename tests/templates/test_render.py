"""render(): user errors, the tokenizer's own chat_template (template omitted), and no mutation of the tokenizer."""
from __future__ import annotations

import pytest

from tests.templates.support import (SYSTEM, TOOL_TURNS, TURNS, WEATHER_TOOL, load_fixture_tokenizer, masked_runs,
                                     shared_fixture_tokenizer, tiny_tokenizer, tiny_tokenizer_for)
from tuneforge.core.errors import UserError
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import render, render_prompt, render_text


def runs_text(tok, rendered) -> list[str]:
    return [tok.decode(run, skip_special_tokens=False)
            for run in masked_runs(rendered.input_ids, rendered.assistant_mask)]


def test_no_template_and_no_chat_template_is_a_user_error():
    with pytest.raises(UserError, match="no chat_template") as err:
        render(tiny_tokenizer(), TURNS, template=None)
    assert err.value.field == "template"


def test_empty_conversation_is_a_user_error():
    with pytest.raises(UserError, match="no messages"):
        render(tiny_tokenizer_for(get_template("qwen")), [], template=get_template("qwen"))


@pytest.mark.parametrize("name,messages,message", [
    ("gemma", [TURNS[0], TURNS[0]], "roles must alternate"),
    ("mistral", [TURNS[1], TURNS[0]], "roles must alternate"),
    ("llama3", [TURNS[0], {"role": "assistant", "content": "", "tool_calls": TOOL_TURNS[1]["tool_calls"] * 2}],
     "single tool-calls"),
    ("qwen", [{"role": "function", "content": "x"}], "Unknown role 'function'"),
    ("chatml", [TURNS[0], {"role": "assistant"}], "cannot render"),  # no content
])
def test_template_errors_become_user_errors(name, messages, message):
    spec = get_template(name)
    with pytest.raises(UserError, match=message) as err:
        render(tiny_tokenizer_for(spec), messages, template=spec, tools=[WEATHER_TOOL] if spec.tool_format else None)
    assert err.value.field == "messages" and name in str(err.value)


@pytest.mark.parametrize("tools,messages", [([WEATHER_TOOL], TURNS), (None, TOOL_TURNS)])
def test_tools_with_a_template_without_tool_support_is_a_user_error(tools, messages):
    spec = get_template("chatml")
    with pytest.raises(UserError, match="does not support tools"):
        render(tiny_tokenizer_for(spec), messages, template=spec, tools=tools)


def test_rendering_never_changes_the_tokenizer():
    spec = get_template("qwen")
    tok = tiny_tokenizer_for(spec)
    before = (len(tok), tok.chat_template, tok.bos_token, tok.eos_token)
    render(tok, TURNS, template=spec)
    render_prompt(tok, TURNS[:1], template=spec)
    assert (len(tok), tok.chat_template, tok.bos_token, tok.eos_token) == before


def test_render_prompt_and_text():
    tok = shared_fixture_tokenizer("qwen2_5_general_npm")
    spec = get_template("qwen")
    text = render_text(tok, [SYSTEM, TURNS[0]], template=spec, add_generation_prompt=True)
    assert text == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                    "<|im_start|>user\nHello! What is 2+2?<|im_end|>\n<|im_start|>assistant\n")
    assert render_prompt(tok, [SYSTEM, TURNS[0]], template=spec) == tok.encode(text, add_special_tokens=False)


# ---- template omitted: the tokenizer's own chat_template ------------------------------------------------

def test_own_template_with_generation_markers_is_used_as_is():
    spec = get_template("llama3")
    tok = tiny_tokenizer_for(spec)
    tok.chat_template = spec.chat_template  # a private instance: tokenizers shipped with markers
    assert render(tok, TURNS, template=None) == render(tok, TURNS, template=spec)


@pytest.mark.parametrize("folder,messages,expected", [
    ("qwen2_5_general_npm", [SYSTEM, *TURNS], ["2+2 equals 4.<|im_end|>", "3+3 equals 6.<|im_end|>"]),
    ("mistral", TURNS, ["2+2 equals 4.</s>", "3+3 equals 6.</s>"]),
    ("zephyr", [SYSTEM, *TURNS], ["2+2 equals 4.</s>", "3+3 equals 6.</s>"]),
])
def test_own_template_without_markers_finds_replies_in_the_whole_rendering(folder, messages, expected):
    tok = shared_fixture_tokenizer(folder)
    rendered = render(tok, messages, template=None)
    assert rendered.input_ids == tok.apply_chat_template(messages, tokenize=True)["input_ids"]
    assert trained_texts(tok, messages, rendered) == expected


def test_own_template_tool_calls_train_from_the_header_to_the_stop_token():
    tok = shared_fixture_tokenizer("qwen2_5_general_npm")
    rendered = render(tok, TOOL_TURNS, template=None, tools=[WEATHER_TOOL])
    assert runs_text(tok, rendered) == [
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>',
        "It is 21 °C and sunny in Paris.<|im_end|>"]


def trained_texts(tok, messages, rendered) -> list[str]:
    """The text each run of trained tokens covers in the rendering (through offsets, so SentencePiece's
    decoding spaces do not blur what was trained)."""
    full = tok.apply_chat_template(messages, tokenize=False)
    offsets = tok(full, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    out, start = [], None
    for k, bit in enumerate([*rendered.assistant_mask, 0]):
        if bit and start is None:
            start = k
        elif not bit and start is not None:
            out.append(full[offsets[start][0]:offsets[k - 1][1]])
            start = None
    return out


MULTI_TURN = {
    "two turns": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
                  {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "2+2 equals 4."}],
    "system, three turns": [SYSTEM, *TURNS, {"role": "assistant", "content": "3+3 equals 6."},
                            {"role": "user", "content": "And 4+4?"}, {"role": "assistant", "content": "8."}],
    "chinese": [{"role": "system", "content": "你是一个乐于助人的助手。"},
                {"role": "user", "content": "你好，你是谁？"}, {"role": "assistant", "content": "我是一个AI助手。"},
                {"role": "user", "content": "二加二等于几？"}, {"role": "assistant", "content": "二加二等于四。"}],
    "whitespace": [{"role": "user", "content": "  spaced question  "},
                   {"role": "assistant", "content": "  leading and trailing spaces  "},
                   {"role": "user", "content": "again"}, {"role": "assistant", "content": "  last reply \t"}],
}


@pytest.mark.parametrize("case", sorted(MULTI_TURN))
def test_own_template_trains_every_reply_of_a_multi_turn_qwen3_conversation(case):
    """Qwen3's template writes the last reply differently (an empty think block before it) from the earlier
    ones: each reply and its stop token are trained, character for character, and nothing else."""
    tok = shared_fixture_tokenizer("qwen3")
    messages = MULTI_TURN[case]
    rendered = render(tok, messages, template=None)
    assert rendered.input_ids == tok.apply_chat_template(messages, tokenize=True)["input_ids"]
    replies = [m["content"] for m in messages if m["role"] == "assistant"]
    assert trained_texts(tok, messages, rendered) == [reply + "<|im_end|>" for reply in replies]


@pytest.mark.parametrize("case", sorted(MULTI_TURN))
def test_own_template_trains_every_reply_of_a_multi_turn_phi3_conversation(case):
    """Phi-3.5's template ends the conversation with eos after the last `<|end|>`: each reply and its stop
    token are trained and nothing else. Its special tokens swallow the whitespace next to them (rstrip), so a
    reply's leading spaces and the newline after `<|end|>` are not tokens at all: compare without whitespace."""
    tok = shared_fixture_tokenizer("phi3")
    messages = MULTI_TURN[case]
    rendered = render(tok, messages, template=None)
    assert rendered.input_ids == tok.apply_chat_template(messages, tokenize=True)["input_ids"]
    runs = masked_runs(rendered.input_ids, rendered.assistant_mask)
    replies = [m["content"] for m in messages if m["role"] == "assistant"]
    assert ["".join(tok.decode(run).split()) for run in runs] == ["".join(r.split()) + "<|end|>" for r in replies]
    assert all(run[-1] == tok.convert_tokens_to_ids("<|end|>") for run in runs)


def test_own_template_that_does_not_write_a_reply_is_refused():
    tok = tiny_tokenizer(("<|end|>",))
    tok.chat_template = "{% for m in messages %}{{ m.role }}: {{ m.content | upper }}<|end|>{% endfor %}"
    with pytest.raises(UserError, match="assistant turn 2's content") as err:
        render(tok, TURNS, template=None)
    assert err.value.field == "template"


def test_own_template_errors_become_user_errors():
    with pytest.raises(UserError, match="roles must alternate"):
        render(shared_fixture_tokenizer("mistral"), [SYSTEM, *TURNS], template=None)


def test_fixture_tokenizer_without_chat_template_needs_a_template():
    with pytest.raises(UserError, match="no chat_template"):
        render(load_fixture_tokenizer("llama2_chat"), TURNS, template=None)


def test_template_kwargs_reach_the_jinja():
    qwen3, llama3 = get_template("qwen3"), get_template("llama3")
    tok = tiny_tokenizer_for(qwen3)
    prompt = render_text(tok, TURNS[:1], template=qwen3, add_generation_prompt=True,
                         template_kwargs={"enable_thinking": False})
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    tok = tiny_tokenizer_for(llama3)
    assert "Today Date: 26 Jul 2024\n" in render_text(tok, TURNS[:2], template=llama3)
    assert "Today Date: 01 Jan 2025\n" in render_text(tok, TURNS[:2], template=llama3,
                                                       template_kwargs={"date_string": "01 Jan 2025"})


def test_default_system_is_added_only_when_the_conversation_has_none():
    from tuneforge.templates.render import with_default_system

    assert with_default_system(TURNS, "Be brief.")[0] == {"role": "system", "content": "Be brief."}
    assert with_default_system([SYSTEM, *TURNS], "Be brief.")[0] == SYSTEM
    assert with_default_system(TURNS, None) == [dict(m) for m in TURNS]
    assert with_default_system(TURNS, "x") is not TURNS and TURNS[0]["role"] == "user"  # the input is untouched


def test_jinja_variables_reach_only_reasoning_templates():
    from tuneforge.templates.render import jinja_variables

    assert jinja_variables(get_template("qwen3"), False) == {"enable_thinking": False}
    assert jinja_variables(get_template("qwen"), False) == {} and jinja_variables(None, True) == {}
