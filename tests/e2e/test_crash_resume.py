"""Nothing lost on a crash: `tuneforge train` killed with SIGKILL mid-step, mid-save and mid-rotation, or
stopped with Ctrl-C, and then run again with the same command, ends with the same weights as a run that was
never interrupted. Each run is a real `tuneforge train` process; kills are real SIGKILLs, sent from here when
the window is wide (a step, a checkpoint being written) and by the process itself at a named failpoint when
it is a few milliseconds wide (between flush and rename, between renaming and deleting an old checkpoint)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import DATA_DIR
from tests.e2e.helpers import full_weights
from tuneforge.artifacts.checkpoints import checkpoint_step, last_checkpoint

pytestmark = pytest.mark.slow
STEPS, SAVE_EVERY = 12, 4


def _config(model: Path, out: Path, **overrides) -> dict:
    return {"model_name_or_path": str(model), "stage": "sft", "finetuning_type": "full", "dataset": "identity",
            "dataset_dir": str(DATA_DIR), "template": "qwen", "cutoff_len": 128, "output_dir": str(out),
            "per_device_train_batch_size": 4, "learning_rate": 1e-3, "lr_scheduler_type": "cosine",
            "warmup_steps": 2, "max_steps": STEPS, "save_steps": SAVE_EVERY, "logging_steps": 1, "seed": 3,
            "disable_tqdm": True, **overrides}


def _write(tmp_path: Path, name: str, config: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _start(config: Path, log: Path, failpoint: str | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("TUNEFORGE_FAILPOINT", None)
    if failpoint:
        env["TUNEFORGE_FAILPOINT"] = failpoint
    return subprocess.Popen([sys.executable, "-m", "tuneforge.cli.main", "train", str(config)],
                            stdout=log.open("a"), stderr=subprocess.STDOUT, env=env)


def _run(config: Path, log: Path, failpoint: str | None = None) -> int:
    return _start(config, log, failpoint).wait(timeout=600)


def _logged_steps(out: Path) -> int:
    path = out / "trainer_log.jsonl"
    if not path.is_file():
        return 0
    steps = [json.loads(line)["current_steps"] for line in path.read_text().splitlines() if line.endswith("}")]
    return max(steps, default=0)


def _kill_when(proc: subprocess.Popen, ready, what: str) -> None:
    """SIGKILL the moment `ready()` holds (polled every half millisecond)."""
    deadline = time.time() + 600
    while not ready():
        if proc.poll() is not None:
            pytest.fail(f"the run ended (code {proc.returncode}) before {what}")
        if time.time() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.0005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def _assert_same_weights(reference: Path, resumed: Path) -> None:
    a, b = full_weights(reference), full_weights(resumed)
    assert a.keys() == b.keys()
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst <= 1e-5, f"resumed run differs from the uninterrupted one by {worst}"


@pytest.fixture(scope="module")
def reference(tiny_qwen, tmp_path_factory) -> Path:
    """The uninterrupted run every crashed-and-resumed run must end equal to."""
    tmp = tmp_path_factory.mktemp("reference")
    out = tmp / "out"
    assert _run(_write(tmp, "reference", _config(tiny_qwen, out)), tmp / "log") == 0
    return out


def _finish_and_compare(config: Path, log: Path, reference: Path, out: Path) -> str:
    """Run the same command again; it must finish and end with the reference's weights. Returns its log."""
    before = log.read_text() if log.exists() else ""
    assert _run(config, log) == 0, log.read_text()[-3000:]
    _assert_same_weights(reference, out)
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "leftover staging folders"
    return log.read_text()[len(before):]


def test_sigkill_mid_step_resumes_from_the_newest_checkpoint(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out))
    proc = _start(config, log)
    _kill_when(proc, lambda: _logged_steps(out) >= SAVE_EVERY + 2, "step 6 was logged")
    assert (out / "checkpoint-4" / "trainer_state.json").is_file()
    second = _finish_and_compare(config, log, reference, out)
    assert "resuming from" in second and "checkpoint-4" in second
    # The steps the crash lost are logged once, by the resumed run.
    steps = [json.loads(line)["current_steps"] for line in (out / "trainer_log.jsonl").read_text().splitlines()
             if "loss" in json.loads(line)]
    assert steps == list(range(1, STEPS + 1))


def test_sigkill_before_the_first_checkpoint_starts_the_same_run_again(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out))
    proc = _start(config, log)
    _kill_when(proc, lambda: _logged_steps(out) >= 2, "step 2 was logged")
    assert not list(out.glob("checkpoint-*"))
    second = _finish_and_compare(config, log, reference, out)
    assert "starting again from step 0" in second


def test_sigkill_while_a_checkpoint_is_written(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out))
    proc = _start(config, log)
    staging = out / ".tmp-checkpoint-8"
    _kill_when(proc, staging.exists, "checkpoint-8 started to be written")
    assert staging.is_dir() and not (out / "checkpoint-8").exists(), "the kill landed after the save"
    second = _finish_and_compare(config, log, reference, out)
    assert "removed 1 incomplete checkpoint folder" in second and ".tmp-checkpoint-8" in second
    assert "checkpoint-4" in second


