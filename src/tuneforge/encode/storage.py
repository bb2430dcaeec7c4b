"""`tokenized_path`: encoded features saved with the datasets library (train / validation splits), so a
large corpus is encoded once, on one machine, and training runs start from the encoded copy."""
from __future__ import annotations

from pathlib import Path

from tuneforge.core.errors import UserError


def save_encoded(path: str | Path, train, evaluation) -> Path:
    """Save encoded Datasets (train, and validation when given; one `validation_<name>` split per eval dataset,
    as LLaMA-Factory names them, when `evaluation` is a dict by name)."""
    from datasets import DatasetDict

    splits = {"train": train}
    if isinstance(evaluation, dict):
        splits.update({f"validation_{name}": part for name, part in evaluation.items()})
    elif evaluation is not None:
        splits["validation"] = evaluation
    DatasetDict(splits).save_to_disk(str(path))
    return Path(path)


def load_encoded(path: str | Path):
    """(train, validation or None) as memory-mapped Datasets; validation is a dict by dataset name when the
    folder holds `validation_<name>` splits (eval_on_each_dataset, here or in LLaMA-Factory)."""
    from datasets import DatasetDict, load_from_disk

    try:
        stored = load_from_disk(str(path))
    except (FileNotFoundError, ValueError) as exc:
        raise UserError(f"not an encoded dataset folder ({exc})", file=str(path), field="tokenized_path") from None
    if not isinstance(stored, DatasetDict) or "train" not in stored:
        raise UserError("encoded dataset has no 'train' split", file=str(path), field="tokenized_path")
    if "input_ids" not in stored["train"].column_names or "labels" not in stored["train"].column_names:
        raise UserError("encoded dataset lacks input_ids/labels columns", file=str(path), field="tokenized_path")
    if "validation" in stored:
        return stored["train"], stored["validation"]
    per_dataset = {key.removeprefix("validation_"): stored[key] for key in stored if key.startswith("validation_")}
    return stored["train"], per_dataset or None
