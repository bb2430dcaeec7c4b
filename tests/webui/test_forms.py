"""Forms are generated from the config dataclasses; defaults round-trip to an empty change set; every key
has a Chinese label; paths typed into the page stay inside the configured folders."""
from __future__ import annotations

import dataclasses

import pytest

from tuneforge.config.run import GROUPS
from tuneforge.core.errors import UserError
from tuneforge.webui.forms import AUTO, changed_keys, field_specs, to_value
from tuneforge.webui.i18n import _strings, field_label, text
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


def test_every_key_and_ui_string_is_translated():
    for group in GROUPS:
        for spec in field_specs(group):
            assert field_label(spec.name, "zh") != spec.name, spec.name
    assert set(_strings("en")["ui"]) == set(_strings("zh")["ui"])
    assert text("start", "zh") == "开始" and text("start", "en") == "Start"


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
