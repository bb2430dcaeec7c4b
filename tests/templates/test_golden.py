"""Each added template renders its golden text (golden.py, golden_*.py), trains exactly its golden spans (reply
+ end of turn, as LLaMA-Factory trains them), and its generation prompt is the golden text up to the last reply;
reasoning templates keep a reply's own reasoning and close the think block in the prompt with
enable_thinking=false."""
from __future__ import annotations

import pytest

from tests.templates.golden import all_goldens
from tests.templates.support import SYSTEM, TURNS, masked_runs, tiny_tokenizer_for
from tuneforge.templates.registry import TEMPLATES, get_template
from tuneforge.templates.render import render, render_text

GOLDEN = all_goldens()
# The templates of the first registry, whose masks test_masks.py spells out (SPAN / AFTER_STOP) instead.
FIRST = {"default", "empty", "alpaca", "vicuna", "chatml", "qwen", "qwen3", "qwen3_nothink", "llama2", "llama3",
         "mistral", "mixtral", "gemma", "gemma3", "qwen2_vl", "qwen3_vl", "qwen3_vl_nothink", "llava", "llava_next",
         "glm4", "chatglm3", "phi", "phi4", "yi", "deepseek", "deepseek3", "deepseekr1", "baichuan2", "intern2", "cpm",
         "cohere", "falcon", "xverse", "yuan", "zephyr"}


def runs_text(tok, rendered) -> list[str]:
    return [tok.decode(run, skip_special_tokens=False) for run in masked_runs(rendered.input_ids,
                                                                              rendered.assistant_mask)]


def test_every_added_template_has_a_golden_rendering():
    assert set(TEMPLATES) - FIRST == set(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_text_mask_and_prompt(name):
    spec, golden = get_template(name), GOLDEN[name]
    tok = tiny_tokenizer_for(spec)
    messages = [SYSTEM, *TURNS]
    assert render_text(tok, messages, template=spec) == golden.text
    assert runs_text(tok, render(tok, messages, template=spec)) == list(golden.runs)
    assert render_text(tok, messages[:-1], template=spec, add_generation_prompt=True) == golden.prompt


# Replies that carry their own reasoning (each template's think words): (reply 1, reply 2) → trained spans.
THINKING = {
    "mimo": (("<think>\nTwo.\n</think>\n\n2+2 equals 4.", "3+3 equals 6."),
             ["<think>\nTwo.\n</think>\n\n2+2 equals 4.<|im_end|>\n",
              "<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n"]),
    "seed_oss": (("<seed:think>Two.</seed:think>2+2 equals 4.", "3+3 equals 6."),
                 ["<seed:think>Two.</seed:think>2+2 equals 4.<seed:eos>",
                  "<seed:think></seed:think>3+3 equals 6.<seed:eos>"]),
    "glm4_7": (("<think>Two.</think>2+2 equals 4.", "3+3 equals 6."),
               ["\n<think>Two.</think>2+2 equals 4.<|user|>", "</think>\n3+3 equals 6.<|user|>"]),
    # GLM-4.5 keeps reasoning only after the last user message; earlier turns get the empty block.
    "glm4_moe": (("<think>Two.</think>2+2 equals 4.", "<think>Three.</think>3+3 equals 6."),
                 ["\n<think></think>\n2+2 equals 4.<|user|>", "\n<think>Three.</think>\n3+3 equals 6.<|user|>"]),
    "gpt_oss": (("<|channel|>analysis<|message|>Two.<|end|><|start|>assistant<|channel|>final<|message|>2+2 equals 4.",
                 "3+3 equals 6."),
                ["<|channel|>analysis<|message|>Two.<|end|><|start|>assistant<|channel|>final<|message|>2+2 equals 4."
                 "<|return|>", "<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>"
                 "3+3 equals 6.<|return|>"]),
}


@pytest.mark.parametrize("name", sorted(THINKING))
def test_a_replys_own_reasoning_is_trained(name):
    spec = get_template(name)
    tok = tiny_tokenizer_for(spec)
    (first, second), expected = THINKING[name]
    messages = [TURNS[0], {"role": "assistant", "content": first}, TURNS[2], {"role": "assistant", "content": second}]
    assert runs_text(tok, render(tok, messages, template=spec)) == expected


@pytest.mark.parametrize("name,prompt_end", [
    ("mimo", "<|im_start|>assistant\n<think>\n\n</think>\n\n"), ("mimo_v2", "<|im_start|>assistant\n<think></think>"),
    ("glm4_moe", "<|assistant|>\n<think></think>"), ("glm4_7", "<|assistant|></think>"),
    ("glmz1", "<|assistant|><think>\n\n</think>\n\n"), ("seed_oss", "assistant\n<seed:think></seed:think>"),
    ("minimax2", "]~b]ai\n<think>\n\n</think>\n\n"), ("hy3", "<｜hy_Assistant｜><think></think>"),
    ("youtu", "<|Assistant|><think>\n\n</think>\n\n"),
    ("gpt_oss", "<|start|>assistant<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>"),
])
def test_enable_thinking_false_closes_the_think_block_in_the_prompt(name, prompt_end):
    spec = get_template(name)
    assert spec.thinking
    tok = tiny_tokenizer_for(spec)
    thinking = render_text(tok, TURNS[:1], template=spec, add_generation_prompt=True)
    plain = render_text(tok, TURNS[:1], template=spec, add_generation_prompt=True,
                        template_kwargs={"enable_thinking": False})
    assert plain.endswith(prompt_end) and not thinking.endswith(prompt_end)
    assert plain.startswith(thinking)
