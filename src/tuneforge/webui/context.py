"""What the tabs share while the page is built: the workspace, the starting language, and every labelled
component with how its label is made — so switching language updates every label in one event."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tuneforge.webui.i18n import field_label, text
from tuneforge.webui.paths import Workspace


@dataclass
class UIContext:
    workspace: Workspace
    lang: str = "en"
    # (component, attribute to update, "ui"/"field", key); filled while the Blocks are built.
    labelled: list[tuple[Any, str, str, str]] = field(default_factory=list)

    def t(self, key: str) -> str:
        return text(key, self.lang)

    def ui(self, component, key: str, attribute: str = "label"):
        """Register a component whose `attribute` shows the UI string `key`."""
        self.labelled.append((component, attribute, "ui", key))
        return component

    def field(self, component, name: str):
        self.labelled.append((component, "label", "field", name))
        return component

    def relabel(self, lang: str) -> list[dict]:
        import gradio as gr

        return [gr.update(**{attribute: text(key, lang) if kind == "ui" else field_label(key, lang)})
                for _, attribute, kind, key in self.labelled]
