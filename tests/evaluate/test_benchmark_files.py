"""Benchmark files: the hand-written sample of each public layout reads into the expected questions, the
packaged subject mappings match the benchmarks, and every bad input is one line naming file and row."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from tuneforge.cli.main import main
from tuneforge.config.load import load_run_config
from tuneforge.core.errors import UserError
from tuneforge.evaluate.benchmarks.hub import hub_row
from tuneforge.evaluate.benchmarks.mapping import CATEGORIES, packaged_mapping
from tuneforge.evaluate.benchmarks.readers import LAYOUTS, Question, read_questions
from tuneforge.evaluate.benchmarks.runner import load_task
from tuneforge.evaluate.benchmarks.tasks import TASKS, resolve_task, task_root

FIXTURES = Path(__file__).parent / "fixtures"


def _task(task: str, task_dir: Path = FIXTURES, n_shot: int = 5, model: str = "unused"):
    cfg = load_run_config({"model_name_or_path": model, "task": task, "task_dir": str(task_dir),
                           "n_shot": n_shot}, command="eval")
    return load_task(resolve_task(task, str(task_dir)), cfg)


def test_mmlu_layout_reads_every_subject_with_dev_shots():
    task = _task("mmlu_test")
    assert [s.subject.key for s in task.subjects] == ["abstract_algebra", "high_school_geography", "philosophy",
                                                      "nutrition"]
    philosophy = task.subjects[2]
    assert [len(s.questions) for s in task.subjects] == [3, 3, 3, 3]
    assert all(len(s.dev) == 5 for s in task.subjects)
    last = philosophy.questions[2]
    assert last.as_dict() == {"question": "Which school held that virtue is the only good?", "A": "the Epicureans",
                              "B": "the Stoics", "C": "the Cynics, partly", "D": "the Sophists", "answer": "B"}
    assert last.source.endswith("mmlu/data/test/philosophy_test.csv:3")
    assert philosophy.subject.name == "philosophy" and philosophy.subject.category == "Humanities"
    assert [len(s.questions) for s in _task("mmlu_validation").subjects] == [2, 2, 2, 2]


def test_cmmlu_layout_uses_header_and_skips_the_index_column():
    task = _task("cmmlu_test")
    history = task.subjects[1]
    assert history.subject.name == "中国历史" and history.subject.category == "Humanities"
    assert history.questions[0] == Question("孔子是哪个学派的创始人？", ("儒家", "道家", "法家", "墨家"), "A",
                                            history.questions[0].source)
    assert history.questions[0].source.endswith("cmmlu/test/chinese_history.csv:2")  # line 1 is the header


def test_ceval_layout_reads_val_with_and_dev_with_explanations():
    task = _task("ceval_validation")
    network = task.subjects[0]
    assert network.subject.name == "计算机网络"
    assert [q.answer for q in network.questions] == ["A", "B", "A"]
    assert network.dev[0].question == "HTTP 默认使用哪个端口？" and network.dev[0].answer == "B"


def test_custom_task_reads_csv_and_jsonl_with_the_users_mapping():
    task = _task("quiz_test", n_shot=1)
    colors, numbers = task.subjects
    assert (colors.subject.name, colors.subject.category) == ("colors", "Other")
    assert (numbers.subject.name, numbers.subject.category) == ("small numbers", "STEM")
    assert [q.answer for q in colors.questions] == ["C", "D", "A"]
    assert numbers.questions[0].question == "What is 10 - 7?" and numbers.questions[0].source.endswith(
        "quiz/test/numbers.jsonl:1")
    assert len(numbers.dev) == 2


def test_zip_archive_as_llamafactory_ships_it(tmp_path):
    folder = tmp_path / "tasks" / "ceval"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "ceval.zip", "w") as archive:
        for path in sorted((FIXTURES / "ceval").rglob("*.csv")):
            archive.write(path, str(path.relative_to(FIXTURES / "ceval")))
    shutil.copy(FIXTURES / "ceval" / "mapping.json", folder / "mapping.json")
    from_zip = _task("ceval_validation", tmp_path / "tasks")
    plain = _task("ceval_validation")
    assert [[q.as_dict() for q in s.questions] for s in from_zip.subjects] == \
           [[q.as_dict() for q in s.questions] for s in plain.subjects]
    assert isinstance(task_root(TASKS["ceval_validation"], str(tmp_path / "tasks")), zipfile.Path)


@pytest.mark.parametrize("family,count", [("mmlu", 57), ("cmmlu", 67), ("ceval", 52)])
def test_packaged_mappings_cover_each_benchmark(family, count):
    subjects = packaged_mapping(family)
    assert len(subjects) == len({s.key for s in subjects}) == count
    assert {s.category for s in subjects} == set(CATEGORIES)
    by_key = {s.key: s for s in subjects}
    expected = {"mmlu": ("high_school_physics", "high school physics", "STEM"),
                "cmmlu": ("ancient_chinese", "古汉语", "Social Sciences"),
                "ceval": ("legal_professional", "法律职业资格", "Humanities")}[family]
    assert (by_key[expected[0]].name, by_key[expected[0]].category) == expected[1:]


def test_packaged_mapping_requires_every_subject_file(tmp_path):
    # No mapping.json in the folder: all 57 MMLU subjects are expected; the first absent one is named.
    (tmp_path / "mmlu" / "data" / "test").mkdir(parents=True)
    shutil.copy(FIXTURES / "mmlu/data/test/abstract_algebra_test.csv", tmp_path / "mmlu/data/test")
    with pytest.raises(UserError) as err:
        _task("mmlu_test", tmp_path, n_shot=0)
    assert err.value.file.endswith("mmlu/data/test/anatomy_test.csv") and "anatomy" in err.value.message


def test_hub_rows_of_each_schema_become_questions():
    mmlu = hub_row({"question": "Q?", "subject": "x", "choices": ["a", "b", "c", "d"], "answer": 2}, "cais", 1)
    ceval = hub_row({"id": 0, "question": "Q?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "C",
                     "explanation": ""}, "ceval", 1)
    cmmlu = hub_row({"Question": "Q?", "A": "a", "B": "b", "C": "c", "D": "d", "Answer": "C"}, "cmmlu", 1)
    assert mmlu.as_dict() == ceval.as_dict() == cmmlu.as_dict() == {
        "question": "Q?", "A": "a", "B": "b", "C": "c", "D": "d", "answer": "C"}


# ---- one-line errors naming file and row -------------------------------------------------------------------

def _copy(tmp_path: Path, family: str) -> Path:
    shutil.copytree(FIXTURES / family, tmp_path / family)
    return tmp_path


@pytest.mark.parametrize("layout,file,content,row,message", [
    ("mmlu", "mmlu/data/test/philosophy_test.csv", "Q1?,a,b,c,d,A\nQ2?,a,b,c,A\n", 2, "expected 6 columns"),
    ("mmlu", "mmlu/data/test/philosophy_test.csv", "Q1?,a,b,c,d,A\n\nQ3?,a,b,c,d,E\n", 3,
     "answer must be one of A, B, C, D, got 'E'"),
    ("mmlu", "mmlu/data/test/philosophy_test.csv", 'Q1?,a,b,c,d,A\n"multi\nline",a,b,c,d,B\n,a,b,c,d,C\n', 4,
     "question is empty"),
    ("cmmlu", "cmmlu/test/agronomy.csv", ",Question,A,B,C,D,Answer\n0,Q?,a,b,c,d,A\n1,Q?,a,b,c,d\n", 3,
     "expected 7 columns like the header, got 6"),
    ("cmmlu", "cmmlu/test/agronomy.csv", ",Question,A,B,C,Answer\n0,Q?,a,b,c,A\n", 1, "header lacks column(s) D"),
    ("ceval", "ceval/val/law_val.csv", "id,question,A,B,C,D\n0,Q?,a,b,c,d\n", 1, "has no answer column"),
])
def test_malformed_rows_name_file_and_row(tmp_path, layout, file, content, row, message):
    task_dir = _copy(tmp_path, layout)
    (task_dir / file).write_text(content, encoding="utf-8")
    task = {"mmlu": "mmlu_test", "cmmlu": "cmmlu_test", "ceval": "ceval_validation"}[layout]
    with pytest.raises(UserError) as err:
        _task(task, task_dir)
    assert (Path(err.value.file), err.value.row) == (task_dir / file, row)
    assert message in err.value.message


def test_jsonl_rows_are_checked_too(tmp_path):
    task_dir = _copy(tmp_path, "quiz")
    (task_dir / "quiz/test/numbers.jsonl").write_text('{"question": "Q", "A": 1, "B": 2, "C": 3, "D": 4, '
                                                      '"answer": "B"}\n{"question": "Q", "A": 1}\n')
    with pytest.raises(UserError) as err:
        _task("quiz_test", task_dir)
    assert err.value.row == 2 and "missing key(s) b, c, d, answer" in err.value.message


def test_missing_subject_and_dev_files_are_named(tmp_path):
    task_dir = _copy(tmp_path, "ceval")
    (task_dir / "ceval/dev/law_dev.csv").unlink()
    assert len(_task("ceval_validation", task_dir, n_shot=0).subjects) == 2  # no shots: dev not needed
    with pytest.raises(UserError) as err:
        _task("ceval_validation", task_dir, n_shot=1)
    assert err.value.file == str(task_dir / "ceval/dev/law_dev.csv")
    assert "missing file for subject 'law' (dev split)" in err.value.message


def _cli_error(capsys, *argv: str) -> str:
    assert main(["eval", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err
    return err


def test_cli_errors_are_one_line_before_the_model_loads(tmp_path, capsys, tiny_qwen, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = str(tiny_qwen)
    err = _cli_error(capsys, model, "task=mmlu_test", f"task_dir={tmp_path / 'nowhere'}")
    assert "no local copy of the benchmark" in err and "hub is offline" in err
    err = _cli_error(capsys, model, "task=myquiz_test", f"task_dir={tmp_path}")
    assert f"{tmp_path / 'myquiz'}: task — unknown task 'myquiz_test'" in err
    err = _cli_error(capsys, model, "task=mmlu_tset", f"task_dir={FIXTURES}")
    assert "did you mean 'mmlu_test'" in err
    err = _cli_error(capsys, model, "task=mmlu_test", f"task_dir={FIXTURES}", f"save_dir={tmp_path}")
    assert f"{tmp_path}: save_dir — already exists" in err
    bad = _copy(tmp_path, "quiz")
    (bad / "quiz/mapping.json").unlink()
    err = _cli_error(capsys, model, "task=quiz_test", f"task_dir={bad}")
    assert "quiz/mapping.json" in err and "needs a mapping.json" in err
    (bad / "quiz/mapping.json").write_text('{"colors": {"name": "colours"}}')
    err = _cli_error(capsys, model, "task=quiz_test", f"task_dir={bad}")
    assert "quiz/mapping.json: colors — expected" in err


def test_layout_table_matches_the_public_file_names():
    root = FIXTURES / "ceval"
    assert LAYOUTS["ceval"].path(root, "law", "val") == root / "val" / "law_val.csv"
    assert LAYOUTS["cmmlu"].path(FIXTURES / "cmmlu", "arts", "dev") == FIXTURES / "cmmlu" / "dev" / "arts.csv"
    assert LAYOUTS["mmlu"].path(FIXTURES / "mmlu", "x", "dev") == FIXTURES / "mmlu" / "data" / "dev" / "x_dev.csv"
    assert read_questions(LAYOUTS["mmlu"], FIXTURES / "mmlu", "nutrition", "val")[0].answer == "A"
