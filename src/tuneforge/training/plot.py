"""Loss plots from trainer_state.json's log history (matplotlib, no display needed)."""
from __future__ import annotations

import json
import math
from pathlib import Path


def smooth(values: list[float], weight: float | None = None) -> list[float]:
    """Exponential moving average, stronger for longer curves (as TensorBoard does)."""
    if not values:
        return []
    weight = weight if weight is not None else 1.8 * (1 / (1 + math.exp(-0.05 * len(values))) - 0.5)
    out, last = [], values[0]
    for v in values:
        last = last * weight + (1 - weight) * v
        out.append(last)
    return out


def plot_loss(output_dir: str | Path, keys: tuple[str, ...] = ("loss", "eval_loss")) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(output_dir)
    state = out / "trainer_state.json"
    history = json.loads(state.read_text()).get("log_history", []) if state.is_file() else []
    written = []
    for key in keys:
        points = [(h["step"], h[key]) for h in history if key in h]
        if not points:
            continue
        steps, values = zip(*points)
        fig = plt.figure(figsize=(6.4, 4.0))
        plt.plot(steps, values, color="#1f77b4", alpha=0.4, label="original")
        if len(values) > 1:
            plt.plot(steps, smooth(list(values)), color="#1f77b4", label="smoothed")
        plt.title(f"training {key} of {out.name}")
        plt.xlabel("step")
        plt.ylabel(key)
        plt.legend()
        # Metric names like rewards/accuracies must not become sub-folders.
        path = out / ("training_loss.png" if key == "loss" else f"training_{key.replace('/', '_')}.png")
        plt.savefig(path, format="png", dpi=100)
        plt.close(fig)
        written.append(path)
    return written
