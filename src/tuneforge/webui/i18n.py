"""UI strings in English, Chinese, Russian, Korean and Japanese (LLaMA-Factory's UI languages), read from
strings/<lang>.json (data, not code). Config keys are labelled with a short translated name beside the key
itself, so YAML users always recognise the field."""
from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("en", "zh", "ru", "ko", "ja")


@cache
def _strings(lang: str) -> dict:
    return json.loads(resources.files("tuneforge.webui").joinpath("strings", f"{lang}.json").read_text("utf-8"))


def text(key: str, lang: str) -> str:
    """A UI string; English when a language lacks it."""
    return _strings(lang)["ui"].get(key) or _strings("en")["ui"].get(key, key)


def field_label(name: str, lang: str) -> str:
    """'Learning rate (learning_rate)' style label for a config key."""
    if lang == "en":
        return name
    translated = _strings(lang)["fields"].get(name)
    return f"{translated} ({name})" if translated else name
