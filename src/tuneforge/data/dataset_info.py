"""dataset_info.json → `DatasetSpec`: which file or hub dataset a name means, its format, columns and tags.

Entries are read exactly as LLaMA-Factory writes them (same keys, same defaults), so an existing
`dataset_info.json` works unchanged. A dataset name that is itself a file or folder needs no entry: its
format is inferred from its first row (see `infer.py`). Unknown keys are errors, not silently ignored.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

from tuneforge.core.errors import UserError, did_you_mean
from tuneforge.core.io import read_json

INFO_FILE = "dataset_info.json"

FORMATTINGS = ("alpaca", "sharegpt", "openai", "text")  # "text" is ours: one column of plain text
ENTRY_KEYS = frozenset({"file_name", "hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name",
                        "formatting", "ranking", "subset", "split", "folder", "num_samples", "columns", "tags"})
# LLaMA-Factory picks the source in this order: a hub URL, then a script, then a local file.
SOURCE_KEYS = (("hf_hub_url", "hf_hub"), ("ms_hub_url", "ms_hub"), ("om_hub_url", "om_hub"),
               ("script_url", "script"), ("cloud_file_name", "cloud_file"), ("file_name", "file"))


@dataclass(frozen=True)
class Columns:
    """Which column of the data holds what. Defaults are LLaMA-Factory's."""
    prompt: str | None = "instruction"
    query: str | None = "input"
    response: str | None = "output"
    history: str | None = None
    messages: str | None = "conversations"
    system: str | None = None
    tools: str | None = None
    images: str | None = None
    videos: str | None = None
    audios: str | None = None
    chosen: str | None = None
    rejected: str | None = None
    kto_tag: str | None = None
    answer: str | None = None  # grpo/ppo: the reference answer reward functions compare with


@dataclass(frozen=True)
class Tags:
    """How roles are spelled inside sharegpt-style message lists."""
    role_tag: str = "from"
    content_tag: str = "value"
    user_tag: str = "human"
    assistant_tag: str = "gpt"
    observation_tag: str = "observation"
    function_tag: str = "function_call"
    system_tag: str = "system"


OPENAI_TAGS = Tags(role_tag="role", content_tag="content", user_tag="user", assistant_tag="assistant",
                   observation_tag="tool", function_tag="function_call", system_tag="system")
