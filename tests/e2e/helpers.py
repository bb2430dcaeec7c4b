"""Small helpers for end-to-end tests: reading logs and weights of finished runs."""
from __future__ import annotations

import json
from pathlib import Path


def logged_losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (Path(run_dir) / "trainer_log.jsonl").read_text().splitlines()]
    return [row["loss"] for row in rows if "loss" in row]


def load_safetensors(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def full_weights(folder: Path) -> dict:
    files = sorted(Path(folder).glob("model*.safetensors"))
    out: dict = {}
    for file in files:
        out.update(load_safetensors(file))
    return out
