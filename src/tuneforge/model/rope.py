"""`rope_scaling` (LLaMA-Factory's key): stretch a model's rotary position embeddings to train and run on
sequences longer than it was pre-trained on. The factor is derived as LLaMA-Factory derives it — the context
asked for (cutoff_len) over the model's original length, rounded up — and the config gets transformers' own
rope parameters, so everything that loads the model (training, chat, export, a full fine-tune's saved
config.json) runs the same positions. One decision, used by every load."""
from __future__ import annotations

import math
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger

log = get_logger()
ROPE_SCALINGS = ("linear", "dynamic", "yarn", "llama3")


def scaled_rope(config, kind: str, context_length: int) -> dict[str, Any] | None:
    """The rope parameters for `context_length` tokens (None: the model already covers it, or already carries
    this scaling — a saved fine-tune). Sets max_position_embeddings to the stretched length."""
    params = dict(getattr(config, "rope_parameters", None) or {})
    if not params or not hasattr(config, "max_position_embeddings"):
        raise UserError(f"this model ({getattr(config, 'model_type', '?')}) has no rotary position settings to "
                        f"scale", field="rope_scaling")
    if params.get("rope_type") == kind:
        return None  # scaled when it was trained (its saved config carries it)
    original = int(params.get("original_max_position_embeddings") or config.max_position_embeddings)
    if context_length <= original:
        log.warning("rope_scaling: cutoff_len %d fits the model's %d positions; no scaling", context_length, original)
        return None
    factor = float(math.ceil(context_length / original))
    scaled = {"rope_type": kind, "rope_theta": params.get("rope_theta", 10000.0), "factor": factor}
    if kind in ("dynamic", "yarn", "llama3"):
        scaled["original_max_position_embeddings"] = original
    if kind == "llama3":
        scaled.update(low_freq_factor=1.0, high_freq_factor=4.0)
    config.rope_parameters = scaled
    config.max_position_embeddings = int(original * factor)
    log.info("rope_scaling: %s × %g, %d → %d positions", kind, factor, original, config.max_position_embeddings)
    return scaled