def test_sigkill_between_flush_and_rename(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out))
    assert _run(config, log, failpoint="checkpoint.publish") == -signal.SIGKILL
    # The first save died with all its files flushed but not yet published: nothing is visible.
    assert not list(out.glob("checkpoint-*")) and (out / ".tmp-checkpoint-4").is_dir()
    second = _finish_and_compare(config, log, reference, out)
    assert "starting again from step 0" in second


def test_sigkill_during_rotation_keeps_the_newest_complete_checkpoint(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out, save_total_limit=1))
    assert _run(config, log, failpoint="checkpoint.retire") == -signal.SIGKILL
    # checkpoint-8 was published, then checkpoint-4 renamed away but not yet deleted.
    assert (out / "checkpoint-8" / "trainer_state.json").is_file()
    assert (out / ".deleting-checkpoint-4").is_dir() and not (out / "checkpoint-4").exists()
    second = _finish_and_compare(config, log, reference, out)
    assert "checkpoint-8" in second and ".deleting-checkpoint-4" in second
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-12"]


def test_ctrl_c_saves_a_checkpoint_and_the_same_command_resumes(tiny_qwen, reference, tmp_path):
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out))
    proc = _start(config, log)
    deadline = time.time() + 600
    while _logged_steps(out) < SAVE_EVERY + 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=300) == 130
    first = log.read_text()
    stopped = int(re.search(r"stopped by SIGINT: saved \S+ at step (\d+) of", first).group(1))
    assert SAVE_EVERY < stopped < STEPS
    assert (out / f"checkpoint-{stopped}" / "trainer_state.json").is_file()
    # The message names the checkpoint just saved: the run resumes from it and loses nothing.
    assert f"stopped by SIGINT: saved {out / f'checkpoint-{stopped}'} at step {stopped} of {STEPS}; nothing lost" \
        in first
    assert f"to resume, run the same command again: tuneforge train {config}" in first
    assert "Traceback" not in first
    assert not json.loads((out / "tuneforge_run.json").read_text())["finished"]
    second = _finish_and_compare(config, log, reference, out)
    assert f"checkpoint-{stopped}" in second


@pytest.mark.parametrize("save_steps", [2, 1000], ids=["after-a-checkpoint", "before-any-checkpoint"])
def test_a_second_ctrl_c_aborts_and_says_what_is_lost(tiny_qwen, tmp_path, save_steps):
    # One example per micro-batch and 8 of them per optimizer step: a step long enough that the second Ctrl-C,
    # sent once the first one's warning is logged, lands inside it (or inside the save after it).
    out, log = tmp_path / "out", tmp_path / "log"
    config = _write(tmp_path, "run", _config(tiny_qwen, out, per_device_train_batch_size=1, max_steps=6,
                                             gradient_accumulation_steps=8, save_steps=save_steps))
    proc = _start(config, log)
    deadline = time.time() + 600
    while _logged_steps(out) < 3 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    while "finishing this step" not in log.read_text() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=300) == 130
    first = log.read_text()
    assert "Traceback" not in first and f"to resume, run the same command again: tuneforge train {config}" in first
    newest = last_checkpoint(out)
    if save_steps == 1000:
        aborted = re.search(r"aborted without saving at step (\d+) of 6; no checkpoint yet, so running it again "
                            r"starts from step 0 \((\d+) steps? lost\)", first)
        assert aborted and newest is None and aborted.group(1) == aborted.group(2), first[-2000:]
    else:
        aborted = re.search(r"aborted without saving at step (\d+) of 6; the newest checkpoint is (\S+): the "
                            r"(\d+) steps? since it are lost", first)
        assert aborted, first[-2000:]
        step, named, lost = int(aborted.group(1)), Path(aborted.group(2)), int(aborted.group(3))
        assert named == newest and step >= _logged_steps(out) >= 3
        assert lost == step - checkpoint_step(newest) > 0   # nothing was saved at the step it aborted in
    before = len(first)
    assert _run(config, log) == 0, log.read_text()[-3000:]
    second = log.read_text()[before:]
    assert (f"resuming from {newest}" if newest else "starting again from step 0") in second


def test_a_folder_that_is_not_this_run_is_still_refused(tiny_qwen, tmp_path):
    log = tmp_path / "log"
    unrelated = tmp_path / "unrelated"
    unrelated.mkdir()
    (unrelated / "notes.txt").write_text("mine")
    assert _run(_write(tmp_path, "a", _config(tiny_qwen, unrelated)), log) == 2
    assert "has no checkpoint to resume from" in log.read_text()
    assert (unrelated / "notes.txt").read_text() == "mine"

    # A crashed run of another config (no checkpoint yet) is not restarted under a different config.
    other = tmp_path / "other"
    other.mkdir()
    (other / "tuneforge_config.yaml").write_text(yaml.safe_dump(_config(tiny_qwen, other, learning_rate=0.5)))
    (other / "tuneforge_run.json").write_text(json.dumps({"finished": False}))
    (other / ".tmp-checkpoint-4").mkdir()
    assert _run(_write(tmp_path, "b", _config(tiny_qwen, other)), log) == 2
    assert (other / ".tmp-checkpoint-4").is_dir(), "a refused folder is left untouched"

    finished = tmp_path / "finished"
    finished.mkdir()
    (finished / "tuneforge_run.json").write_text(json.dumps({"finished": True}))
    assert _run(_write(tmp_path, "c", _config(tiny_qwen, finished)), log) == 2
    assert "already holds a finished run" in log.read_text()
