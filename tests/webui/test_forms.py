"""Forms are generated from the config dataclasses; defaults round-trip to an empty change set; every key
has a label in every UI language besides English; paths typed into the page stay inside the configured folders."""
from __future__ import annotations

import dataclasses

import pytest

from tuneforge.config.run import GROUPS
from tuneforge.core.errors import UserError
from tuneforge.webui.forms import AUTO, changed_keys, field_specs, to_value
from tuneforge.webui.i18n import LANGUAGES, _strings, field_label, text
from tuneforge.webui.paths import Workspace


def test_every_config_key_becomes_a_field_and_defaults_change_nothing():
    for group, cls in GROUPS.items():
        specs = field_specs(group)
        assert [s.name for s in specs] == [f.name for f in dataclasses.fields(cls)]
        # What an untouched form sends back: defaults, with "" / "auto" for unset optional keys.
        untouched = [AUTO if s.kind == "bool" and s.optional else ("" if s.default is None else s.default)
                     for s in specs]
        assert changed_keys(specs, untouched) == {}, group


def test_optional_keys_can_be_unset_and_numbers_parse():
    specs = {s.name: s for s in field_specs("data")}
    assert to_value(specs["packing"], AUTO) is None and to_value(specs["packing"], "true") is True
    assert to_value(specs["max_samples"], "") is None and to_value(specs["max_samples"], "50") == 50
    assert to_value(specs["max_samples"], "fifty") == "fifty"  # left for config validation to name


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_key_and_ui_string_is_translated(lang):
    for group in GROUPS:
        for spec in field_specs(group):
            assert field_label(spec.name, lang) != spec.name, (lang, spec.name)
    assert set(_strings("en")["ui"]) == set(_strings(lang)["ui"])
    for key, label in _strings(lang)["fields"].items():  # no placeholder: empty, or the key name itself
        assert label.strip() and label != key, (lang, key)
    for key, english in _strings("en")["ui"].items():
        assert _strings(lang)["ui"][key].strip(), (lang, key)
        if key != "yaml":  # "YAML" is "YAML" in every language
            assert _strings(lang)["ui"][key] != english, (lang, key)


def test_every_zh_label_has_a_ru_ko_ja_label():
    for lang in ("ru", "ko", "ja"):
        assert set(_strings("zh")["fields"]) <= set(_strings(lang)["fields"]), lang


@pytest.mark.parametrize("lang, start, abort", [("en", "Start", "Abort"), ("zh", "开始", "中止"),
                                               ("ru", "Начать", "Прервать"), ("ko", "시작", "중단"),
                                               ("ja", "開始", "中断")])
def test_ui_strings_are_the_languages_own(lang, start, abort):
    assert text("start", lang) == start and text("abort", lang) == abort


def test_paths_stay_inside_the_workspace(tmp_path):
    ws = Workspace(data_root=tmp_path / "data", output_root=tmp_path / "saves")
    assert ws.output_dir("run1") == (tmp_path / "saves" / "run1").resolve()
    with pytest.raises(UserError, match="outside the allowed folder"):
        ws.output_dir("../../etc")
    with pytest.raises(UserError, match="outside the allowed folder"):
        ws.data_dir("/etc")
    assert Workspace(tmp_path / "data", tmp_path / "saves", allow_any_path=True).data_dir("/etc") == \
        __import__("pathlib").Path("/etc")
    assert ws.model("Qwen/Qwen2.5-7B-Instruct") == "Qwen/Qwen2.5-7B-Instruct"
