"""The Train tab: model, method, stage and datasets up top; every other key of the training groups in
generated accordions; preview command, start, abort, live progress, past runs."""
from __future__ import annotations

import time
from pathlib import Path

import yaml

from tuneforge.config.load import load_run_config
from tuneforge.core.errors import UserError
from tuneforge.templates.registry import TEMPLATES
from tuneforge.webui import jobs
from tuneforge.webui.context import UIContext
from tuneforge.webui.forms import FieldSpec, field_specs, make_component, to_value
from tuneforge.webui.models import (
    dataset_names,
    guess_template,
    past_runs,
    run_settings,
)
from tuneforge.webui.tabs import job_panel

PRIMARY = ("model_name_or_path", "template", "finetuning_type", "stage", "dataset_dir", "dataset", "output_dir")
GROUPS = ("finetune", "data", "train", "model", "preference", "rl", "scale")


def _specs() -> tuple[list[FieldSpec], list[FieldSpec]]:
    everything = {s.name: s for g in GROUPS for s in field_specs(g)}
    primary = [everything[name] for name in PRIMARY]
    return primary, [s for s in everything.values() if s.name not in PRIMARY]


def assemble(ctx: UIContext, primary: list[FieldSpec], others: list[FieldSpec], values: list) -> dict:
    """The flat keys of the run the form describes (others only where changed), paths confined."""
    keys = {}
    for spec, raw in zip(primary, values[:len(primary)]):
        value = ",".join(raw) if isinstance(raw, list) else to_value(spec, raw)
        if value not in (None, ""):
            keys[spec.name] = value
    for spec, raw in zip(others, values[len(primary):]):
        value = to_value(spec, raw)
        if value != spec.default:
            keys[spec.name] = value
    ws = ctx.workspace
    keys["model_name_or_path"] = ws.model(keys.get("model_name_or_path", ""))
    keys["dataset_dir"] = str(ws.data_dir(keys.get("dataset_dir", "")))
    keys["output_dir"] = str(ws.output_dir(keys.get("output_dir", "")))
    load_run_config(keys, command="train")  # every config error, now, on the page
    return keys


