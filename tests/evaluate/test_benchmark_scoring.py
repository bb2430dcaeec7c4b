"""Scores are exactly the fraction of argmax-correct items (predictions recomputed here, one question at a
time, from the model's own logits on hand-built prompts), categories pool their subjects' questions as the
mapping says, and batching or re-running changes nothing."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from tuneforge.cli.main import main
from tuneforge.config.load import load_run_config
from tuneforge.evaluate.benchmarks.loading import load_for_eval
from tuneforge.evaluate.benchmarks.runner import build_prompts, check_eval_config, evaluate_loaded, load_task

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "The following are multiple choice questions (with answers) about {}.\n\n"


def _config(model: Path, **keys):
    return load_run_config({"model_name_or_path": str(model), "task": "mmlu_test", "task_dir": str(FIXTURES),
                            "template": "qwen", "disable_tqdm": True, **keys}, command="eval")


@pytest.fixture(scope="module")
def loaded(tiny_qwen):
    return load_for_eval(_config(tiny_qwen).model)


def _independent_predictions(model, tokenizer) -> dict[str, list[str]]:
    """Zero-shot predictions, one unpadded question at a time, prompt text written here by hand."""
    letters = [tokenizer.convert_tokens_to_ids(x) for x in "ABCD"]
    mapping = json.loads((FIXTURES / "mmlu/mapping.json").read_text())
    out: dict[str, list[str]] = {}
    for subject, info in mapping.items():
        rows = list(csv.reader((FIXTURES / f"mmlu/data/test/{subject}_test.csv").open(newline="")))
        out[subject] = []
        for question, a, b, c, d, _ in rows:
            content = HEADER.format(info["name"]) + f"{question}\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nAnswer:"
            text = tokenizer.apply_chat_template([{"role": "user", "content": content}], tokenize=False,
                                                 add_generation_prompt=True)
            ids = tokenizer(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
            with torch.no_grad():
                logits = model(input_ids=ids).logits[0, -1, letters]
            out[subject].append("ABCD"[int(logits.argmax())])
    return out


def test_scores_are_the_fraction_of_argmax_correct_items(tiny_qwen, tmp_path, capsys, loaded):
    save = tmp_path / "eval"
    assert main(["eval", str(tiny_qwen), "task=mmlu_test", f"task_dir={FIXTURES}", "template=qwen", "--n_shot", "0",
                 "--batch_size", "5", f"save_dir={save}", "disable_tqdm=true"]) == 0
    printed = capsys.readouterr().out
    results = json.loads((save / "results.json").read_text())
    expected = _independent_predictions(*loaded)
    mapping = json.loads((FIXTURES / "mmlu/mapping.json").read_text())
    answers = {s: [r[-1] for r in csv.reader((FIXTURES / f"mmlu/data/test/{s}_test.csv").open())] for s in mapping}
    assert {s: r["predictions"] for s, r in results["subjects"].items()} == expected
    right = {s: sum(p == a for p, a in zip(expected[s], answers[s])) for s in mapping}
    total = sum(len(a) for a in answers.values())
    assert results["counts"]["Average"] == {"correct": sum(right.values()), "total": total}
    assert results["scores"]["Average"] == round(100 * sum(right.values()) / total, 4)
    for category in ("STEM", "Social Sciences", "Humanities", "Other"):
        members = [s for s, info in mapping.items() if info["category"] == category]
        correct, count = sum(right[s] for s in members), sum(len(answers[s]) for s in members)
        assert results["counts"][category] == {"correct": correct, "total": count}
        assert f"{category:>15}: {100 * correct / count:.2f}" in printed
    assert f"        Average: {100 * sum(right.values()) / total:.2f}" in printed
    log = (save / "results.log").read_text()
    for subject in mapping:
        assert f"{subject}: {100 * right[subject] / len(answers[subject]):6.2f}  ({right[subject]}/" in log


def test_category_average_pools_questions_not_subjects(tmp_path, loaded):
    # Two subjects of one category with 3 and 1 questions: pooled accuracy, not the mean of the two.
    import shutil

    root = tmp_path / "quiz"
    shutil.copytree(FIXTURES / "quiz", root)
    (root / "test/colors.csv").write_text("question,A,B,C,D,answer\nQ1?,a,b,c,d,A\nQ2?,a,b,c,d,B\n"
                                          "Q3?,a,b,c,d,C\nQ4?,a,b,c,d,D\n")
    (root / "mapping.json").write_text('{"colors": "Other", "numbers": "Other"}')
    cfg = load_run_config({"model_name_or_path": "m", "task": "quiz_test", "task_dir": str(tmp_path),
                           "template": "qwen", "n_shot": 0, "disable_tqdm": True}, command="eval")
    result = evaluate_loaded(cfg, load_task(_spec(cfg), cfg), *loaded)
    colors, numbers = result.subjects
    assert colors.total == 4 and numbers.total == 3
    assert result.counts()["Other"] == (colors.correct + numbers.correct, 7)
    assert list(result.scores()) == ["Average", "Other"]


def _spec(cfg):
    from tuneforge.evaluate.benchmarks.tasks import resolve_task

    return resolve_task(cfg.evaluate.task, cfg.evaluate.task_dir)


def test_batch_size_1_and_8_give_identical_results(tiny_qwen, loaded):
    cfg1, cfg8 = _config(tiny_qwen, n_shot=3, batch_size=1), _config(tiny_qwen, n_shot=3, batch_size=8)
    task = load_task(check_eval_config(cfg1), cfg1)
    one, eight = evaluate_loaded(cfg1, task, *loaded), evaluate_loaded(cfg8, task, *loaded)
    assert one == eight  # same predictions and answers, subject by subject
    lengths = {len(p) for subject in build_prompts(task, loaded[1], None, "en", 3, 42) for p in subject}
    assert len(lengths) > 1  # prompts of different lengths, so batches of 8 really are padded
    for a, b in zip(one.subjects, eight.subjects):
        assert torch.allclose(torch.tensor(a.logits), torch.tensor(b.logits), atol=1e-4)


def test_shots_are_deterministic_with_seed(tiny_qwen, loaded):
    cfg = _config(tiny_qwen, n_shot=2)
    task = load_task(check_eval_config(cfg), cfg)
    tokenizer = loaded[1]
    first = build_prompts(task, tokenizer, None, "en", 2, seed=42)
    assert build_prompts(task, tokenizer, None, "en", 2, seed=42) == first
    assert build_prompts(task, tokenizer, None, "en", 2, seed=7) != first


def test_fewshot_template_scores_plain_text(tiny_qwen, loaded):
    cfg = _config(tiny_qwen, n_shot=2, template="fewshot", lang="en")
    result = evaluate_loaded(cfg, load_task(check_eval_config(cfg), cfg), *loaded)
    assert [r.total for r in result.subjects] == [3, 3, 3, 3]
    assert all(set(r.predictions) <= set("ABCD") for r in result.subjects)


def test_lora_run_folder_scores_as_its_merged_model(tiny_qwen, tmp_path, capsys):
    # `tuneforge eval saves/run1 --task cmmlu_test --n_shot 5 --lang zh`: base + adapter + template from the run.
    from peft import PeftModel

    import tuneforge
    from tests.conftest import sft_config

    run = tuneforge.train(sft_config(tiny_qwen, tmp_path / "run1", dataset="identity", max_steps=3,
                                     learning_rate=5e-2))
    save = tmp_path / "eval"
    assert main(["eval", str(run.path), "--task", "cmmlu_test", "--n_shot", "5", "--lang", "zh",
                 f"--task_dir={FIXTURES}", f"save_dir={save}", "disable_tqdm=true"]) == 0
    results = json.loads((save / "results.json").read_text())
    assert (results["adapter"], results["template"], results["lang"]) == (str(run.path), "qwen", "zh")
    base, tokenizer = load_for_eval(_config(tiny_qwen).model)
    merged = PeftModel.from_pretrained(base, str(run.path)).merge_and_unload().eval()
    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "task": "cmmlu_test", "task_dir": str(FIXTURES),
                           "template": "qwen", "lang": "zh", "n_shot": 5, "disable_tqdm": True}, command="eval")
    expected = evaluate_loaded(cfg, load_task(check_eval_config(cfg), cfg), merged, tokenizer)
    assert {r.subject.key: list(r.predictions) for r in expected.subjects} == \
           {key: r["predictions"] for key, r in results["subjects"].items()}
