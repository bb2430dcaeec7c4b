"""The rewards of an online-RL run (stages grpo and ppo), built once from the config and checked before
training: `reward_funcs` (built-ins and the user's `file.py:function`s) then `reward_model`, each with its
weight. Every reward has TRL's signature — prompts, completions, completion_ids and the dataset's columns as
keyword arguments → one float (or None) per completion — so GRPO hands them to TRL as they are and PPO calls
them the same way (`score`)."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import split_names
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError, did_you_mean
from tuneforge.templates.spec import TemplateSpec
from tuneforge.training.rewards import builtin
from tuneforge.training.rewards.user import FIELD, checked_scores, guarded, is_user_reward, load_user_reward


@dataclass(frozen=True)
class Reward:
    name: str
    func: Callable[..., list]
    weight: float = 1.0


@dataclass(frozen=True)
class RewardContext:
    """What the built-ins read: the run's tokenizer and template, its prompt rows (to check up front that what
    a reward needs is there) and its settings."""
    cfg: RunConfig
    tokenizer: Any
    template: TemplateSpec | None
    rows: Sequence[dict]       # the prompt rows: prompt, answer, tools, the data's other columns
    sources: Sequence[Any]     # each row's Origin, for messages


def _accuracy(ctx: RewardContext) -> Callable:
    for row, source in zip(ctx.rows, ctx.sources):
        if row.get("answer") is None:
            raise UserError("the accuracy reward needs a reference answer: the row's output (its final assistant "
                            "turn), or the column dataset_info names as columns.answer", file=source.file,
                            row=source.row, field=FIELD)

    def accuracy(completions, answer, **_):
        return [builtin.accuracy(c, a) for c, a in zip(completions, answer)]
    return accuracy


def _format(ctx: RewardContext) -> Callable:
    try:
        pattern = re.compile(ctx.cfg.rl.reward_format_pattern, re.DOTALL)
    except re.error as exc:
        raise UserError(f"not a regular expression: {exc}", field="reward_format_pattern") from None

    def format(completions, **_):  # noqa: A001 - the reward's public name
        return [builtin.format_match(c, pattern) for c in completions]
    return format


def _length(ctx: RewardContext) -> Callable:
    target = ctx.cfg.rl.reward_length_target

    def length(completion_ids, **_):
        return [builtin.length_penalty(len(ids), target) for ids in completion_ids]
    return length


def _tool_call(ctx: RewardContext) -> Callable:
    template = ctx.template
    if template is None or template.tool_format is None:
        raise UserError(f"the tool_call reward needs a template that writes tool calls (template "
                        f"{template.name if template else 'of the tokenizer'} does not)", field=FIELD)
    if not any(row.get("tools") for row in ctx.rows):
        raise UserError("the tool_call reward needs rows with tools (columns.tools in dataset_info.json); no "
                        "row has any", field=FIELD)
    tokenizer, fmt = ctx.tokenizer, template.tool_format
    stops = [s for s in (*template.stop_words, tokenizer.eos_token) if s]

    def text(ids) -> str:  # keep the format's markers, which may be special tokens decoding would drop
        out = tokenizer.decode(ids, skip_special_tokens=False)
        for stop in stops:
            out = out.split(stop, 1)[0]
        return out

    def tool_call(completion_ids, tools, **_):
        return [builtin.tool_call(text(ids), fmt, builtin.tool_names(t)) for ids, t in zip(completion_ids, tools)]
    return tool_call


BUILTINS: dict[str, Callable[[RewardContext], Callable]] = {
    "accuracy": _accuracy, "format": _format, "length": _length, "tool_call": _tool_call}


def _reward_model(ctx: RewardContext, on_gpu: bool) -> Callable:
    from tuneforge.model.reward import load_reward_model

    model = load_reward_model(ctx.cfg.preference.reward_model, on_gpu=on_gpu)
    if model.tokenizer.get_vocab() != ctx.tokenizer.get_vocab():
        raise UserError("the reward model's tokenizer differs from the policy's; train the reward model on the "
                        "same base (or tokenizer)", field="reward_model")
    tokenizer = ctx.tokenizer

    def reward_model(prompts, completion_ids, **_):
        return model.score_ids([tokenizer(p, add_special_tokens=True)["input_ids"] + list(c)
                                for p, c in zip(prompts, completion_ids)])
    return reward_model


def build_rewards(ctx: RewardContext, on_gpu: bool = False) -> list[Reward]:
    """The run's rewards, every one checked: unknown names, missing files and functions, a built-in whose
    inputs the data lacks, and a probe call on the first row (a function that raises or returns the wrong
    number of rewards) each stop the run here with one line."""
    cfg = ctx.cfg
    funcs: list[Callable] = []
    for name in cfg.rl.reward_names():
        if is_user_reward(name):
            funcs.append(load_user_reward(name))
        elif name in BUILTINS:
            funcs.append(guarded(BUILTINS[name](ctx), name))
        else:
            raise UserError(f"unknown reward {name!r}: the built-ins are {', '.join(BUILTINS)}; your own are "
                            f"given as path/to/file.py:function{did_you_mean(name, list(BUILTINS))}", field=FIELD)
    if cfg.preference.reward_model:
        funcs.append(guarded(_reward_model(ctx, on_gpu), "reward_model"))
    if not funcs:
        raise UserError(f"stage {cfg.finetune.stage} needs a reward: reward_funcs (e.g. accuracy,format or "
                        "path/to/file.py:function) and/or reward_model (a run of stage rm)", field=FIELD)
    weights = [float(w) for w in split_names(cfg.rl.reward_weights)] or [1.0] * len(funcs)
    if len(weights) != len(funcs):
        raise UserError(f"{len(weights)} weights for {len(funcs)} rewards (reward_funcs, then reward_model)",
                        field="reward_weights")
    rewards = [Reward(getattr(f, "__name__", f"reward_{i}"), f, w) for i, (f, w) in enumerate(zip(funcs, weights))]
    _probe(rewards, ctx)
    return rewards


def reward_kwargs(rows: Sequence[dict]) -> dict[str, list]:
    """The dataset columns as TRL hands them to reward functions: one list per column, one item per row."""
    keys = [k for k in rows[0] if k != "prompt"]
    return {key: [row.get(key) for row in rows] for key in keys}


def trl_extras(state: Any) -> dict[str, Any]:
    """The keyword arguments TRL adds for every reward function (so a probe or PPO call matches its calls)."""
    return {"trainer_state": state, "log_extra": lambda *a, **k: None, "log_metric": lambda *a, **k: None}


def _probe(rewards: list[Reward], ctx: RewardContext) -> None:
    row = ctx.rows[0]
    completions = [str(row.get("answer") or ""), "0"]
    batch = dict(prompts=[row["prompt"]] * 2, completions=completions,
                 completion_ids=[ctx.tokenizer(c, add_special_tokens=False)["input_ids"] for c in completions],
                 **reward_kwargs([row, row]), **trl_extras(None))
    for reward in rewards:
        checked_scores(reward.func(**batch), 2, reward.name)


def score(rewards: list[Reward], prompts: list[str], completions: list[str], completion_ids: list[list[int]],
          rows: Sequence[dict], state: Any = None):
    """(per-reward scores [n, k], weighted total [n]) for PPO; a None (no reward) counts as 0."""
    import torch

    per = torch.zeros(len(prompts), len(rewards))
    kwargs = reward_kwargs(rows)
    for k, reward in enumerate(rewards):
        values = reward.func(prompts=prompts, completions=completions, completion_ids=completion_ids, **kwargs,
                             **trl_extras(state))
        per[:, k] = torch.tensor([0.0 if v is None else v for v in values])
    return per, per @ torch.tensor([r.weight for r in rewards])
