"""Build a RunConfig from a YAML/JSON file (or dict) plus command-line overrides.

Keys are LLaMA-Factory's flat names; each belongs to exactly one group. Overrides come as `key=value`,
`--key value` or `--key=value`; a bare `--flag` means true. Every problem — unknown keys (with the closest
valid one), wrong types, bad choices, cross-group rules — is collected and raised together, each naming where
its value came from (the file, or the command line for an override).
"""
from __future__ import annotations

import json

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tuneforge.config.fields import FieldFacts, check_choices, field_facts
from tuneforge.config.later import IGNORED_KEYS, LATER_KEYS, REFUSED_KEYS, is_empty_value
from tuneforge.config.trainer import MANAGED
from tuneforge.config.rules import cross_group_problems
from tuneforge.config.run import FIELD_GROUP, GROUPS, RunConfig
from tuneforge.core.errors import UserError, UserErrors, did_you_mean
from tuneforge.core.io import read_json, read_yaml

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_overrides(tokens: Sequence[str]) -> dict[str, Any]:
    """['lr=1e-4', '--epochs', '2', '--flag'] → {'lr': '1e-4', 'epochs': '2', 'flag': 'true'} (raw strings)."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--"):
            key, eq, value = token[2:].partition("=")
            if not eq:
                if i + 1 < len(tokens) and not tokens[i + 1].startswith("--") and "=" not in tokens[i + 1]:
                    value = tokens[i + 1]
                    i += 1
                else:
                    value = "true"
        else:
            key, eq, value = token.partition("=")
            if not eq:
                raise UserError(f"cannot read override '{token}': write key=value or --key value")
        out[key.replace("-", "_")] = value
        i += 1
    return out


def _coerce(value: Any, facts: FieldFacts) -> Any:
    """Convert a YAML/CLI value to the field's declared type; raises ValueError with a readable reason."""
    optional, base = facts.optional, facts.base
    if isinstance(value, str) and optional and value.strip().lower() in {"null", "none", "~", ""}:
        return None
    if value is None:
        if optional:
            return None
        raise ValueError("must not be empty")
    if base == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"expected true or false, got '{value}'")
    if base == "int":
        if isinstance(value, bool):
            raise ValueError(f"expected an integer, got '{value}'")
        try:
            number = float(value) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(f"expected an integer, got '{value}'") from None
        if not isinstance(number, (int, float)) or float(number) != int(number):
            raise ValueError(f"expected an integer, got '{value}'")
        return int(number)
    if base == "float":
        if isinstance(value, bool):
            raise ValueError(f"expected a number, got '{value}'")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got '{value}'") from None
    if base == "str":
        if isinstance(value, (list, tuple)):
            return ",".join(str(v) for v in value)
        if isinstance(value, dict):
            if facts.mapping:
                return json.dumps(value)
            raise ValueError("expected a string, got a mapping")
    return str(value)  # field_facts guarantees the base is one of the four


def _read_source(source: str | Path | Mapping[str, Any] | None,
                 name: str | None) -> tuple[dict[str, Any], str | None]:
    if source is None:
        return {}, None
    if isinstance(source, Mapping):
        return dict(source), name
    path = Path(source)
    if not path.is_file():
        raise UserError("config file not found", file=str(path))
    data = read_json(path) if path.suffix == ".json" else read_yaml(path)
    if data is None:
        return {}, str(path)
    if not isinstance(data, dict):
        raise UserError("a config file must be a mapping of key: value", file=str(path))
    return data, str(path)


def _typed_values(merged: Mapping[str, tuple[Any, str | None]]) -> tuple[dict[str, dict[str, Any]],
                                                                         list[UserError]]:
    """Each group's values converted to their field types, and an error (naming the value's source) for each
    key that is unknown, not supported yet, or of the wrong type — left at its default, so that the rules
    still judge everything else."""
    errors: list[UserError] = []
    values: dict[str, dict[str, Any]] = {group: {} for group in GROUPS}
    facts = {f.name: f for cls in GROUPS.values() for f in field_facts(cls)}
    for key, (value, origin) in merged.items():
        if key in FIELD_GROUP:
            try:
                values[FIELD_GROUP[key]][key] = _coerce(value, facts[key])
            except ValueError as exc:
                errors.append(UserError(str(exc), file=origin, field=key))
        elif key in LATER_KEYS:
            if not is_empty_value(value):
                errors.append(UserError(f"not supported yet ({LATER_KEYS[key]})", file=origin, field=key))
        elif key in REFUSED_KEYS:
            if not is_empty_value(value):
                errors.append(UserError(f"is not offered: {REFUSED_KEYS[key]}", file=origin, field=key))
        elif key in MANAGED:
            if not is_empty_value(value):
                errors.append(UserError(f"is set by tuneforge: {MANAGED[key]}", file=origin, field=key))
        elif key not in IGNORED_KEYS:
            known = list(FIELD_GROUP) + list(LATER_KEYS) + list(REFUSED_KEYS) + list(MANAGED)
            errors.append(UserError(f"unknown key{did_you_mean(key, known)}", file=origin, field=key))
    return values, errors


def load_run_config(source: str | Path | Mapping[str, Any] | None = None,
                    overrides: Sequence[str] | Mapping[str, Any] = (), *, command: str = "train",
                    overrides_from: str = "command line", source_name: str | None = None) -> RunConfig:
    """The validated, frozen configuration of one run of `command` (train, chat, export, eval, …).

    Every mistake is reported at once, each naming its key and where its value came from: the file for the
    file's values (`source_name` for a mapping's, e.g. the run folder it was read from), `overrides_from`
    ("command line"; the Python API says "overrides") for the overrides'."""
    raw, file = _read_source(source, source_name)
    extra = dict(overrides) if isinstance(overrides, Mapping) else parse_overrides(overrides)
    # Later values win before anything is judged, so an override can also cancel a file's value.
    merged = {str(k): (v, file) for k, v in raw.items()}
    merged.update({str(k): (v, overrides_from) for k, v in extra.items()})
    values, errors = _typed_values(merged)
    config = RunConfig(**{group: cls(**values[group]) for group, cls in GROUPS.items()})
    problems = [problem for group in GROUPS for problem in getattr(config, group).problems()]
    problems += [problem for group in GROUPS for problem in check_choices(getattr(config, group))]
    problems += cross_group_problems(config, command)
    reported = {error.field for error in errors}
    # A key nobody set (e.g. "dataset is required") is blamed on the config file, where it would go.
    unset = None if isinstance(source, Mapping) else file
    errors += [UserError(message, file=merged[key][1] if key in merged else unset, field=key)
               for key, message in problems if key not in reported]
    if errors:
        raise UserErrors(errors)
    return config
