"""What makes a training run survive a crash or a Ctrl-C, as Trainer pieces:

- `with_atomic_checkpoints(TrainerClass)`: the same Trainer (transformers' or TRL's), but each checkpoint is
  written into a staging folder and published by rename once complete, and rotation retires old checkpoints
  by rename too (`tuneforge.artifacts.checkpoints`). Only the save step is overridden, in a subclass.
- `GracefulStop`: the first SIGINT/SIGTERM lets the current optimizer step finish, saves a checkpoint at it
  and ends training; a second Ctrl-C aborts at once. `train_until_done` then raises `Interrupted`, saying
  which checkpoint the run resumes from and how many steps since it are lost; the CLI adds "run the same
  command again to resume" and exits with code 130.
"""
from __future__ import annotations

import shutil
import signal
import threading
from pathlib import Path

from transformers import TrainerCallback

from tuneforge.artifacts.checkpoints import checkpoint_step, last_checkpoint, publish, rotate, staging_root
from tuneforge.core.errors import Interrupted
from tuneforge.core.log import get_logger

log = get_logger()


class _AtomicCheckpoints:
    """Put before a transformers Trainer in the bases. The Trainer's own save step writes the checkpoint into
    `.tmp-checkpoint-N/` (its rotation there finds nothing to delete); once every rank has written its part,
    the main process flushes and renames it to `checkpoint-N`, then rotates the published checkpoints."""

    _staging: Path | None = None

    def _get_output_dir(self, trial):
        if self._staging is not None:
            return str(self._staging)
        return super()._get_output_dir(trial)

    def _save_checkpoint(self, model, trial):
        if trial is not None:  # hyperparameter-search trials write run-* folders of their own
            return super()._save_checkpoint(model, trial)
        out = Path(self.args.output_dir)
        step = self.state.global_step
        staging = staging_root(out, step)
        if self.args.should_save:
            shutil.rmtree(staging, ignore_errors=True)  # left by a crash at this very step
        self.accelerator.wait_for_everyone()
        self._staging = staging
        try:
            super()._save_checkpoint(model, trial)
        finally:
            self._staging = None
        self.accelerator.wait_for_everyone()  # every rank's part (RNG states, ZeRO shards) is written
        if self.args.should_save:
            publish(staging / f"checkpoint-{step}", out)
            best = self.state.best_model_checkpoint
            rotate(out, self.args.save_total_limit, keep=Path(best) if best else None)
        self.accelerator.wait_for_everyone()


def with_atomic_checkpoints(trainer_cls: type) -> type:
    """A subclass of `trainer_cls` whose checkpoints are complete or invisible."""
    return type(trainer_cls.__name__, (_AtomicCheckpoints, trainer_cls), {"__module__": __name__})


class GracefulStop(TrainerCallback):
    """Used as a context manager around `trainer.train()` (which installs the signal handlers) and as one of
    its callbacks. A second Ctrl-C aborts at once, as Ctrl-C always did; a SIGTERM while stopping is ignored
    (torchrun sends one to its workers after forwarding the user's Ctrl-C, and gives them time to finish)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: str | None = None
        self.stopped_at: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> GracefulStop:
        if threading.current_thread() is threading.main_thread():  # handlers can only live in the main thread
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous = {}

    def _handle(self, number: int, frame) -> None:
        if self.received is None:
            self.received = signal.Signals(number).name
            log.warning("%s: finishing this step, then saving a checkpoint and stopping (Ctrl-C again to abort "
                        "without saving)", self.received)
        elif number == signal.SIGINT:
            self.__exit__()
            raise KeyboardInterrupt

    def _requested(self, args) -> bool:
        """The same answer on every rank (one rank alone stopping would leave the others waiting forever)."""
        local = self.received is not None
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return local
        import torch

        flag = torch.tensor([int(local)], device=args.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def on_step_end(self, args, state, control, **kwargs):
        if self._requested(args):
            control.should_save = True
            control.should_training_stop = True
            self.stopped_at = state.global_step
            self.received = self.received or "a stop on another rank"
        return control


def _since_last_checkpoint(trainer, step: int) -> str:
    """Where a stopped run stands: the newest complete checkpoint (what the same command resumes from) and
    how many finished steps after it are lost."""
    checkpoint = last_checkpoint(trainer.args.output_dir)
    total = trainer.state.max_steps  # 0 until training has started
    of = f"step {step} of {total}" if total else f"step {step}"
    if checkpoint is None:
        return (f"at {of}; no checkpoint yet, so running it again starts from step 0 "
                f"({step} step{'s' * (step != 1)} lost)")
    lost = step - checkpoint_step(checkpoint)
    if lost == 0:
        return f"saved {checkpoint} at {of}; nothing lost"
    return f"at {of}; the newest checkpoint is {checkpoint}: the {lost} step{'s' * (lost != 1)} since it are lost"


def train_until_done(trainer, resume: Path | None):
    """trainer.train(), resuming when asked; raises Interrupted when a signal stopped it early (a first Ctrl-C:
    saved at the step it stopped at) or aborted it (a second Ctrl-C: nothing saved since the last checkpoint)."""
    stop = next((c for c in trainer.callback_handler.callbacks if isinstance(c, GracefulStop)), None)
    if stop is None:
        stop = GracefulStop()
        trainer.add_callback(stop)
    try:
        with stop:
            result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    except KeyboardInterrupt:
        raise Interrupted(f"aborted without saving {_since_last_checkpoint(trainer, trainer.state.global_step)}",
                          checkpoint=last_checkpoint(trainer.args.output_dir)) from None
    if stop.stopped_at is not None:
        raise Interrupted(f"stopped by {stop.received}: {_since_last_checkpoint(trainer, stop.stopped_at)}",
                          checkpoint=last_checkpoint(trainer.args.output_dir))
    return result
