"""Form fields generated from the config dataclasses: one gradio component per key, typed by the field's
annotation, with its default, choices and help text — never a hand-kept list of widgets."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tuneforge.config.fields import field_facts
from tuneforge.config.run import GROUPS
from tuneforge.webui.i18n import field_label

AUTO = "auto"


@dataclass(frozen=True)
class FieldSpec:
    group: str
    name: str
    kind: str  # bool | int | float | str | choice
    default: Any
    optional: bool
    choices: tuple[str, ...] | None
    help: str


def field_specs(group: str) -> list[FieldSpec]:
    return [FieldSpec(group, f.name, f.kind, f.default, f.optional, f.choices, f.help)
            for f in field_facts(GROUPS[group])]


def make_component(spec: FieldSpec, lang: str, **overrides: Any):
    """The gradio component for one config key (created inside the current Blocks context)."""
    import gradio as gr

    common = {"label": field_label(spec.name, lang), "info": spec.help, "elem_id": f"field-{spec.name}"}
    common.update(overrides)
    # Optional keys need an "unset" state a checkbox or number box cannot show: "auto" / an empty box.
    if spec.kind == "bool" and spec.optional:
        return gr.Dropdown(choices=[AUTO, "true", "false"], value=AUTO if spec.default is None
                           else str(spec.default).lower(), **common)
    if spec.kind == "bool":
        return gr.Checkbox(value=bool(spec.default), **common)
    if spec.kind == "choice":
        return gr.Dropdown(choices=list(spec.choices), value=spec.default, **common)
    if spec.kind in ("int", "float") and not spec.optional:
        return gr.Number(value=spec.default, precision=0 if spec.kind == "int" else None, **common)
    return gr.Textbox(value="" if spec.default is None else str(spec.default), **common)


def to_value(spec: FieldSpec, raw: Any) -> Any:
    """A component's value as the config key's value ("" / "auto" → None for optional keys). A number that
    does not parse is passed on as text, so config validation reports it with the key's name."""
    if raw is None or (isinstance(raw, str) and raw.strip() in ("", AUTO)):
        return None if spec.optional else spec.default
    try:
        if spec.kind == "int":
            return int(float(raw))
        if spec.kind == "float":
            return float(raw)
    except ValueError:
        return raw
    if spec.kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).lower() == "true"
    return raw.strip() if isinstance(raw, str) else raw


def changed_keys(specs: list[FieldSpec], raw_values: list[Any]) -> dict[str, Any]:
    """Only keys whose value differs from the default: the generated YAML stays short and readable."""
    out = {}
    for spec, raw in zip(specs, raw_values):
        value = to_value(spec, raw)
        if value != spec.default:
            out[spec.name] = value
    return out
