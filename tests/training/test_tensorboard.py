"""Issue 18, definition of done 7: `report_to: tensorboard` works offline — after a run the output folder holds
a TensorBoard event file whose loss and learning-rate scalars read back, one per logged step."""
from __future__ import annotations

import json

import pytest

from tests.conftest import sft_config


def test_report_to_tensorboard_writes_readable_loss_and_lr_scalars(tiny_qwen, tmp_path):
    pytest.importorskip("tensorboard", reason="tensorboard is a test dependency (the trackers extra)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    import tuneforge

    out = tmp_path / "run"
    tuneforge.train(sft_config(tiny_qwen, out, max_steps=4, report_to="tensorboard"))
    events = sorted(out.rglob("events.out.tfevents.*"))
    assert events, sorted(p.relative_to(out) for p in out.rglob("*"))
    accumulator = EventAccumulator(str(events[0].parent)).Reload()
    tags = accumulator.Tags()["scalars"]
    assert "train/loss" in tags and "train/learning_rate" in tags, tags
    losses = [e.value for e in accumulator.Scalars("train/loss")]
    logged = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    assert len(losses) == 4 and losses == pytest.approx([r["loss"] for r in logged if "loss" in r], rel=1e-5)
