"""Issue 7, definition of done 2–5: the previewed command reproduces the button's run; Abort stops a run
within seconds and leaves its last checkpoint usable; a reloaded page reattaches to the running job;
switching language relabels the visible tab."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.webui.ui import choose, fill, open_accordion, wait_text
from tuneforge.core.io import read_yaml


def _fill_run(page, model: Path, output: str, **train_keys) -> None:
    fill(page, "field-model_name_or_path", str(model))
    page.wait_for_function("() => document.querySelector('#field-template input')?.value === 'qwen'")
    choose(page, "field-dataset", "identity")
    fill(page, "field-output_dir", output)
    open_accordion(page, "Training")
    for key, value in train_keys.items():
        fill(page, f"field-{key}", value)
    for key, value in train_keys.items():  # none was reset by a later re-render
        fill(page, f"field-{key}", value)


def test_preview_command_reproduces_the_buttons_run(page, webui, tiny_qwen):
    _, output_root = webui
    _fill_run(page, tiny_qwen, "preview-run", max_steps=3, logging_steps=1)
    page.click("#btn-preview-cmd")
    page.wait_for_function("() => document.querySelector('#preview-command textarea')?.value.startsWith('tuneforge')")
    command = page.locator("#preview-command textarea").input_value()
    page.click("#btn-start")
    wait_text(page, "job-status", "finished", timeout_s=600, fail_on=("failed", "error:"))
    run = output_root / "preview-run"
    from_button = read_yaml(run / "tuneforge_config.yaml")
    run.rename(output_root / "preview-run-button")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(command, shell=True, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_yaml(run / "tuneforge_config.yaml") == from_button
    assert shlex.split(command)[:2] == ["tuneforge", "train"]


def test_abort_stops_quickly_keeps_a_usable_checkpoint_and_reload_reattaches(page, webui, tiny_qwen):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    url, output_root = webui
    _fill_run(page, tiny_qwen, "abort-run", max_steps=100000, save_steps=5, logging_steps=1)
    page.click("#btn-start")
    run = output_root / "abort-run"
    deadline = time.time() + 600
    while not any((p / "trainer_state.json").is_file() for p in run.glob("checkpoint-*")):
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(1)

    page.reload(wait_until="load")  # a reopened page finds the running job again
    wait_text(page, "job-status", "Running", timeout_s=60)
    page.wait_for_function("() => /\\d+\\/100000/.test(document.getElementById('job-status').innerText)",
                           timeout=60_000)

    started = time.time()
    page.click("#btn-abort")
    wait_text(page, "job-status", "aborted", timeout_s=60)
    assert time.time() - started < 20
    deadline = time.time() + 10
    while subprocess.run(["pgrep", "-f", f"output_dir={run}"], capture_output=True).returncode == 0:
        assert time.time() < deadline, "the training process is still alive"
        time.sleep(0.5)
    complete = [p for p in run.glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    last = max(complete, key=lambda p: int(p.name.split("-")[1]))
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_qwen), last)
    assert model.peft_config["default"].r == 8


def test_switching_language_relabels_the_visible_tab(page):
    assert page.locator("#btn-start").inner_text().strip() == "Start"
    choose(page, "lang", "zh")
    page.wait_for_function("() => document.querySelector('#btn-start')?.innerText.trim() === '开始'")
    body = page.locator("#tab-train").inner_text()
    for label in ("中止", "预览命令", "模型路径 (model_name_or_path)", "微调方法 (finetuning_type)", "数据集 (dataset)"):
        assert label in body, label
    for english in ("Preview command", "Abort"):
        assert english not in body, english
    for lang, start, model in (("ru", "Начать", "Путь к модели (model_name_or_path)"),
                               ("ko", "시작", "모델 경로 (model_name_or_path)"),
                               ("ja", "開始", "モデルパス (model_name_or_path)")):
        choose(page, "lang", lang)
        page.wait_for_function("(s) => document.querySelector('#btn-start')?.innerText.trim() === s", arg=start)
        assert model in page.locator("#tab-train").inner_text(), lang
    choose(page, "lang", "en")
    page.wait_for_function("() => document.querySelector('#btn-start')?.innerText.trim() === 'Start'")
