"""Preference and KTO encoding: prompt and answers are tokenised exactly as chat renders them (same template call,
same trained span as SFT), TRL's own tokenisation of our rows agrees (no second chat template, BOS once), and
over-long pairs are cut keeping both answers' starts."""
from __future__ import annotations

import pytest

from tuneforge.config.model import ModelConfig
from tuneforge.config.stages import ExampleKind
from tuneforge.data.example import Conversation, KTOExample, Origin, PreferencePair
from tuneforge.encode.kto import encode_kto, trl_kto_row
from tuneforge.encode.batch import encode_examples
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.pairwise import (
    check_trl_tokens,
    encode_pair,
    fit_lengths,
    trl_pair_row,
)
from tuneforge.model.load import load_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import render_prompt

PROMPT = ({"role": "user", "content": "Can you help me with the garden?"},)
CHOSEN = {"role": "assistant", "content": "Sure, glad to help with the garden!"}
REJECTED = {"role": "assistant", "content": "No. Go away."}
OPTIONS = EncodeOptions(kind=ExampleKind.PAIR, cutoff_len=1024)


def _setup(model, template_name):
    tokenizer = load_tokenizer(ModelConfig(model_name_or_path=str(model)))
    template = get_template(template_name)
    tokenizer.chat_template = template.export_chat_template()
    return tokenizer, template


@pytest.mark.parametrize("fixture,template_name", [("tiny_qwen", "qwen"), ("tiny_llama", "llama3")])
def test_pair_tokens_equal_chat_and_sft(request, fixture, template_name):
    tokenizer, template = _setup(request.getfixturevalue(fixture), template_name)
    enc = encode_pair(PreferencePair(PROMPT, CHOSEN, REJECTED, source=Origin("f", 1)), tokenizer, template, OPTIONS)
    assert enc.prompt_ids == render_prompt(tokenizer, list(PROMPT), template=template)  # what chat sends
    for answer, ids in ((CHOSEN, enc.chosen_ids), (REJECTED, enc.rejected_ids)):
        (sft,) = encode_examples([Conversation((*PROMPT, answer))], tokenizer, template,
                                 EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=1024))
        trained = [t for t in sft.labels if t != -100]
        assert ids == trained  # the answer is exactly SFT's trained span: content + end-of-turn token
        assert sft.input_ids[:len(enc.prompt_ids) + len(ids)] == enc.prompt_ids + ids
    if tokenizer.bos_token_id is not None:
        assert enc.prompt_ids.count(tokenizer.bos_token_id) == 1


@pytest.mark.parametrize("fixture,template_name", [("tiny_qwen", "qwen"), ("tiny_llama", "llama3")])
def test_trl_dpo_and_kto_tokenise_our_rows_like_we_do(request, fixture, template_name):
    """TRL's preference trainers tokenise by themselves; our rows make that the very same apply_chat_template
    call, so their ids start with ours (they keep the template's newline after the end-of-turn token)."""
    from datasets import Dataset
    from trl.data_utils import _tokenize, is_conversational

    tokenizer, template = _setup(request.getfixturevalue(fixture), template_name)
    pair = PreferencePair(PROMPT, CHOSEN, REJECTED, source=Origin("f", 1))
    row = trl_pair_row(pair, OPTIONS, tokenizer)
    assert is_conversational(row)
    kwargs = {"tools": None, **row["chat_template_kwargs"]}
    prompt = _tokenize(tokenizer, row["prompt"], add_generation_prompt=True, **kwargs)["input_ids"]
    chosen = _tokenize(tokenizer, row["prompt"] + row["chosen"], **kwargs)["input_ids"]
    ours = encode_pair(pair, tokenizer, template, OPTIONS)
    check_trl_tokens({"prompt_ids": prompt, "chosen_ids": chosen[len(prompt):]}, ours)
    assert prompt == ours.prompt_ids
    if tokenizer.bos_token_id is not None:
        assert chosen.count(tokenizer.bos_token_id) == 1
    kto_row = trl_kto_row(KTOExample((*PROMPT, CHOSEN), True), OPTIONS, tokenizer)
    assert kto_row["label"] is True and kto_row["completion"] == [CHOSEN]
    Dataset.from_list([row, row])  # rows are Arrow-serialisable as TRL needs


def test_trl_token_mismatch_is_detected(tiny_qwen):
    tokenizer, template = _setup(tiny_qwen, "qwen")
    ours = encode_pair(PreferencePair(PROMPT, CHOSEN, REJECTED), tokenizer, template, OPTIONS)
    with pytest.raises(RuntimeError):
        check_trl_tokens({"prompt_ids": [99] + ours.prompt_ids, "chosen_ids": ours.chosen_ids}, ours)


def test_kto_encoding_matches_pair_encoding(tiny_qwen):
    tokenizer, template = _setup(tiny_qwen, "qwen")
    pair = encode_pair(PreferencePair(PROMPT, CHOSEN, REJECTED), tokenizer, template, OPTIONS)
    kto = encode_kto(KTOExample((*PROMPT, REJECTED), False), tokenizer, template, OPTIONS)
    assert (kto.prompt_ids, kto.completion_ids, kto.label) == (pair.prompt_ids, pair.rejected_ids, False)


def test_long_pairs_keep_prompt_ends_and_answer_starts():
    prompt, answers = list(range(100)), [list(range(1000, 1050)), list(range(2000, 2010))]
    kept, (chosen, rejected), truncated = fit_lengths(prompt, answers, 64)
    assert truncated and len(kept) + len(chosen) <= 64 and len(kept) + len(rejected) <= 64
    assert kept[0] == 0 and kept[-1] == 99  # the start (system/BOS) and the assistant header survive
    assert chosen == answers[0][:len(chosen)] and rejected == answers[1]
    assert fit_lengths([1, 2], [[3], [4]], 8) == ([1, 2], [[3], [4]], False)
