"""Tabs that run one `tuneforge <command>` on a model or run folder and show its result files: Evaluate &
Predict (benchmarks, batch prediction) and Export. The work is done by the CLI in a subprocess."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.webui import jobs
from tuneforge.webui.context import UIContext
from tuneforge.webui.forms import field_specs, make_component, to_value
from tuneforge.webui.models import dataset_names, past_runs
from tuneforge.webui.tabs import job_panel


@dataclass(frozen=True)
class CommandForm:
    command: str            # tuneforge sub-command
    button: str             # UI string key of its button
    keys: tuple[str, ...]   # config keys shown as fields
    result_key: str         # the key naming the folder its results land in
    result_files: tuple[str, ...]


BENCHMARK = CommandForm("eval", "eval_run_bench", ("task", "task_dir", "lang", "n_shot", "batch_size", "save_dir"),
                        "save_dir", ("results.json",))
PREDICT = CommandForm("predict", "eval_run_predict", ("eval_dataset", "dataset_dir", "max_samples", "cutoff_len",
                                                      "max_new_tokens", "output_dir"),
                      "output_dir", ("predict_results.json", "all_results.json"))
EXPORT = CommandForm("export", "export_run", ("export_dir", "export_format", "gguf_type", "export_size",
                                              "export_legacy_format", "export_verify"),
                     "export_dir", ("export_verification.json", "verify.json"))
_SPECS = {s.name: s for g in ("data", "evaluate", "export", "generation", "train") for s in field_specs(g)}


def results(folder: str | None) -> dict:
    """The result files of the job's output folder, once it has finished."""
    if not folder or jobs.status(Path(folder)).state != "finished":
        return {}
    out_dir = jobs.read_job(Path(folder)).get("output_dir")
    found = {}
    for path in sorted(Path(out_dir).glob("*.json")) if out_dir else []:
        try:
            found[path.name] = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
    return found


def build_form(ctx: UIContext, lang_box, source, form: CommandForm) -> None:
    import gradio as gr

    ws = ctx.workspace
    fields = []
    with gr.Row():
        for key in form.keys:
            spec = _SPECS[key]
            if key == "eval_dataset":
                component = gr.Dropdown(dataset_names(ws.data_root), multiselect=True, label=key,
                                        elem_id=f"{form.command}-{key}")
            elif key == "dataset_dir":
                component = gr.Textbox(str(ws.data_root), label=key, elem_id=f"{form.command}-{key}")
            else:
                component = make_component(spec, ctx.lang, elem_id=f"{form.command}-{key}")
            fields.append(ctx.field(component, key))
    run = ctx.ui(gr.Button(ctx.t(form.button), variant="primary", elem_id=f"btn-{form.command}"), form.button,
                 "value")
    panel = job_panel.build(ctx, lang_box, with_plot=False, prefix=form.command)
    shown = ctx.ui(gr.JSON(label=ctx.t("eval_results"), elem_id=f"{form.command}-results"), "eval_results")

    def on_run(lang, model, *values):
        try:
            if not model:
                raise UserError("choose a run folder or a model", field="model")
            keys = {}
            for key, raw in zip(form.keys, values):
                value = ",".join(raw) if isinstance(raw, list) else to_value(_SPECS[key], raw)
                if value not in (None, ""):
                    keys[key] = value
            if form.result_key not in keys:
                raise UserError("is required", field=form.result_key)
            keys[form.result_key] = str(ws.output_dir(keys[form.result_key]))
            if "dataset_dir" in keys:
                keys["dataset_dir"] = str(ws.data_dir(keys["dataset_dir"]))
            source_path = str(ws.inside(model, ws.output_root, "model")) if Path(model).exists() else model
        except UserError as exc:
            return None, f"error: {exc.format()}"
        folder = jobs.new_job_folder(ws.output_root, form.command)
        jobs.start(jobs.cli_argv(form.command, keys, source=source_path), folder, Path(keys[form.result_key]))
        return str(folder), job_panel.status_markdown(str(folder), lang)

    run.click(on_run, [lang_box, source, *fields], [panel.folder, panel.status])
    gr.Timer(2.0).tick(results, panel.folder, shown)


def build(ctx: UIContext, lang_box, forms: tuple[CommandForm, ...]) -> None:
    import gradio as gr

    source = ctx.ui(gr.Dropdown(past_runs(ctx.workspace.output_root), allow_custom_value=True,
                                label=ctx.t("adapter_run"), elem_id=f"{forms[0].command}-model"), "adapter_run")
    for form in forms:
        with ctx.ui(gr.Accordion(ctx.t(form.button), open=True), form.button):
            build_form(ctx, lang_box, source, form)
