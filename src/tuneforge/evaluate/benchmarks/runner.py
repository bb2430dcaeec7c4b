"""`tuneforge eval`: read the task's questions (every file checked before the model loads), build each
question's few-shot prompt, score the answer letters, report per category and write save_dir.

Shots are drawn from the subject's dev split with a generator seeded by (seed, subject), so results do not
depend on batch size, on subject order, or on anything else that ran in the process.
"""
from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError, UserErrors
from tuneforge.evaluate.benchmarks.hub import load_hub_split
from tuneforge.evaluate.benchmarks.loading import chat_format, load_for_eval
from tuneforge.model.stack import check_adapter_paths
from tuneforge.evaluate.benchmarks.mapping import Subject
from tuneforge.evaluate.benchmarks.prompt import answer_prefix, prompt_ids
from tuneforge.evaluate.benchmarks.readers import LAYOUTS, Question, read_questions
from tuneforge.evaluate.benchmarks.results import BenchmarkResult, SubjectResult, check_save_dir, write_results
from tuneforge.evaluate.benchmarks.scorer import choice_token_ids, score
from tuneforge.evaluate.benchmarks.tasks import TaskSpec, resolve_task, task_root, task_subjects


@dataclass(frozen=True)
class SubjectData:
    subject: Subject
    questions: tuple[Question, ...]
    dev: tuple[Question, ...]


@dataclass(frozen=True)
class TaskData:
    spec: TaskSpec
    subjects: tuple[SubjectData, ...]


def check_eval_config(cfg: RunConfig) -> TaskSpec:
    """Every problem found without reading benchmark files or loading the model, reported together."""
    errors: list[UserError] = []

    def attempt(check: Callable[[], Any]) -> Any:
        try:
            return check()
        except UserError as exc:
            errors.append(exc)
            return None

    spec = attempt(lambda: resolve_task(cfg.evaluate.task, cfg.evaluate.task_dir))
    attempt(lambda: check_save_dir(cfg.evaluate.save_dir))
    attempt(lambda: check_adapter_paths(cfg.model))
    attempt(lambda: chat_format(cfg.data.template))
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)
    return spec


def load_task(spec: TaskSpec, cfg: RunConfig) -> TaskData:
    """Every subject's questions (and dev split when shots are wanted), from task_dir or the hub."""
    task_dir, n_shot = cfg.evaluate.task_dir, cfg.evaluate.n_shot
    root = task_root(spec, task_dir)
    if root is None and spec.hub is None:
        raise UserError("task folder not found", file=f"{task_dir}/{spec.family}", field="task_dir")
    subjects = task_subjects(spec, task_dir)
    layout = LAYOUTS[spec.layout]

    def read(subject: Subject, split: str) -> tuple[Question, ...]:
        if root is not None:
            return tuple(read_questions(layout, root, subject.key, split))
        return tuple(load_hub_split(spec.hub, subject.key, split, cache_dir=cfg.model.cache_dir,
                                    token=cfg.model.hf_hub_token, missing_local=f"{task_dir}/{spec.family}"))

    data = [SubjectData(s, read(s, spec.split), read(s, "dev") if n_shot > 0 else ()) for s in subjects]
    return TaskData(spec, tuple(data))


def build_prompts(task: TaskData, tokenizer: Any, chat: Any, lang: str, n_shot: int,
                  seed: int) -> list[list[list[int]]]:
    """Prompt ids per subject, per question; shots drawn with a generator seeded by (seed, subject)."""
    out = []
    prefix = answer_prefix(chat, tokenizer)
    for item in task.subjects:
        rng = random.Random(f"{seed}:{item.subject.key}")
        k = min(n_shot, len(item.dev))
        out.append([prompt_ids(tokenizer, chat, lang, q, rng.sample(item.dev, k), item.subject.name, prefix)
                    for q in item.questions])
    return out


def evaluate_loaded(cfg: RunConfig, task: TaskData, model: Any, tokenizer: Any) -> BenchmarkResult:
    """Score an already loaded model on an already read task."""
    from tqdm import tqdm

    ev = cfg.evaluate
    chat = chat_format(cfg.data.template)
    prompts = build_prompts(task, tokenizer, chat, ev.lang, ev.n_shot, cfg.train.seed)
    choice_ids = choice_token_ids(tokenizer, answer_prefix(chat, tokenizer))
    total = sum(len(p) for p in prompts)
    results = []
    with tqdm(total=total, desc=f"Evaluating {task.spec.name}", unit="q", file=sys.stderr,
              disable=cfg.train.disable_tqdm) as bar:
        for item, subject_prompts in zip(task.subjects, prompts):
            bar.set_postfix_str(item.subject.key)
            scored = score(model, subject_prompts, choice_ids, batch_size=ev.batch_size,
                           pad_id=tokenizer.pad_token_id, on_batch=bar.update)
            results.append(SubjectResult(item.subject, tuple(s.letter for s in scored),
                                         tuple(q.answer for q in item.questions), tuple(s.logits for s in scored)))
    settings = {"model": cfg.model.model_name_or_path, "adapter": cfg.model.adapter_name_or_path,
                "template": cfg.data.template, "lang": ev.lang, "n_shot": ev.n_shot, "seed": cfg.train.seed}
    return BenchmarkResult(task.spec.name, tuple(results), settings)


def run_benchmark(cfg: RunConfig) -> BenchmarkResult:
    """The whole command: check, read, load, score, write save_dir (if set)."""
    spec = check_eval_config(cfg)
    task = load_task(spec, cfg)
    model, tokenizer = load_for_eval(cfg.model, cfg.data.cutoff_len)
    result = evaluate_loaded(cfg, task, model, tokenizer)
    if cfg.evaluate.save_dir:
        write_results(cfg.evaluate.save_dir, result)
    return result
