"""SFT encoding: a Conversation → input_ids + labels, training only on assistant turns.

The template marks each assistant turn (its content and end-of-turn token) as a trained span; labels are
-100 everywhere else. Over-long conversations are cut at turn boundaries so that no prompt is kept without
its answer; a single turn that does not fit keeps the head and tail of its prompt and the start of its answer.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.data.example import NO_MEDIA, Conversation, Media
from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
from tuneforge.templates.render import Rendered, with_default_system


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]
    truncated: bool = False
    media: Media = NO_MEDIA  # the files its media tokens stand for (opened again when batched)


def assistant_runs(mask: list[int]) -> list[tuple[int, int]]:
    """[(start, end)) of each contiguous run of 1s: one per assistant turn."""
    runs, start = [], None
    for i, bit in enumerate(mask + [0]):
        if bit and start is None:
            start = i
        elif not bit and start is not None:
            runs.append((start, i))
            start = None
    return runs


def _budget(prompt_len: int, answer_len: int, cutoff: int) -> tuple[int, int]:
    """Token budget (prompt, answer) for one turn that does not fit: short answers are kept whole."""
    if answer_len * 2 < cutoff:
        answer = answer_len
    elif prompt_len * 2 < cutoff:
        answer = cutoff - prompt_len
    else:
        answer = max(1, int(cutoff * answer_len / (prompt_len + answer_len)))
    return min(cutoff - answer, prompt_len), answer


def truncate(ids: list[int], mask: list[int], cutoff: int) -> tuple[list[int], list[int], bool]:
    if len(ids) <= cutoff:
        return ids, mask, False
    runs = assistant_runs(mask)
    complete = [run for run in runs if run[1] <= cutoff]
    if complete:
        end = complete[-1][1]
        return ids[:end], mask[:end], True
    if not runs:
        return ids[:cutoff], mask[:cutoff], True
    start, end = runs[0]
    prompt_len, answer_len = _budget(start, end - start, cutoff)
    head = prompt_len // 2  # keep the start (BOS, system) and the end (question, assistant header)
    prompt = ids[:head] + ids[start - (prompt_len - head):start] if prompt_len > head else ids[:head]
    answer = ids[start:start + answer_len]
    return prompt + answer, [0] * len(prompt) + [1] * len(answer), True


def render_input(example: Conversation, options: EncodeOptions) -> tuple[list[dict], list[dict] | None]:
    """(messages, tools) as the template renders them: the default system prompt added when it has none."""
    return with_default_system(example.messages, options.default_system), list(example.tools) if example.tools else None


def from_rendered(rendered: Rendered, options: EncodeOptions) -> Encoded:
    """A rendered conversation cut to cutoff_len, with labels on the tokens it trains."""
    ids, mask, truncated = truncate(list(rendered.input_ids), list(rendered.assistant_mask), options.cutoff_len)
    if options.mask_history:
        runs = assistant_runs(mask)
        mask = [0] * len(mask)
        if runs:
            start, end = runs[-1]
            mask[start:end] = [1] * (end - start)
    if options.train_on_prompt:
        labels = list(ids)
    else:
        labels = [tok if bit else IGNORE_INDEX for tok, bit in zip(ids, mask)]
    return Encoded(ids, labels, truncated)
