"""Token parity with the official chat templates in ../shared/fixtures/tokenizers.

Families with a loadable tokenizer.json are compared by token ids through the real tokenizer. Families with only a
tokenizer_config.json are compared by rendered text (rendered the way transformers renders templates) and by the
ids a tiny tokenizer holding the family's special tokens gives for both renderings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import missing_fixture
from tests.templates.support import (FIXTURES, PARALLEL_TOOL_TURNS, SYSTEM, TIME_TOOL, TOOL_TURNS, TURNS,
                                     UNTRIMMED, WEATHER_TOOL, config_token, fixture_dir, load_fixture_tokenizer,
                                     official_template, render_official_text, shared_fixture_tokenizer,
                                     tiny_tokenizer_for)
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import render, render_text


@dataclass(frozen=True)
class Family:
    folder: str
    template: str
    system: str = "optional"  # "optional" | "rejected" (official raises) | "required" (official default differs)
    tools: str = ""  # "" | "single" (one call per turn) | "parallel"
    thinking: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)  # extra template variables for the official template


FAMILIES = [
    Family("qwen2_5", "qwen", system="required", tools="parallel"),
    Family("qwen2_5_general_npm", "qwen", tools="parallel"),
    Family("qwen3", "qwen3", tools="parallel", thinking=True),
    Family("llama3", "llama3", tools="single", kwargs={"date_string": "26 Jul 2024"}),
    Family("mistral", "mistral", system="rejected"),
    Family("mixtral", "mixtral", system="rejected"),
    Family("gemma3", "gemma3"),
    Family("gemma1_2b_it", "gemma", system="rejected"),
    Family("gemma1_2b_it", "gemma2", system="rejected"),  # Gemma 2 ships the same chat template
    Family("phi3", "phi"),
    Family("zephyr", "zephyr"),
    Family("internlm2", "intern2"),
    Family("deepseek_r1_distill_qwen", "deepseekr1"),
]

THINKING = [
    {"role": "user", "content": "What is 2+2?"},
    {"role": "assistant", "content": "<think>\nTwo plus two.\n</think>\n\n2+2 equals 4."},
    {"role": "user", "content": "And 3+3?"},
    {"role": "assistant", "content": "<think>\nThree plus three.\n</think>\n\n3+3 equals 6."},
]


def cases(family: Family) -> list[tuple[str, list[dict], list[dict] | None, bool]]:
    """(id, messages, tools, add_generation_prompt) for one family."""
    convs = {"single": TURNS[:2], "multi": TURNS, "untrimmed": UNTRIMMED}
    if family.thinking:
        convs["thinking"] = THINKING
    out = []
    for name, turns in convs.items():
        variants = {"nosys": turns, "sys": [SYSTEM, *turns]}
        if family.system == "rejected":
            variants.pop("sys")
        if family.system == "required":
            variants.pop("nosys")
        for vname, messages in variants.items():
            out.append((f"{name}-{vname}", messages, None, False))
            out.append((f"{name}-{vname}-prompt", messages[:-1], None, True))
    if family.tools:
        tool_convs = {"tool": TOOL_TURNS} | ({"parallel": PARALLEL_TOOL_TURNS} if family.tools == "parallel" else {})
        for name, turns in tool_convs.items():
            for vname, messages in {"nosys": turns, "sys": [SYSTEM, *turns]}.items():
                if family.system == "required" and vname == "nosys":
                    continue
                out.append((f"{name}-{vname}", messages, [WEATHER_TOOL, TIME_TOOL], False))
                out.append((f"{name}-{vname}-prompt", messages[:-1], [WEATHER_TOOL, TIME_TOOL], True))
    return out


def family_id(family: Family) -> str:
    """The folder, and the template too for a second template compared with the same folder."""
    first = next(f for f in FAMILIES if f.folder == family.folder)
    return family.folder if family is first else f"{family.folder}-{family.template}"


PARAMS = [pytest.param(family, *case[1:], id=f"{family_id(family)}-{case[0]}") for family in FAMILIES
          for case in cases(family)]


def test_every_fixture_with_a_chat_template_is_covered():
    if not FIXTURES.is_dir():
        missing_fixture(f"tokenizer fixtures not found at {FIXTURES}")
    covered = {family.folder for family in FAMILIES}
    with_template = {path.name for path in FIXTURES.iterdir()
                     if (path / "tokenizer_config.json").is_file() and '"chat_template"' in
                     (path / "tokenizer_config.json").read_text(encoding="utf-8")}
    assert with_template <= covered, f"fixture folders without a parity test: {sorted(with_template - covered)}"


@pytest.mark.parametrize(("family", "messages", "tools", "add_generation_prompt"), PARAMS)
def test_parity_with_official_template(family: Family, messages, tools, add_generation_prompt):
    folder = fixture_dir(family.folder)
    spec = get_template(family.template)
    official = official_template(family.folder)
    if (folder / "tokenizer.json").is_file():
        tok = shared_fixture_tokenizer(family.folder)
        expected_text = tok.apply_chat_template(messages, chat_template=official, tools=tools, tokenize=False,
                                                add_generation_prompt=add_generation_prompt, **family.kwargs)
        expected_ids = tok.apply_chat_template(messages, chat_template=official, tools=tools, tokenize=True,
                                               add_generation_prompt=add_generation_prompt,
                                               **family.kwargs)["input_ids"]
    else:  # config only: the official text, and ids through a tiny tokenizer with the family's tokens
        bos, eos = config_token(family.folder, "bos_token"), config_token(family.folder, "eos_token")
        assert (spec.bos_token, spec.eos_token) == (bos, eos), "registry bos/eos differ from the official config"
        tok = tiny_tokenizer_for(spec)
        expected_text = render_official_text(official, messages, bos=bos, eos=eos, tools=tools,
                                             add_generation_prompt=add_generation_prompt, **family.kwargs)
        expected_ids = tok.apply_chat_template(messages, chat_template=official, tools=tools, tokenize=True,
                                               add_generation_prompt=add_generation_prompt,
                                               **family.kwargs)["input_ids"]
    ours_text = render_text(tok, messages, template=spec, tools=tools, add_generation_prompt=add_generation_prompt)
    assert ours_text == expected_text
    ours = render(tok, messages, template=spec, tools=tools, add_generation_prompt=add_generation_prompt)
    assert ours.input_ids == expected_ids
    assert len(ours.assistant_mask) == len(ours.input_ids)


def test_qwen25_math_differs_only_by_its_default_system_prompt():
    """The Math model's official template has its own default system prompt; `qwen` uses the general one."""
    tok = load_fixture_tokenizer("qwen2_5")
    spec = get_template("qwen")
    official = tok.apply_chat_template(TURNS, tokenize=False)
    math_default = "Please reason step by step, and put your final answer within \\boxed{}."
    assert math_default in official
    assert render_text(tok, TURNS, template=spec) == official.replace(math_default, spec.default_system)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.system == "rejected"], ids=family_id)
def test_system_message_rejected_by_official_is_folded_into_first_user_turn(family: Family):
    fixture_dir(family.folder)
    spec = get_template(family.template)
    tok = tiny_tokenizer_for(spec)
    text = render_text(tok, [SYSTEM, *TURNS[:2]], template=spec)
    folded = [{"role": "user", "content": f"{SYSTEM['content']}\n\n{TURNS[0]['content']}"}, TURNS[1]]
    assert text == render_official_text(official_template(family.folder), folded, bos=spec.bos_token,
                                        eos=spec.eos_token)
