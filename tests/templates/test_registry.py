"""The registry and the spec data: names, look-up errors, jinja files, and facts that must agree with the jinja."""
from __future__ import annotations

import pytest

from tests.templates.support import (SYSTEM, TOOL_TURNS, TURNS, UNTRIMMED, WEATHER_TOOL, load_fixture_tokenizer,
                                     masked_runs, shared_fixture_tokenizer, tiny_tokenizer_for)
from tuneforge.core.errors import UserError
from tuneforge.templates.registry import TEMPLATES, get_template
from tuneforge.templates.render import render, render_prompt, render_text
from tuneforge.templates.spec import has_generation_markers

REQUIRED = {"default", "empty", "alpaca", "vicuna", "chatml", "qwen", "qwen3", "qwen3_nothink", "llama2", "llama3",
            "mistral", "mixtral", "gemma", "gemma3", "glm4", "chatglm3", "phi", "phi4", "yi", "deepseek",
            "deepseek3", "deepseekr1", "baichuan2", "intern2", "cpm", "cohere", "falcon", "xverse", "yuan", "zephyr"}
ALL = sorted(TEMPLATES)


def test_all_llamafactory_names_are_registered():
    assert REQUIRED <= set(TEMPLATES)
    assert all(spec.name == name for name, spec in TEMPLATES.items())


def test_unknown_name_suggests_the_closest():
    with pytest.raises(UserError) as err:
        get_template("qwen2")
    assert err.value.field == "template"
    assert "did you mean 'qwen'" in str(err.value)


@pytest.mark.parametrize("name", ALL)
def test_jinja_has_markers_and_export_renders_the_same_text(name):
    spec = get_template(name)
    assert has_generation_markers(spec.chat_template)
    exported = spec.export_chat_template()
    assert not has_generation_markers(exported) and "generation" in exported  # kept as a comment
    tok = tiny_tokenizer_for(spec)
    for messages in (TURNS, [SYSTEM, *TURNS], UNTRIMMED):
        for add_generation_prompt in (False, True):
            msgs = messages[:-1] if add_generation_prompt else messages
            ours = render_text(tok, msgs, template=spec, add_generation_prompt=add_generation_prompt)
            assert tok.apply_chat_template(msgs, chat_template=exported, tokenize=False,
                                           add_generation_prompt=add_generation_prompt) == ours


@pytest.mark.parametrize("name", ALL)
def test_two_turn_conversation_renders_with_and_without_system(name):
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)
    stop_ids = tok.encode(spec.end_of_turn(tok.eos_token), add_special_tokens=False)
    for messages in (TURNS, [SYSTEM, *TURNS]):
        rendered = render(tok, messages, template=spec)
        assert len(rendered.input_ids) == len(rendered.assistant_mask)
        runs = masked_runs(rendered.input_ids, rendered.assistant_mask)
        assert len(runs) == 2
        assert all(_contains(run, stop_ids) for run in runs)
        if messages[0] is SYSTEM:
            assert SYSTEM["content"] in render_text(tok, messages, template=spec)


@pytest.mark.parametrize("name", ALL)
def test_generation_prompt_is_where_the_trained_reply_starts(name):
    """Inference prompt = training text up to the last reply, so training and generation agree."""
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)
    messages = [SYSTEM, *TURNS]
    if spec.name == "deepseekr1":  # its prompt opens a think block, so a trained reply starts with one
        messages[-1] = {"role": "assistant", "content": "<think>\nadd\n</think>\n\n3+3 equals 6."}
    full = render(tok, messages, template=spec)
    prompt = render_prompt(tok, messages[:-1], template=spec)
    assert full.input_ids[:len(prompt)] == prompt
    # deepseekr1's prompt already holds the reply's opening "<think>\n", which is trained as part of the reply
    start = len(prompt) - (len(tok.encode("<think>\n", add_special_tokens=False)) if name == "deepseekr1" else 0)
    assert full.assistant_mask[start - 1] == 0 and full.assistant_mask[start] == 1


@pytest.mark.parametrize("name", ALL)
def test_default_system_is_what_the_jinja_writes(name):
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)
    text = render_text(tok, TURNS[:2], template=spec)
    custom = render_text(tok, [{"role": "system", "content": "CUSTOM SYSTEM"}, *TURNS[:2]], template=spec)
    assert "CUSTOM SYSTEM" in custom
    if spec.default_system:
        assert spec.default_system in text and spec.default_system not in custom
    else:
        assert len(text) < len(custom)


def test_all_templates_render_with_a_real_bpe_vocab():
    """A fresh copy of the Qwen2.5 tokenizer, given every template's special tokens, renders every template."""
    tok = load_fixture_tokenizer("qwen2_5")
    needed = sorted({t for spec in TEMPLATES.values() for t in (*spec.special_tokens, *spec.stop_words)})
    tok.add_special_tokens({"extra_special_tokens": needed}, replace_extra_special_tokens=False)
    for spec in TEMPLATES.values():
        rendered = render(tok, [SYSTEM, *TURNS], template=spec)
        stop_ids = tok.encode(spec.end_of_turn(tok.eos_token), add_special_tokens=False)
        runs = masked_runs(rendered.input_ids, rendered.assistant_mask)
        assert len(runs) == 2 and all(_contains(run, stop_ids) for run in runs), spec.name


@pytest.mark.parametrize("folder,name", [("qwen2_5", "qwen"), ("qwen3", "qwen3"), ("mistral", "mistral"),
                                         ("mixtral", "mixtral"), ("phi3", "phi"), ("zephyr", "zephyr")])
def test_special_tokens_match_the_family_tokenizer(folder, name):
    """Each listed token is one token of the family's tokenizer, and every added token the template writes is
    listed (so checking/resizing a vocab with `special_tokens` reproduces the family's tokenization)."""
    tok = shared_fixture_tokenizer(folder)
    spec = get_template(name)
    for token in spec.special_tokens:
        assert len(tok.encode(token, add_special_tokens=False)) == 1, token
    assert (spec.bos_token, spec.eos_token) == (tok.bos_token, tok.eos_token)
    tools = [WEATHER_TOOL] if spec.tool_format else None
    messages = TOOL_TURNS if spec.tool_format else TURNS
    ids = render(tok, messages, template=spec, tools=tools).input_ids
    added = {tok.convert_ids_to_tokens(i) for i in ids if i in tok.added_tokens_decoder}
    assert added <= set(spec.special_tokens)


def _contains(run: list[int], ids: list[int]) -> bool:
    return any(run[i:i + len(ids)] == ids for i in range(len(run) - len(ids) + 1))