def build(ctx: UIContext, lang_box) -> None:
    import gradio as gr

    primary, others = _specs()
    by_name = {s.name: s for s in primary}
    ws = ctx.workspace
    with gr.Row():
        model = ctx.field(make_component(by_name["model_name_or_path"], ctx.lang, scale=3), "model_name_or_path")
        template = ctx.field(gr.Dropdown([""] + sorted(TEMPLATES), value="", label="template",
                                         elem_id="field-template"), "template")
        method = ctx.field(make_component(by_name["finetuning_type"], ctx.lang), "finetuning_type")
        stage = ctx.field(make_component(by_name["stage"], ctx.lang), "stage")
    with gr.Row():
        data_dir = ctx.field(gr.Textbox(str(ws.data_root), label="dataset_dir", elem_id="field-dataset_dir"),
                             "dataset_dir")
        datasets = ctx.field(gr.Dropdown(dataset_names(ws.data_root), multiselect=True, label="dataset",
                                         elem_id="field-dataset", scale=2), "dataset")
        output = ctx.field(gr.Textbox(f"train-{time.strftime('%Y%m%d-%H%M%S')}", label="output_dir",
                                      elem_id="field-output_dir"), "output_dir")
    preview_btn = ctx.ui(gr.Button(ctx.t("preview_data"), size="sm"), "preview_data", "value")
    preview_rows = gr.JSON(visible=False, elem_id="data-preview")
    other_components = []
    for group in GROUPS:
        with ctx.ui(gr.Accordion(ctx.t(f"group_{group}"), open=False), f"group_{group}"):
            for spec in [s for s in others if s.group == group]:
                other_components.append(ctx.field(make_component(spec, ctx.lang), spec.name))
    form = [model, template, method, stage, data_dir, datasets, output, *other_components]
    with gr.Row():
        preview_cmd = ctx.ui(gr.Button(ctx.t("preview_cmd"), elem_id="btn-preview-cmd"), "preview_cmd", "value")
        start = ctx.ui(gr.Button(ctx.t("start"), variant="primary", elem_id="btn-start"), "start", "value")
        stop = ctx.ui(gr.Button(ctx.t("abort"), variant="stop", elem_id="btn-abort"), "abort", "value")
    command = ctx.ui(gr.Textbox(label=ctx.t("command"), interactive=False, elem_id="preview-command"), "command")
    yaml_box = ctx.ui(gr.Code(label=ctx.t("yaml"), language="yaml", interactive=False), "yaml")
    panel = job_panel.build(ctx, lang_box)
    with gr.Row():
        runs = ctx.ui(gr.Dropdown(past_runs(ws.output_root), label=ctx.t("past_runs"), elem_id="past-runs",
                                  scale=3), "past_runs")
        refresh_runs = ctx.ui(gr.Button(ctx.t("refresh"), size="sm"), "refresh", "value")
        load_runs = ctx.ui(gr.Button(ctx.t("load_settings"), size="sm"), "load_settings", "value")

    def on_model(path):
        return gr.update(value=guess_template(path) or "") if path else gr.update()

    def on_data_dir(path):
        try:
            return gr.update(choices=dataset_names(ws.data_dir(path)), value=[])
        except UserError as exc:
            return gr.update(choices=[], value=[], info=exc.format())

    def on_preview_data(path, names):
        from tuneforge.config.data import DataConfig
        from tuneforge.config.stages import STAGE_NEEDS
        from tuneforge.data.load import load_data

        if not names:
            return gr.update(visible=False)
        try:
            cfg = DataConfig(dataset=",".join(names), dataset_dir=str(ws.data_dir(path)), max_samples=3)
            examples = load_data(cfg, stage=STAGE_NEEDS["sft"], seed=0).train
            return gr.update(value=[e.__dict__ for e in examples[:6]], visible=True)
        except UserError as exc:
            return gr.update(value={"error": exc.format()}, visible=True)

    def on_preview_cmd(lang, *values):
        try:
            argv = jobs.cli_argv("train", assemble(ctx, primary, others, list(values)))
        except UserError as exc:
            return f"error: {exc.format()}", ""
        keys = dict(arg.split("=", 1) for arg in argv[2:])
        return jobs.shell_command(argv), yaml.safe_dump(keys, sort_keys=False, allow_unicode=True)

    def on_start(lang, *values):
        try:
            keys = assemble(ctx, primary, others, list(values))
        except UserError as exc:
            return None, f"error: {exc.format()}"
        argv = jobs.cli_argv("train", keys)
        folder = jobs.new_job_folder(ws.output_root, "train")
        jobs.start(argv, folder, Path(keys["output_dir"]))
        return str(folder), job_panel.status_markdown(str(folder), lang)

    def on_abort(folder, lang):
        if folder:
            jobs.abort(Path(folder))
        return job_panel.status_markdown(folder, lang)

    def on_load_run(run):
        if not run:
            return [gr.update() for _ in form]
        settings = run_settings(ctx.workspace.inside(run, ws.output_root, "past_runs"))
        updates = []
        for spec, component in zip(primary + others, form):
            value = settings.get(spec.name, spec.default)
            if spec.name == "dataset":
                value = [n.strip() for n in (value or "").split(",") if n.strip()]
            elif value is None:
                value = "" if spec.kind in ("str", "choice") and spec.name != "template" else value
            updates.append(gr.update(value=value if value is not None else ""))
        return updates

    model.change(on_model, model, template)
    data_dir.change(on_data_dir, data_dir, datasets)
    preview_btn.click(on_preview_data, [data_dir, datasets], preview_rows)
    preview_cmd.click(on_preview_cmd, [lang_box, *form], [command, yaml_box])
    start.click(on_start, [lang_box, *form], [panel.folder, panel.status])
    stop.click(on_abort, [panel.folder, lang_box], panel.status)
    refresh_runs.click(lambda: gr.update(choices=past_runs(ws.output_root)), None, runs)
    load_runs.click(on_load_run, runs, form)
    return panel
