"""Folders the UI may read and write. Paths typed into the page are resolved inside these roots, so a
page visitor cannot make the server read or write elsewhere unless the operator allowed any path."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuneforge.core.errors import UserError


@dataclass(frozen=True)
class Workspace:
    data_root: Path      # dataset_dir values must lie inside
    output_root: Path    # output_dir values (and run folders to chat with / export) must lie inside
    model_root: Path | None = None  # local model folders; hub ids are always allowed
    allow_any_path: bool = False

    def inside(self, value: str, root: Path, field: str) -> Path:
        path = Path(value).expanduser()
        resolved = (path if path.is_absolute() else root / path).resolve()
        if self.allow_any_path or resolved.is_relative_to(root.resolve()):
            return resolved
        raise UserError(f"'{value}' is outside the allowed folder {root} (start the UI with --allow-any-path "
                        f"to lift this)", field=field)

    def data_dir(self, value: str) -> Path:
        return self.inside(value or ".", self.data_root, "dataset_dir")

    def output_dir(self, value: str) -> Path:
        if not value:
            raise UserError("is required", field="output_dir")
        return self.inside(value, self.output_root, "output_dir")

    def model(self, value: str) -> str:
        """A local model folder (checked against model_root when set) or a hub id (kept as is)."""
        if not value:
            raise UserError("is required", field="model_name_or_path")
        local = Path(value).expanduser()
        if self.model_root is None or not (local.exists() or local.is_absolute() or value.startswith(".")):
            return str(local.resolve()) if local.exists() else value
        return str(self.inside(value, self.model_root, "model_name_or_path"))
