"""The Chat tab: load a run folder (base + adapter + its template) or a model, talk to it (with an image, for a
vision-language model), optionally see the base model's answer beside it, unload. Replies come from the
shared inference engine."""
from __future__ import annotations

from dataclasses import dataclass, field

from tuneforge.core.errors import UserError
from tuneforge.templates.registry import TEMPLATES
from tuneforge.webui.context import UIContext
from tuneforge.webui.models import past_runs


@dataclass
class LoadedModels:
    """Engines held by this page's server (models are too large to keep per browser session)."""
    tuned: object | None = None
    base: object | None = None
    name: str = ""
    history: list = field(default_factory=list)


def _base_of(path: str) -> str | None:
    from pathlib import Path

    from tuneforge.artifacts.run_dir import CONFIG_FILE, RunDir

    folder = Path(path)
    if (folder / CONFIG_FILE).is_file() and RunDir(folder).is_adapter:
        return RunDir(folder).run_config().model.model_name_or_path
    return None


def build(ctx: UIContext, preset: str | None = None):
    """The chat components; with `preset` (webchat), that model is filled in. Returns the load event's
    trigger arguments so a page can load the preset when it opens."""
    import gradio as gr

    from tuneforge.inference.hf import HFEngine

    loaded = LoadedModels()
    ws = ctx.workspace
    with gr.Row():
        source = ctx.ui(gr.Dropdown(past_runs(ws.output_root), value=preset, allow_custom_value=True, scale=3,
                                    label=ctx.t("adapter_run"), elem_id="chat-model"), "adapter_run")
        template = ctx.field(gr.Dropdown([""] + sorted(TEMPLATES), value="", label="template",
                                         elem_id="chat-template"), "template")
        load = ctx.ui(gr.Button(ctx.t("chat_load"), variant="primary", elem_id="chat-load"), "chat_load", "value")
        unload = ctx.ui(gr.Button(ctx.t("chat_unload"), elem_id="chat-unload"), "chat_unload", "value")
    status = gr.Markdown(ctx.t("chat_not_loaded"), elem_id="chat-status")
    system = ctx.ui(gr.Textbox(label=ctx.t("system"), elem_id="chat-system"), "system")
    compare = ctx.ui(gr.Checkbox(label=ctx.t("chat_compare"), elem_id="chat-compare"), "chat_compare")
    with gr.Row():
        tuned_box = ctx.ui(gr.Chatbot(label=ctx.t("chat_tuned"), elem_id="chat-tuned", height=320), "chat_tuned")
        base_box = ctx.ui(gr.Chatbot(label=ctx.t("chat_base"), elem_id="chat-base", height=320, visible=False),
                          "chat_base")
    with gr.Row():
        message = ctx.ui(gr.Textbox(label=ctx.t("chat_input"), scale=4, elem_id="chat-input"), "chat_input")
        image = ctx.ui(gr.Image(type="filepath", sources=["upload"], label=ctx.t("chat_image"), scale=1,
                                height=120, elem_id="chat-image"), "chat_image")
        send = ctx.ui(gr.Button(ctx.t("chat_send"), variant="primary", elem_id="chat-send"), "chat_send", "value")
        clear = ctx.ui(gr.Button(ctx.t("chat_clear"), elem_id="chat-clear"), "chat_clear", "value")

    def on_load(path, template_name, want_base):
        try:
            folder = str(ws.inside(path, ws.output_root, "model")) if path and not _looks_like_hub(path) else path
            if not folder:
                raise UserError("choose a run folder or a model", field="model")
            loaded.tuned = HFEngine.load(folder, template=template_name or None)
            base = _base_of(folder)
            loaded.base = HFEngine.load(base, template=loaded.tuned.template.name if loaded.tuned.template
                                        else None) if (want_base and base) else None
            loaded.name = folder
            return f"{ctx.t('chat_loaded')}: `{folder}`"
        except UserError as exc:
            return f"error: {exc.format()}"

    def on_unload():
        loaded.tuned = loaded.base = None
        return ctx.t("chat_unloaded"), [], []

    def on_send(text, image_path, system_prompt, tuned_history, base_history, want_base):
        if loaded.tuned is None:
            return "", image_path, tuned_history, base_history, ctx.t("chat_not_loaded")
        if image_path and getattr(loaded.tuned, "media", None) is None:
            return text, image_path, tuned_history, base_history, f"error: {ctx.t('chat_text_only')}"
        prefix = [{"role": "system", "content": system_prompt}] if system_prompt else []
        content = [{"type": "file", "file": {"path": image_path}}] if image_path else []
        turn = [{"role": "user", "content": content + [{"type": "text", "text": text}]}]
        try:
            tuned_history = list(tuned_history) + turn
            messages, media = _plain(tuned_history)
            tuned_history.append({"role": "assistant",
                                  "content": loaded.tuned.chat(prefix + messages, media=media, max_new_tokens=128)})
            if want_base and loaded.base is not None:
                base_history = list(base_history) + turn
                messages, media = _plain(base_history)
                base_history.append({"role": "assistant", "content": loaded.base.chat(
                    prefix + messages, media=media, max_new_tokens=128)})
        except UserError as exc:
            return text, image_path, tuned_history[:-1], base_history, f"error: {exc.format()}"
        return "", None, tuned_history, base_history, gr.update()

    load.click(on_load, [source, template, compare], status)
    unload.click(on_unload, None, [status, tuned_box, base_box])
    compare.change(lambda on: gr.update(visible=on), compare, base_box)
    for trigger in (send.click, message.submit):
        trigger(on_send, [message, image, system, tuned_box, base_box, compare],
                [message, image, tuned_box, base_box, status])
    clear.click(lambda: ([], []), None, [tuned_box, base_box])
    return on_load, [source, template, compare], status


def _plain(history: list):
    """Gradio message dicts → (plain role/content dicts, Media) for the engine: each image part of a message
    becomes an <image> placeholder where it stands, its file (in gradio's upload cache) one of the images."""
    from tuneforge.core.media import PLACEHOLDERS
    from tuneforge.data.example import Media

    image_mark = PLACEHOLDERS["images"]
    messages, images = [], []
    for m in history:
        if isinstance(m["content"], str):
            messages.append({"role": m["role"], "content": m["content"]})
            continue
        text = ""
        for part in m["content"]:
            path = (part.get("file") or {}).get("path") if isinstance(part, dict) else None
            if path and part.get("type") == "file":
                images.append(path)
                text += image_mark
            elif isinstance(part, dict) and part.get("text"):
                text += (" " if text and not text.endswith(image_mark) else "") + part["text"]
        messages.append({"role": m["role"], "content": text})
    return messages, Media(images=tuple(images))


def _looks_like_hub(path: str) -> bool:
    from pathlib import Path

    return not Path(path).exists() and path.count("/") == 1 and not path.startswith((".", "/", "~"))
