"""LLaMA-Factory keys that belong to capabilities not built yet.

They are recognised (so a YAML using them gets a precise message instead of "unknown key"), ignored when they
hold an empty/default value, and rejected with "not supported yet" otherwise.
"""
from __future__ import annotations

from types import MappingProxyType

_GROUPS = {
    "other engines and trainers": (
        "use_unsloth use_unsloth_gc shift_attn use_llama_pro ray_run_name "
        "ray_storage_path ray_num_workers resources_per_worker placement_strategy use_mca"),
    "APOLLO's norm-growth limiter in front: transformers' APOLLO optimizer, which tuneforge trains through, "
    "takes no such switch": "apollo_scale_front",
    "evaluation extras": "compute_accuracy eval_on_each_dataset",
}

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
