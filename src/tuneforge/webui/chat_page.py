"""`tuneforge webchat RUN`: a page with only the chat, the given run folder or model loaded on open."""
from __future__ import annotations

from pathlib import Path

from tuneforge.webui.context import UIContext
from tuneforge.webui.i18n import LANGUAGES
from tuneforge.webui.paths import Workspace
from tuneforge.webui.tabs import chat


def create_chat_app(model: str, lang: str = "en"):
    import gradio as gr

    folder = Path(model).resolve()
    # The operator named this model on the command line; the page may only load it (or its siblings).
    ctx = UIContext(Workspace(data_root=folder.parent, output_root=folder.parent), lang)
    with gr.Blocks(title="tuneforge chat") as app:
        with gr.Row():
            ctx.ui(gr.Markdown(ctx.t("title")), "title", "value")
            lang_box = ctx.ui(gr.Dropdown(list(LANGUAGES), value=lang, label=ctx.t("lang"), scale=0,
                                          min_width=160), "lang")
        load, inputs, status = chat.build(ctx, preset=str(folder) if folder.exists() else model)
        lang_box.change(ctx.relabel, lang_box, [component for component, *_ in ctx.labelled])
        app.load(load, inputs, status)
    return app
