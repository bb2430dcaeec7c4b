"""Checks on the adapters an export merges, made before any model loads: the folders hold an adapter, and its
LoRA matrices fit the base model's layers (read from the base's safetensors headers, no weights loaded)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.model.stack import check_adapter_folder

# base_model.model.<module>.lora_A[.<adapter>].weight → <module>
LORA_KEY = re.compile(r"^(?:base_model\.model\.)?(?P<module>.+?)\.lora_(?P<ab>[AB])(?:\.[^.]+)?\.weight$")


def _base_shapes(base: Path) -> dict[str, tuple[int, ...]]:
    """Weight name → shape from the base folder's safetensors headers ({} if it has none)."""
    from safetensors import safe_open

    shapes: dict[str, tuple[int, ...]] = {}
    for file in sorted(base.glob("*.safetensors")):
        with safe_open(str(file), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open is not iterable
                shapes[key] = tuple(handle.get_slice(key).get_shape())
    return shapes


def _adapter_shapes(folder: Path) -> dict[str, tuple[int, ...]]:
    file = folder / "adapter_model.safetensors"
    if not file.is_file():
        return {}
    from safetensors import safe_open

    with safe_open(str(file), framework="pt") as handle:
        return {key: tuple(handle.get_slice(key).get_shape()) for key in handle.keys()}  # noqa: SIM118


def _trained_on(folder: Path) -> str:
    config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    return str(config.get("base_model_name_or_path") or "an unknown model")


_AMBIGUOUS = ()


def _saved_under_another_prefix(module: str, shapes: dict[str, tuple[int, ...]]):
    """The shape of `module`'s weight when the checkpoint names it differently from the loaded model —
    transformers saves some models (the Qwen-VL family) under their older key names, `model.layers.…` for the
    loaded `model.language_model.layers.…`: the one checkpoint key ending in the module's longest suffix
    (at least its last three name parts). None when no key does; _AMBIGUOUS when several do."""
    parts = module.split(".")
    for start in range(1, len(parts) - 2):
        suffix = "." + ".".join(parts[start:]) + ".weight"
        found = [key for key in shapes if key.endswith(suffix) or key == suffix[1:]]
        if len(found) == 1:
            return shapes[found[0]]
        if len(found) > 1:
            return _AMBIGUOUS
    return None


def check_adapter_fits(base_path: str, adapter: Path) -> None:
    """Raise if a LoRA matrix of `adapter` does not fit the base layer it targets (other base model)."""
    base = Path(base_path).expanduser()
    shapes = _base_shapes(base) if base.is_dir() else {}
    if not shapes:
        return  # hub id or .bin base: peft's own load reports a mismatch later
    for key, shape in _adapter_shapes(adapter).items():
        match = LORA_KEY.match(key)
        if not match or len(shape) != 2:
            continue
        module = match.group("module")
        weight = shapes.get(f"{module}.weight", _saved_under_another_prefix(module, shapes))
        if weight is _AMBIGUOUS:
            continue  # peft's own load checks it
        if weight is None:
            raise UserError(f"the adapter targets '{module}', which the base model does not have: it was trained "
                            f"on {_trained_on(adapter)}, not on {base_path}", file=str(adapter),
                            field="adapter_name_or_path")
        out_features, in_features = weight
        expected = shape[1] if match.group("ab") == "A" else shape[0]
        actual = in_features if match.group("ab") == "A" else out_features
        if expected != actual:
            raise UserError(f"the adapter does not fit this base model ('{module}' has {in_features}→"
                            f"{out_features} features here, the adapter expects "
                            f"{'input' if match.group('ab') == 'A' else 'output'} size {expected}): it was trained "
                            f"on {_trained_on(adapter)}", file=str(adapter), field="adapter_name_or_path")


_SAME_MODEL_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "vocab_size", "intermediate_size")


def check_same_base(base_path: str, adapter: Path) -> None:
    """When the model the adapter names is a local folder, its config must describe the same model as the base
    (shapes alone cannot tell a Llama from a Qwen2 of the same size)."""
    trained_on = Path(_trained_on(adapter)).expanduser()
    base = Path(base_path).expanduser()
    if not ((trained_on / "config.json").is_file() and (base / "config.json").is_file()):
        return  # a hub id or a moved folder: the shape check is all we can do
    if trained_on.resolve() == base.resolve():
        return
    theirs = json.loads((trained_on / "config.json").read_text(encoding="utf-8"))
    ours = json.loads((base / "config.json").read_text(encoding="utf-8"))
    differ = [k for k in _SAME_MODEL_KEYS if theirs.get(k) != ours.get(k)]
    if differ:
        raise UserError(f"the adapter was trained on {trained_on}, a different model than {base_path} "
                        f"({', '.join(f'{k} {theirs.get(k)} vs {ours.get(k)}' for k in differ)})",
                        file=str(adapter), field="adapter_name_or_path")


def check_adapters(base_path: str, adapter_paths: list[str]) -> list[Path]:
    """Every adapter folder checked (files present, same base model, shapes fit), in merge order."""
    folders = [check_adapter_folder(path, local_only=True) for path in adapter_paths]
    for folder in folders:
        check_same_base(base_path, folder)
        check_adapter_fits(base_path, folder)
    return folders
