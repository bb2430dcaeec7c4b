"""What every command that loads a model accepts first: a YAML/JSON config, or a run folder (its base model,
adapter and template are read from it), followed by `key=value` / `--key value` overrides."""
from __future__ import annotations

from pathlib import Path

from tuneforge.artifacts.run_dir import CONFIG_FILE, inference_keys
from tuneforge.config.load import load_run_config
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.io import read_json, read_yaml


def split_source(argv: list[str]) -> tuple[str | None, list[str]]:
    """`SOURCE k=v --k v` → (SOURCE, overrides); SOURCE is optional."""
    if argv and not argv[0].startswith("-") and "=" not in argv[0]:
        return argv[0], argv[1:]
    return None, list(argv)


def load_command_config(argv: list[str], command: str) -> RunConfig:
    source, overrides = split_source(argv)
    if source is None:
        return load_run_config(None, overrides, command=command)
    path = Path(source)
    if path.is_dir():
        if not (path / CONFIG_FILE).is_file():
            if (path / "config.json").is_file():  # a plain model folder
                return load_run_config({"model_name_or_path": str(path)}, overrides, command=command,
                                       source_name=source)
            raise UserError(f"neither a tuneforge run folder (no {CONFIG_FILE}) nor a model folder", file=source)
        return load_run_config(inference_keys(path), overrides, command=command, source_name=source)
    if not path.is_file():
        raise UserError("no such config file or folder", file=source)
    raw = read_json(path) if path.suffix == ".json" else read_yaml(path)
    if raw is not None and not isinstance(raw, dict):
        raise UserError("a config file must be a mapping of key: value", file=source)
    return load_run_config(path, overrides, command=command)
