"""The web UI page: language switch and the tabs. `create_app(workspace)` returns the gradio Blocks."""
from __future__ import annotations

from pathlib import Path

from tuneforge.webui import jobs
from tuneforge.webui.context import UIContext
from tuneforge.webui.i18n import LANGUAGES
from tuneforge.webui.paths import Workspace
from tuneforge.webui.tabs import chat, commands, train


def create_app(workspace: Workspace, lang: str = "en"):
    import gradio as gr

    ctx = UIContext(workspace, lang)
    with gr.Blocks(title="tuneforge") as app:
        with gr.Row():
            ctx.ui(gr.Markdown(ctx.t("title"), elem_id="title"), "title", "value")
            lang_box = ctx.ui(gr.Dropdown(list(LANGUAGES), value=lang, label=ctx.t("lang"), elem_id="lang",
                                          scale=0, min_width=160), "lang")
        with gr.Tabs():
            with ctx.ui(gr.Tab(ctx.t("tab_train"), elem_id="tab-train"), "tab_train"):
                panel = train.build(ctx, lang_box)
            with ctx.ui(gr.Tab(ctx.t("tab_eval"), elem_id="tab-eval"), "tab_eval"):
                commands.build(ctx, lang_box, (commands.BENCHMARK, commands.PREDICT))
            with ctx.ui(gr.Tab(ctx.t("tab_chat"), elem_id="tab-chat"), "tab_chat"):
                chat.build(ctx)
            with ctx.ui(gr.Tab(ctx.t("tab_export"), elem_id="tab-export"), "tab_export"):
                commands.build(ctx, lang_box, (commands.EXPORT,))
        lang_box.change(ctx.relabel, lang_box, [component for component, *_ in ctx.labelled])

        def reattach():
            folder = jobs.latest_active_job(workspace.output_root)
            active = folder is not None and jobs.status(folder).state in ("running", "aborting")
            return str(folder) if active else None

        app.load(reattach, None, panel.folder)
    return app


def default_workspace(data_dir: str, output_dir: str, model_root: str | None, allow_any_path: bool) -> Workspace:
    output = Path(output_dir).resolve()
    output.mkdir(parents=True, exist_ok=True)
    return Workspace(Path(data_dir).resolve(), output, Path(model_root).resolve() if model_root else None,
                     allow_any_path)