COLUMN_KEYS = tuple(f.name for f in dataclasses.fields(Columns))
TAG_KEYS = tuple(f.name for f in dataclasses.fields(Tags))


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset_info.json entry, resolved. `path` is the local file or folder (load_from == "file")."""
    name: str
    load_from: str = "file"  # file | hf_hub | ms_hub | om_hub | script | cloud_file
    file_name: str | None = None
    hf_hub_url: str | None = None
    ms_hub_url: str | None = None
    om_hub_url: str | None = None
    script_url: str | None = None
    formatting: str = "alpaca"
    ranking: bool = False
    subset: str | None = None
    split: str = "train"
    folder: str | None = None
    num_samples: int | None = None
    columns: Columns = field(default_factory=Columns)
    tags: Tags = field(default_factory=Tags)
    explicit_columns: frozenset[str] = frozenset()  # keys given in "columns" (checked against the data)
    path: str | None = None
    info_file: str | None = None  # where the entry came from, for error messages
    media_dir: str | None = None  # where relative media paths point (the config's media folder)

    @property
    def source_url(self) -> str | None:
        return {"hf_hub": self.hf_hub_url, "ms_hub": self.ms_hub_url, "om_hub": self.om_hub_url,
                "script": self.script_url}.get(self.load_from)


def load_dataset_specs(names: list[str], dataset_dir: str) -> list[DatasetSpec]:
    """Resolve each dataset name through `<dataset_dir>/dataset_info.json`, or as a file/folder path."""
    info_path = os.path.normpath(os.path.join(dataset_dir, INFO_FILE))
    info: dict[str, Any] | None = None
    specs = []
    for name in names:
        if info is None and os.path.isfile(info_path):
            info = _read_info(info_path)
        if info is not None and name in info:
            specs.append(parse_entry(name, info[name], dataset_dir, info_path))
            continue
        local = _existing_path(name, dataset_dir)
        if local is not None:
            from tuneforge.data.infer import infer_spec  # here, not at the top: infer.py builds on this module

            specs.append(infer_spec(name, local))
            continue
        if info is None:
            raise UserError(f"dataset '{name}' is not a file or folder, and there is no {INFO_FILE} in "
                            f"'{dataset_dir}' to look it up (set dataset_dir)", file=info_path, field="dataset")
        raise UserError(f"unknown dataset '{name}'{did_you_mean(name, info)}; it is neither an entry of "
                        f"{INFO_FILE} nor an existing file", file=info_path, field="dataset")
    return specs


def _read_info(info_path: str) -> dict[str, Any]:
    info = read_json(info_path)
    if not isinstance(info, dict):
        raise UserError(f"expected a JSON object of dataset entries, got {type(info).__name__}", file=info_path)
    return info


def _existing_path(name: str, dataset_dir: str) -> str | None:
    for candidate in (name, os.path.join(dataset_dir, name)):
        if os.path.exists(candidate):
            return candidate
    return None


def parse_entry(name: str, entry: Any, dataset_dir: str, info_path: str) -> DatasetSpec:
    """One entry of dataset_info.json → DatasetSpec, with LLaMA-Factory's defaults and precedence."""
    def fail(message: str, key: str | None = None) -> UserError:
        return UserError(message, file=info_path, field=f"{name}.{key}" if key else name)

    if not isinstance(entry, dict):
        raise fail(f"expected an object, got {type(entry).__name__}")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise fail(f"unknown key '{unknown[0]}'{did_you_mean(unknown[0], ENTRY_KEYS)}; allowed keys: "
                   f"{', '.join(sorted(ENTRY_KEYS))}", unknown[0])
    load_from = next((kind for key, kind in SOURCE_KEYS if key in entry), None)
    if load_from is None:
        raise fail("needs one of file_name, hf_hub_url, ms_hub_url, om_hub_url, script_url")
    formatting = entry.get("formatting", "alpaca")
    if formatting not in FORMATTINGS:
        raise fail(f"unknown formatting '{formatting}'{did_you_mean(str(formatting), FORMATTINGS)}; choose one "
                   f"of: {', '.join(FORMATTINGS)}", "formatting")
    if not isinstance(entry.get("ranking", False), bool):
        raise fail(f"expected true or false, got {entry['ranking']!r}", "ranking")
    num_samples = entry.get("num_samples")
    if num_samples is not None and (not isinstance(num_samples, int) or num_samples < 1):
        raise fail(f"expected a positive integer, got {num_samples!r}", "num_samples")
    columns = _mapping(entry, "columns", COLUMN_KEYS, fail)
    tags = _mapping(entry, "tags", TAG_KEYS, fail)
    if "columns" in entry:  # LLaMA-Factory: once "columns" is given, every column it omits is unused
        columns = {key: columns.get(key) for key in COLUMN_KEYS}
    if formatting == "text" and not columns.get("prompt"):
        columns["prompt"] = "text"
    base_tags = OPENAI_TAGS if formatting == "openai" else Tags()
    return DatasetSpec(
        name=name, load_from=load_from, file_name=entry.get("file_name"), hf_hub_url=entry.get("hf_hub_url"),
        ms_hub_url=entry.get("ms_hub_url"), om_hub_url=entry.get("om_hub_url"),
        script_url=entry.get("script_url"), formatting=formatting, ranking=entry.get("ranking", False),
        subset=entry.get("subset"), split=entry.get("split", "train"), folder=entry.get("folder"),
        num_samples=num_samples, columns=dataclasses.replace(Columns(), **columns),
        # tags it omits keep their defaults (LLaMA-Factory unsets them): a superset, rejects nothing LF accepts
        tags=dataclasses.replace(base_tags, **{k: v for k, v in tags.items() if v}),
        explicit_columns=frozenset(k for k in entry.get("columns", {}) if entry["columns"][k]),
        path=_local_path(load_from, entry, dataset_dir),
        info_file=info_path,
    )


def _local_path(load_from: str, entry: dict[str, Any], dataset_dir: str) -> str | None:
    local = {"file": entry.get("file_name"), "script": entry.get("script_url")}.get(load_from)
    return os.path.normpath(os.path.join(dataset_dir, local)) if local else None


def _mapping(entry: dict[str, Any], key: str, allowed: tuple[str, ...], fail: Any) -> dict[str, str]:
    value = entry.get(key, {})
    if not isinstance(value, dict):
        raise fail(f"expected an object, got {type(value).__name__}", key)
    for sub, name in value.items():
        if sub not in allowed:
            raise fail(f"unknown key '{sub}'{did_you_mean(sub, allowed)}; allowed: {', '.join(allowed)}",
                       f"{key}.{sub}")
        if name is not None and not isinstance(name, str):
            raise fail(f"expected a column name, got {name!r}", f"{key}.{sub}")
    return dict(value)
