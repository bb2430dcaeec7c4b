"""The language switch without a browser: the page's language box offers every UI language, and its change
event relabels the page's components (buttons, tabs, config fields) in the chosen language."""
from __future__ import annotations

import pytest

from tests.conftest import DATA_DIR
from tuneforge.webui.i18n import LANGUAGES
from tuneforge.webui.paths import Workspace

# What the Train tab shows in each language: (Start button, Abort button, the model_name_or_path field).
EXPECTED = {
    "en": ("Start", "Abort", "model_name_or_path"),
    "zh": ("开始", "中止", "模型路径 (model_name_or_path)"),
    "ru": ("Начать", "Прервать", "Путь к модели (model_name_or_path)"),
    "ko": ("시작", "중단", "모델 경로 (model_name_or_path)"),
    "ja": ("開始", "中断", "モデルパス (model_name_or_path)"),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    pytest.importorskip("gradio")
    from tuneforge.webui.app import create_app

    return create_app(Workspace(DATA_DIR, tmp_path_factory.mktemp("webui") / "saves"))


def _relabel_event(app):
    """The language box's change event: (its dropdown, the function, the components it updates)."""
    (event,) = [f for f in app.fns.values() if getattr(f.fn, "__name__", "") == "relabel"]
    return event.inputs[0], event.fn, event.outputs


def test_the_language_box_offers_llamafactorys_five_languages(app):
    assert set(LANGUAGES) == {"en", "zh", "ru", "ko", "ja"}
    box, _, _ = _relabel_event(app)
    assert box.elem_id == "lang"
    assert [value for _, value in box.choices] == list(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_switching_language_relabels_buttons_tabs_and_fields(app, lang):
    _, relabel, outputs = _relabel_event(app)
    updates = relabel(lang)
    assert len(updates) == len(outputs)
    shown = {}
    for component, update in zip(outputs, updates):
        if component.elem_id:
            shown[component.elem_id] = update.get("value", update.get("label"))
    start, abort, model = EXPECTED[lang]
    assert shown["btn-start"] == start and shown["btn-abort"] == abort
    assert shown["field-model_name_or_path"] == model
    if lang != "en":  # every config field on the page gets a translated label, never the bare key
        fields = {elem_id: label for elem_id, label in shown.items() if elem_id.startswith("field-")}
        assert fields and all(label != elem_id.removeprefix("field-") for elem_id, label in fields.items())
