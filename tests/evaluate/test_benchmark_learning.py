"""Definition of done 1: on a learnable synthetic multiple-choice task (lookup facts, the right letter spread
evenly over A–D), `tuneforge eval` scores a fine-tuned tiny model ≥ 95% and the untrained one ≈ 25%, on the
same questions written in MMLU layout and in C-Eval layout."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import tuneforge
from tuneforge.cli.main import main
from tuneforge.evaluate.benchmarks.prompt import fewshot_messages
from tuneforge.evaluate.benchmarks.readers import Question

# Single tokens in the learner's tokenizer, so each fact hangs on one token the model must attend to.
KEYS = ["banana", "black", "blue", "brown", "city", "coal", "grass", "green", "grey", "indigo", "journey", "lazy",
        "maths", "miles", "orange", "pink", "quick", "ripe", "snow", "sunny", "team", "tomato", "tutor", "violet",
        "weather", "white", "yellow", "model", "token", "chat", "data", "text"]
DIRECTIONS = ("north", "south", "east", "west")


def _facts() -> list[Question]:
    return [Question(f"Where does the {key} road go?", DIRECTIONS, "ABCD"[i % 4], "synthetic")
            for i, key in enumerate(KEYS)]


def _write_task(root: Path, facts: list[Question]) -> None:
    mapping = json.dumps({"roads": {"name": "roads", "category": "Other"}})
    mmlu = root / "mmlu" / "data" / "test"
    mmlu.mkdir(parents=True)
    with (mmlu / "roads_test.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([q.question, *q.choices, q.answer] for q in facts)  # no header
    (root / "mmlu" / "mapping.json").write_text(mapping)
    ceval = root / "ceval" / "val"
    ceval.mkdir(parents=True)
    with (ceval / "roads_val.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "question", "A", "B", "C", "D", "answer"])
        writer.writerows([i, q.question, *q.choices, q.answer] for i, q in enumerate(facts))
    (root / "ceval" / "mapping.json").write_text(mapping)


def _write_train_data(folder: Path, facts: list[Question]) -> None:
    folder.mkdir()
    rows = [{"messages": fewshot_messages("en", q, [], "roads") + [{"role": "assistant", "content": q.answer}]}
            for q in facts]
    (folder / "roads.json").write_text(json.dumps(rows))
    (folder / "dataset_info.json").write_text(json.dumps({"roads": {
        "file_name": "roads.json", "formatting": "sharegpt", "columns": {"messages": "messages"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}}))


def _accuracy(argv: list[str], save: Path) -> float:
    assert main(["eval", *argv, "n_shot=0", "lang=en", "batch_size=8", f"save_dir={save}", "disable_tqdm=true"]) == 0
    return json.loads((save / "results.json").read_text())["scores"]["Average"] / 100


@pytest.mark.slow
def test_fine_tuned_model_aces_the_task_untrained_is_at_chance(learner_qwen, tmp_path):
    facts = _facts()
    assert [sum(q.answer == x for q in facts) for x in "ABCD"] == [8, 8, 8, 8]
    tasks = tmp_path / "tasks"
    _write_task(tasks, facts)
    _write_train_data(tmp_path / "data", facts)
    untrained = _accuracy([str(learner_qwen), "template=chatml", "task=mmlu_test", f"task_dir={tasks}"],
                          tmp_path / "eval_untrained")
    # Full fine-tuning learns a hidden-256 model's lookup table fastest; chatml (no default system prompt)
    # keeps the prompts at ~82 tokens.
    run = tuneforge.train({
        "model_name_or_path": str(learner_qwen), "stage": "sft", "finetuning_type": "full", "template": "chatml",
        "dataset": "roads", "dataset_dir": str(tmp_path / "data"), "cutoff_len": 128,
        "output_dir": str(tmp_path / "run"), "per_device_train_batch_size": 8, "learning_rate": 1e-3,
        "num_train_epochs": 25, "lr_scheduler_type": "constant", "logging_steps": 10, "save_steps": 10000,
        "seed": 0, "disable_tqdm": True})
    mmlu = _accuracy([str(run.path), "task=mmlu_test", f"task_dir={tasks}"], tmp_path / "eval_mmlu")
    ceval = _accuracy([str(run.path), "task=ceval_validation", f"task_dir={tasks}"], tmp_path / "eval_ceval")
    assert untrained <= 0.5, f"untrained model scored {untrained:.0%}, far above chance"
    assert mmlu >= 0.95 and ceval >= 0.95, (mmlu, ceval)
