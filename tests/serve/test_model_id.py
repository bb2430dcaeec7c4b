"""The model id `tuneforge api` reports on GET /v1/models: the model's or the run's name, never the YAML's
file name (the served run folder's name is checked live in test_finetuned, the CLI in test_api_cli)."""
from __future__ import annotations

import pytest


@pytest.mark.parametrize("keys,expected", [
    ("model_name_or_path: {tiny}\ntemplate: qwen\n", "tiny-qwen"),
    ("model_name_or_path: {tiny}/\n", "tiny-qwen"),
    ("model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct\ntemplate: qwen\n", "Qwen2.5-0.5B-Instruct"),
    ("model_name_or_path: {tiny}\nadapter_name_or_path: saves/first, saves/identity-lora/\n", "identity-lora"),
], ids=["model folder", "trailing slash", "hub id", "last adapter"])
def test_yaml_is_served_under_the_model_or_adapter_name(tiny_qwen, tmp_path, keys, expected):
    from tuneforge.cli.source import load_command_config
    from tuneforge.serve.app import model_id

    path = tmp_path / "infer.yaml"
    path.write_text(keys.format(tiny=tiny_qwen))
    assert model_id(load_command_config([str(path)], "api").model) == expected
