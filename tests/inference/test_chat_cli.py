"""`tuneforge chat` driven through a pseudo-terminal: two turns (the second answered with the first in its
history), `clear` forgets the history, Chinese input works, `exit` ends the session with code 0; a run that
learned a fixed answer gives it with no generation flags at all (its settings follow the run and the model)."""
from __future__ import annotations

import os
import re
import sys

import pytest

import tuneforge
from tests.conftest import sft_config

pexpect = pytest.importorskip("pexpect")

ARGS = ["template=qwen", "do_sample=false", "max_new_tokens=12"]


def _expected(tiny_qwen):
    from tuneforge.inference.engine import Sampling
    from tuneforge.inference.hf import HFEngine

    engine = HFEngine.load(tiny_qwen, template="qwen")
    greedy = Sampling(max_new_tokens=12, do_sample=False)
    first_q, second_q = "Who are you?", "你是谁？"
    first = engine.complete([{"role": "user", "content": first_q}], sampling=greedy)[0].text
    with_history = engine.complete([{"role": "user", "content": first_q}, {"role": "assistant", "content": first},
                                    {"role": "user", "content": second_q}], sampling=greedy)[0].text
    fresh = engine.complete([{"role": "user", "content": second_q}], sampling=greedy)[0].text
    assert with_history != fresh, "the test needs history to change the reply"
    return first_q, second_q, first, with_history, fresh


def _reply(child) -> str:
    child.expect("Assistant: ")
    child.expect(r"\r?\n\r?\nUser: ")
    return child.before.replace("\r\n", "\n")


def test_chat_cli_two_turns_history_and_clear(tiny_qwen):
    first_q, second_q, first, with_history, fresh = _expected(tiny_qwen)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    child = pexpect.spawn(sys.executable, ["-m", "tuneforge.cli.main", "chat", str(tiny_qwen), *ARGS],
                          env=env, encoding="utf-8", codec_errors="replace", timeout=240)
    try:
        child.expect("`clear` forgets")
        child.expect("User: ")
        child.sendline(first_q)
        assert _reply(child) == first.replace("\r\n", "\n")
        child.sendline(second_q)
        assert _reply(child) == with_history.replace("\r\n", "\n")
        child.sendline("clear")
        child.expect("History cleared.")
        child.expect("User: ")
        child.sendline(second_q)
        assert _reply(child) == fresh.replace("\r\n", "\n")
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_chat_cli_bad_source_is_one_line_error(tmp_path):
    child = pexpect.spawn(sys.executable, ["-m", "tuneforge.cli.main", "chat", str(tmp_path / "missing")],
                          encoding="utf-8", timeout=120)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert re.search(r"error: .*missing.* — no such config file or folder", child.before)


@pytest.mark.slow
def test_chat_on_a_trained_run_answers_what_it_learned_by_default(learner_qwen, tmp_path):
    from tuneforge.artifacts.run_dir import inference_keys

    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "identity", dataset="identity", lora_rank=16,
                                     learning_rate=5e-3, num_train_epochs=25, lr_scheduler_type="cosine",
                                     logging_steps=10, max_new_tokens=48))
    keys = inference_keys(run.path)
    assert keys["max_new_tokens"] == 48 and "do_sample" not in keys  # what the run set carries over, only that
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    child = pexpect.spawn(sys.executable, ["-m", "tuneforge.cli.main", "chat", str(run.path)],
                          env=env, encoding="utf-8", codec_errors="replace", timeout=240)
    try:
        child.expect("User: ")
        child.sendline("Who are you?")
        assert _reply(child) == "I am Forge, an AI assistant made by the tuneforge team."
        child.sendline("exit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
