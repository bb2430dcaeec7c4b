"""What the online-RL stages (grpo, ppo) share: their prompt rows — each prompt rendered with the run's
template exactly as chat renders it, as text that the tokenizer gives back as the same ids (TRL tokenizes
prompt text itself) — and their rewards, all checked before the model loads."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.data.example import Prompt
from tuneforge.templates.render import jinja_variables, render_prompt, render_text, with_default_system
from tuneforge.training.prepare import Inputs
from tuneforge.training.rewards import Reward, RewardContext, build_rewards
from tuneforge.training.stages.common import load_stage_inputs

log = get_logger()
RESERVED = ("prompt", "completions", "completion_ids", "prompts", "trainer_state", "log_extra", "log_metric")
# How rollouts sample where the generation group leaves a key unset: from the policy's own distribution, which
# the policy-gradient estimate assumes (TRL's GRPO defaults; a model's generation_config.json does not apply).
ROLLOUT_SAMPLING = {"temperature": 1.0, "top_p": 1.0, "top_k": 0, "repetition_penalty": 1.0}


def rollout_sampling(cfg: RunConfig) -> dict:
    """The sampling keys of the generation group where the user set them, ROLLOUT_SAMPLING's otherwise."""
    gen = cfg.generation
    return {key: default if getattr(gen, key) is None else getattr(gen, key)
            for key, default in ROLLOUT_SAMPLING.items()}


@dataclass(frozen=True)
class OnlineInputs:
    inputs: Inputs
    rows: list[dict]          # prompt (text), answer, tools (JSON text or None), the data's other columns
    prompt_ids: list[list[int]]
    rewards: list[Reward]


def _tokenizer_prefix(tokenizer) -> str:
    """The text of what the tokenizer adds in front of any text it encodes (a BOS), which the rendered
    prompt already holds: stripped, so that tokenizing the prompt text adds it back once."""
    added = tokenizer("", add_special_tokens=True)["input_ids"]
    return tokenizer.decode(added) if added else ""


def _row(example: Prompt, text: str) -> dict:
    clash = [name for name in example.columns if name in RESERVED or name in ("answer", "tools")]
    if clash:
        hint = (' (to make it the reference answer, name it in dataset_info.json: "columns": {"answer": '
                '"answer"})' if clash[0] == "answer" else "")
        raise UserError(f"column {clash[0]!r} clashes with a name reward functions receive; rename it{hint}",
                        file=example.source.file, row=example.source.row, field=clash[0])
    return {"prompt": text, "answer": example.reference,
            "tools": json.dumps(list(example.tools), ensure_ascii=False) if example.tools else None,
            **example.columns}


def prompt_rows(cfg: RunConfig, inputs: Inputs) -> tuple[list[dict], list[list[int]], list]:
    tokenizer, template = inputs.tokenizer, inputs.template
    variables = jinja_variables(template, cfg.model.enable_thinking)
    prefix = _tokenizer_prefix(tokenizer)
    rows, ids_list, sources, too_long = [], [], [], 0
    for example in inputs.train:
        messages = with_default_system(example.messages, inputs.options.default_system)
        tools = list(example.tools) if example.tools else None
        try:
            ids = render_prompt(tokenizer, messages, template=template, tools=tools, template_kwargs=variables)
            text = render_text(tokenizer, messages, template=template, tools=tools, add_generation_prompt=True,
                               template_kwargs=variables)
        except UserError as exc:
            raise example.source.locate(exc) from None
        if len(ids) > inputs.options.cutoff_len:
            too_long += 1
            continue
        if prefix and text.startswith(prefix):
            text = text[len(prefix):]
        if tokenizer(text, add_special_tokens=True)["input_ids"] != ids:
            raise UserError("this tokenizer does not encode the rendered prompt text back to the prompt's tokens, "
                            "which TRL's trainer needs; use another template or tokenizer",
                            file=example.source.file, row=example.source.row, field="template")
        rows.append(_row(example, text))
        ids_list.append(ids)
        sources.append(example.source)
    if too_long:
        log.warning("%d of %d prompts are longer than cutoff_len (%d tokens) and are left out", too_long,
                    len(inputs.train), inputs.options.cutoff_len)
    if not rows:
        raise UserError(f"every prompt is longer than cutoff_len ({inputs.options.cutoff_len} tokens)",
                        field="cutoff_len")
    names = dict.fromkeys(name for row in rows for name in row)  # datasets may bring different columns
    return [{name: row.get(name) for name in names} for row in rows], ids_list, sources


def rows_dataset(rows: list[dict]):
    """The prompt rows as the datasets.Dataset the trainers read."""
    import pyarrow as pa
    from datasets import Dataset

    try:
        return Dataset.from_list(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise UserError(f"a column of the prompt rows holds values of different types ({exc}); give each column "
                        "one type across rows", field="dataset") from None


def load_online_inputs(cfg: RunConfig, on_gpu: bool) -> OnlineInputs:
    """Data, template, tokenizer, prompt rows and rewards, every user error raised before the policy loads."""
    inputs = load_stage_inputs(cfg)
    if inputs.eval:
        raise UserError(f"stage {cfg.finetune.stage} does not evaluate on held-out prompts yet; leave out "
                        "eval_dataset / val_size", field="eval_dataset" if cfg.data.eval_dataset else "val_size")
    rows, ids, sources = prompt_rows(cfg, inputs)
    rewards = build_rewards(RewardContext(cfg, inputs.tokenizer, inputs.template, rows, sources), on_gpu=on_gpu)
    return OnlineInputs(inputs, rows, ids, rewards)


class CompletionSamples:
    """completions.jsonl: a few of the latest sampled completions with each reward's score, written every
    `every` log events, so a run's answers can be read while it trains. It sees them by wrapping the
    rewards (the one place both GRPO and PPO hand every completion through)."""

    def __init__(self, out, every: int, resuming: bool, keep: int = 4) -> None:
        self.path = Path(out) / "completions.jsonl"
        self.every, self.keep, self.logs = every, keep, 0
        self.batch: dict = {}
        if not resuming:
            self.path.unlink(missing_ok=True)

    def wrap(self, reward: Reward) -> Reward:
        @functools.wraps(reward.func)
        def func(*args, **kwargs):
            scores = reward.func(*args, **kwargs)
            self.batch.update(prompts=kwargs["prompts"], completions=kwargs["completions"])
            self.batch.setdefault("rewards", {})[reward.name] = scores
            return scores
        return Reward(reward.name, func, reward.weight)

    def callback(self) -> TrainerCallback:
        samples = self

        class WriteSamples(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                samples.logs += 1
                if state.is_world_process_zero and samples.every and samples.logs % samples.every == 0:
                    samples.write(state.global_step)
        return WriteSamples()

    def write(self, step: int) -> None:
        batch = self.batch
        if not batch.get("completions"):
            return
        with self.path.open("a", encoding="utf-8") as handle:
            for i in range(min(self.keep, len(batch["completions"]))):
                handle.write(json.dumps({"step": step, "prompt": batch["prompts"][i],
                                         "completion": batch["completions"][i],
                                         "rewards": {k: v[i] for k, v in batch["rewards"].items()}},
                                        ensure_ascii=False) + "\n")
