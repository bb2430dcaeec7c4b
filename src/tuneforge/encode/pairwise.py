"""Preference encoding: a PreferencePair → prompt ids plus the ids of each answer, rendered with the same
template call and the same trained span as SFT (`templates.render`), so the prompt is token for token what
chat sends and each answer is exactly what SFT would train (content + end-of-turn token).

Also builds the conversational rows handed to TRL's preference trainers: those trainers always tokenise
themselves, through `tokenizer.apply_chat_template` — the very call `render` makes — so the rows carry the
template's jinja and BOS setting, and `check_trl_tokens` verifies the result against this encoder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.data.example import Origin, PreferencePair
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.supervised import assistant_runs
from tuneforge.templates.render import render, with_default_system
from tuneforge.templates.spec import TemplateSpec


@dataclass(frozen=True)
class PairEncoded:
    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]
    truncated: bool = False


def _tools(tools) -> list[dict] | None:
    return list(tools) if tools else None


def encode_answer(tokenizer, template: TemplateSpec | None, prompt: list[dict], answer: dict,
                  tools=None, source: Origin = Origin()) -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids): the answer is the last trained span of prompt + [answer]."""
    rendered = render(tokenizer, [*prompt, answer], template=template, tools=_tools(tools))
    runs = assistant_runs(list(rendered.assistant_mask))
    if not runs:
        raise source.locate(UserError("the template rendered no tokens for this answer", field="chosen"))
    start, end = runs[-1]
    return list(rendered.input_ids[:start]), list(rendered.input_ids[start:end])


def fit_lengths(prompt: list[int], answers: list[list[int]], cutoff: int) -> tuple[list[int], list[list[int]], bool]:
    """Cut to cutoff_len: answers keep their start, the prompt keeps its start and its end (the question and
    the assistant header), as SFT does for a single turn that does not fit."""
    longest = max(len(a) for a in answers)
    if len(prompt) + longest <= cutoff:
        return prompt, answers, False
    answer_budget = min(longest, max(cutoff // 2, cutoff - len(prompt)))
    prompt_budget = cutoff - answer_budget
    head = prompt_budget // 2
    kept = prompt if len(prompt) <= prompt_budget else prompt[:head] + prompt[len(prompt) - (prompt_budget - head):]
    return kept, [a[:answer_budget] for a in answers], True


def encode_pair(pair: PreferencePair, tokenizer, template: TemplateSpec | None,
                options: EncodeOptions) -> PairEncoded:
    prompt = with_default_system(pair.prompt, options.default_system)
    prompt_ids, chosen = encode_answer(tokenizer, template, prompt, pair.chosen, pair.tools, pair.source)
    other_prompt, rejected = encode_answer(tokenizer, template, prompt, pair.rejected, pair.tools, pair.source)
    if other_prompt != prompt_ids:
        raise pair.source.locate(UserError("the template renders the prompt differently before the chosen and "
                                           "the rejected answer", field="template"))
    prompt_ids, (chosen, rejected), truncated = fit_lengths(prompt_ids, [chosen, rejected], options.cutoff_len)
    return PairEncoded(prompt_ids, chosen, rejected, truncated)


def template_kwargs(tokenizer) -> dict[str, Any]:
    """Variables `render` gives the jinja besides the messages (a model without BOS renders bos_token as "")."""
    return {"bos_token": getattr(tokenizer, "bos_token", None) or ""}


def trl_pair_row(pair: PreferencePair, options: EncodeOptions, tokenizer) -> dict[str, Any]:
    """A conversational preference row for TRL (prompt / chosen / rejected messages)."""
    return {"prompt": with_default_system(pair.prompt, options.default_system), "chosen": [dict(pair.chosen)],
            "rejected": [dict(pair.rejected)], "tools": json.dumps(list(pair.tools)) if pair.tools else None,
            "chat_template_kwargs": template_kwargs(tokenizer)}


def check_trl_tokens(trl_row: dict[str, Any], ours: PairEncoded) -> None:
    """TRL's tokenisation of a row must give our prompt and start each answer with our answer tokens (TRL keeps
    what the template writes after the end-of-turn token, e.g. a newline). A mismatch is a bug, not user error."""
    prompt = list(trl_row["prompt_ids"])
    full_ours = ours.prompt_ids + ours.chosen_ids
    full_trl = prompt + list(trl_row["chosen_ids"])
    if full_trl[:len(full_ours)] != full_ours:
        raise RuntimeError("TRL tokenised a preference row differently from tuneforge's template rendering")
