"""The checkpoint folder rules on their own (the crash tests in tests/e2e/test_crash_resume.py kill real runs):
publish by rename, rotation by rename-then-delete, leftovers recognised, and which folders a re-run resumes,
restarts or refuses."""
from __future__ import annotations

import json

import pytest
import yaml

from tuneforge.artifacts.checkpoints import (last_checkpoint, partial_checkpoints, publish, remove_partial_checkpoints,
                                             rotate, staging_root)
from tuneforge.artifacts.run_dir import CONFIG_FILE, RUN_FILE, prepare_output_dir
from tuneforge.core.errors import UserError


def _checkpoint(folder, step: int, complete: bool = True):
    path = folder / f"checkpoint-{step}"
    path.mkdir(parents=True)
    (path / "model.safetensors").write_bytes(b"w" * 10)
    if complete:
        (path / "trainer_state.json").write_text("{}")
    return path


def test_publish_renames_the_staged_checkpoint_into_place(tmp_path):
    staged = _checkpoint(staging_root(tmp_path, 5), 5)
    assert last_checkpoint(tmp_path) is None  # staged: invisible
    final = publish(staged, tmp_path)
    assert final == tmp_path / "checkpoint-5" and (final / "model.safetensors").read_bytes() == b"w" * 10
    assert not staging_root(tmp_path, 5).exists()
    assert last_checkpoint(tmp_path) == final


def test_publish_replaces_a_checkpoint_of_the_same_step(tmp_path):
    old = _checkpoint(tmp_path, 5)
    (old / "model.safetensors").write_bytes(b"old")
    publish(_checkpoint(staging_root(tmp_path, 5), 5), tmp_path)
    assert (tmp_path / "checkpoint-5" / "model.safetensors").read_bytes() == b"w" * 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-5"]


def test_rotate_keeps_the_newest_and_the_best(tmp_path):
    for step in (2, 4, 6, 8):
        _checkpoint(tmp_path, step)
    rotate(tmp_path, 2, keep=tmp_path / "checkpoint-2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-2", "checkpoint-8"]
    rotate(tmp_path, 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-8"]
    rotate(tmp_path, None)
    assert (tmp_path / "checkpoint-8").is_dir()


def test_rotate_counts_only_complete_checkpoints(tmp_path):
    _checkpoint(tmp_path, 2)
    _checkpoint(tmp_path, 4, complete=False)  # cut off: never the one kept as "newest"
    rotate(tmp_path, 1)
    assert (tmp_path / "checkpoint-2").is_dir()


def test_leftovers_are_recognised_and_removed(tmp_path):
    _checkpoint(tmp_path, 2)
    _checkpoint(tmp_path, 4, complete=False)
    _checkpoint(staging_root(tmp_path, 6), 6)
    (tmp_path / ".deleting-checkpoint-1").mkdir()
    (tmp_path / ".tmp-notes").mkdir()  # not ours
    names = {p.name for p in partial_checkpoints(tmp_path)}
    assert names == {"checkpoint-4", ".tmp-checkpoint-6", ".deleting-checkpoint-1"}
    remove_partial_checkpoints(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".tmp-notes", "checkpoint-2"]


def _run_folder(tmp_path, config: dict, finished: bool = False):
    out = tmp_path / "out"
    out.mkdir()
    (out / CONFIG_FILE).write_text(yaml.safe_dump(config))
    (out / RUN_FILE).write_text(json.dumps({"finished": finished}))
    return out


CONFIG = {"model_name_or_path": "m", "learning_rate": 0.001, "dataset": "a,b", "overwrite_output_dir": False}


def test_same_run_without_checkpoint_starts_again(tmp_path):
    out = _run_folder(tmp_path, CONFIG)
    _checkpoint(staging_root(out, 4), 4)
    # A control key (how to start, not what to train) may differ.
    assert prepare_output_dir(str(out), overwrite=False, resume_from=None,
                              config={**CONFIG, "resume_from_checkpoint": None}) is None
    assert not staging_root(out, 4).exists()


def test_other_run_without_checkpoint_is_refused_untouched(tmp_path):
    out = _run_folder(tmp_path, CONFIG)
    _checkpoint(staging_root(out, 4), 4)
    with pytest.raises(UserError, match="no checkpoint to resume from"):
        prepare_output_dir(str(out), overwrite=False, resume_from=None, config={**CONFIG, "learning_rate": 0.1})
    assert staging_root(out, 4).exists()


def test_changed_config_with_a_checkpoint_resumes_and_cleans(tmp_path):
    out = _run_folder(tmp_path, CONFIG)
    complete = _checkpoint(out, 4)
    _checkpoint(out, 8, complete=False)
    resume = prepare_output_dir(str(out), overwrite=False, resume_from=None, config={**CONFIG, "dataset": "a"})
    assert resume == complete and not (out / "checkpoint-8").exists()


def test_finished_run_is_refused(tmp_path):
    out = _run_folder(tmp_path, CONFIG, finished=True)
    _checkpoint(out, 4)
    with pytest.raises(UserError, match="finished run"):
        prepare_output_dir(str(out), overwrite=False, resume_from=None, config=CONFIG)


def test_overwrite_removes_leftovers_too(tmp_path):
    out = _run_folder(tmp_path, CONFIG)
    _checkpoint(staging_root(out, 4), 4)
    (out / ".deleting-checkpoint-2").mkdir()
    (out / "notes.txt").write_text("mine")
    assert prepare_output_dir(str(out), overwrite=True, resume_from=None, config=CONFIG) is None
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_run_folder_reads_back_as_a_typed_config(tiny_qwen, tmp_path):
    from tuneforge.artifacts.run_dir import RunDir, write_run_files
    from tuneforge.config.load import load_run_config

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "dataset": "identity", "output_dir": str(tmp_path),
                           "stage": "dpo", "pref_loss": "ipo", "template": "qwen"})
    write_run_files(tmp_path, cfg.to_flat(), {"finished": True})
    typed = RunDir.open(tmp_path).run_config()
    assert typed == cfg and typed.preference.pref_loss == "ipo" and typed.data.template == "qwen"
