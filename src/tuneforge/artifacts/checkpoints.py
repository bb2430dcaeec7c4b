"""Checkpoint folders on disk: a checkpoint is either complete or invisible.

A checkpoint is written into a staging folder (`.tmp-checkpoint-N/checkpoint-N`), flushed to disk, and only
then renamed to `checkpoint-N`; an old one is renamed to `.deleting-checkpoint-N` before it is deleted. A
rename within one folder is atomic, so a kill or a power cut at any moment leaves every `checkpoint-N` whole,
and whatever was half-written sits under a dot-name that resuming recognises and removes.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tuneforge.core.failpoints import failpoint

CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
STAGING_PREFIX = ".tmp-"
RETIRED_PREFIX = ".deleting-"
_LEFTOVER = re.compile(rf"^({re.escape(STAGING_PREFIX)}|{re.escape(RETIRED_PREFIX)})checkpoint-\d+$")
# Written last by the Trainer; a checkpoint folder without it was not written through the staging rename
# (an older tuneforge, another tool) and was cut off.
STATE_FILE = "trainer_state.json"


def checkpoints(output_dir: str | Path) -> list[Path]:
    """checkpoint-N folders in ascending N."""
    out = Path(output_dir)
    if not out.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in out.iterdir() if p.is_dir() and (m := CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found)]


def checkpoint_step(checkpoint: Path) -> int:
    """The global step a checkpoint-N folder was saved at: N."""
    return int(CHECKPOINT.match(Path(checkpoint).name).group(1))


def is_complete(checkpoint: Path) -> bool:
    return (checkpoint / STATE_FILE).is_file()


def complete_checkpoints(output_dir: str | Path) -> list[Path]:
    """checkpoint-N folders that finished saving, in ascending N."""
    return [p for p in checkpoints(output_dir) if is_complete(p)]


def last_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete checkpoint."""
    complete = complete_checkpoints(output_dir)
    return complete[-1] if complete else None


def partial_checkpoints(output_dir: str | Path) -> list[Path]:
    """What a crash can leave behind: staging and half-deleted folders, and cut-off checkpoint-N folders."""
    out = Path(output_dir)
    if not out.is_dir():
        return []
    leftovers = [p for p in out.iterdir() if p.is_dir() and _LEFTOVER.match(p.name)]
    return sorted(leftovers) + [p for p in checkpoints(out) if not is_complete(p)]


def remove_partial_checkpoints(output_dir: str | Path) -> list[Path]:
    removed = partial_checkpoints(output_dir)
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def staging_root(output_dir: str | Path, step: int) -> Path:
    """The folder the Trainer writes `checkpoint-<step>` into before it is published."""
    return Path(output_dir) / f"{STAGING_PREFIX}checkpoint-{step}"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_tree(root: Path) -> None:
    """Every file and folder under root on disk, so that the rename publishes data, not empty files."""
    for folder, _, files in os.walk(root):
        for name in files:
            _fsync(Path(folder) / name)
        _fsync(Path(folder))


def publish(written: Path, output_dir: str | Path) -> Path:
    """Flush the checkpoint written under its staging root and rename it into output_dir."""
    out = Path(output_dir)
    final = out / written.name
    _flush_tree(written)
    failpoint("checkpoint.publish")
    if final.exists():  # saved again at the same step (an explicit resume from an earlier checkpoint)
        retire(final)
    os.replace(written, final)
    _fsync(out)
    shutil.rmtree(written.parent, ignore_errors=True)
    return final


def retire(checkpoint: Path) -> None:
    """Delete a checkpoint so that no half-deleted folder ever carries a checkpoint name."""
    retired = checkpoint.with_name(f"{RETIRED_PREFIX}{checkpoint.name}")
    shutil.rmtree(retired, ignore_errors=True)
    os.replace(checkpoint, retired)
    _fsync(checkpoint.parent)
    failpoint("checkpoint.retire")
    shutil.rmtree(retired, ignore_errors=True)


def rotate(output_dir: str | Path, limit: int | None, keep: Path | None = None) -> list[Path]:
    """Keep the newest `limit` complete checkpoints (and `keep`, the best one); retire the others. Runs only
    after the newest checkpoint is published, so the newest complete one is never the one deleted."""
    if not limit or limit <= 0:
        return []
    complete = complete_checkpoints(output_dir)
    protected = {complete[-1]} if complete else set()
    if keep is not None:
        protected.add(Path(keep))
    retired = []
    for checkpoint in complete:
        if len(complete) - len(retired) <= max(limit, len(protected)):
            break
        if checkpoint not in protected:
            retire(checkpoint)
            retired.append(checkpoint)
    return retired
