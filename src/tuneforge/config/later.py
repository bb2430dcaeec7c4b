"""LLaMA-Factory keys that belong to capabilities not built yet (LATER_KEYS), or that tuneforge does not offer
by design (REFUSED_KEYS, each with its reason).

They are recognised (so a YAML using them gets a precise message instead of "unknown key"), ignored when they
hold an empty/default value, and rejected otherwise: "not supported yet (capability)" or "is not offered:
reason".
"""
from __future__ import annotations

from types import MappingProxyType

_GROUPS = {
    "other engines and trainers": "ray_run_name ray_storage_path ray_num_workers resources_per_worker "
                                  "placement_strategy",
}

# LLaMA-Factory keys tuneforge does not offer, by design: a value is refused with the reason and what to use.
REFUSED_KEYS: MappingProxyType[str, str] = MappingProxyType({
    "use_unsloth": "Unsloth replaces transformers' model code at import (monkey-patching); tuneforge's fast step "
                   "(fast_path, on by default) trains without padding and without the full logits instead",
    "use_unsloth_gc": "Unsloth's gradient checkpointing patches transformers; use gradient_checkpointing",
    "shift_attn": "LongLoRA's shifted sparse attention needs the model's attention forward replaced "
                  "(monkey-patching); for long context use rope_scaling (with flash attention on a GPU)",
    "use_mca": "the Megatron-core adapter (mcore_adapter) is a separate engine; scale out with DeepSpeed or FSDP",
    "apollo_scale_front": "transformers' APOLLO optimizer, which tuneforge trains through, takes no norm-growth "
                          "limiter switch",
})

LATER_KEYS: MappingProxyType[str, str] = MappingProxyType(
    {key: capability for capability, keys in _GROUPS.items() for key in keys.split()})

# Keys LLaMA-Factory accepts that change nothing a run produces (a debug print of every parameter's dtype and
# device); accepted and ignored.
IGNORED_KEYS = frozenset({"print_param_status"})


def is_empty_value(value: object) -> bool:
    """None/false/0/empty, also as command-line strings ("null", "none", "false")."""
    if isinstance(value, str):
        return value.strip().lower() in {"", "null", "none", "~", "false", "0"}
    return value is None or value is False or value == 0 or value == []
