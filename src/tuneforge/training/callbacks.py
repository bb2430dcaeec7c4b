"""Trainer callbacks: trainer_log.jsonl in LLaMA-Factory's format (the web UI and users' scripts follow it)."""
from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

from transformers import TrainerCallback

LOG_FILE = "trainer_log.jsonl"


def _hms(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))


def _step_of(line: str) -> int | None:
    try:
        return int(json.loads(line)["current_steps"])
    except (ValueError, KeyError, TypeError):
        return None


class JsonlLogCallback(TrainerCallback):
    """Appends one JSON line per log event: current_steps, total_steps, loss, eval_loss, lr, epoch,
    percentage, elapsed_time, remaining_time (+ any other metric the trainer logged)."""

    def __init__(self, output_dir: str | Path, resuming: bool) -> None:
        self.path = Path(output_dir) / LOG_FILE
        self.resuming = resuming
        self.start = time.time()
        self.start_step = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = time.time()
        self.start_step = state.global_step
        if not state.is_world_process_zero or not self.path.exists():
            return
        if not self.resuming:
            self.path.unlink()
            return
        # Steps logged after the checkpoint we resume from were lost with the crash (the last line may be cut
        # off mid-write); they are trained and logged again.
        kept = [line for line in self.path.read_text(encoding="utf-8").splitlines()
                if (step := _step_of(line)) is not None and step <= state.global_step]
        self.path.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        elapsed = time.time() - self.start
        done = max(state.global_step - self.start_step, 1)
        remaining = elapsed / done * max(state.max_steps - state.global_step, 0)
        record = {"current_steps": state.global_step, "total_steps": state.max_steps,
                  "loss": logs.get("loss"), "eval_loss": logs.get("eval_loss"),
                  "lr": logs.get("learning_rate"), "epoch": round(state.epoch or 0.0, 4),
                  "percentage": round(100 * state.global_step / max(state.max_steps, 1), 2),
                  "elapsed_time": _hms(elapsed), "remaining_time": _hms(remaining)}
        record.update({k: v for k, v in logs.items() if k not in {"loss", "eval_loss", "learning_rate", "epoch"}})
        record = {k: v for k, v in record.items() if v is not None}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
