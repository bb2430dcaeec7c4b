"""The score head of a reward model: loading a causal LM under a new head prints no load report (lm_head unused
and score initialised are what a reward model is), but any other difference from the checkpoint still does."""
from __future__ import annotations

import shutil

from tuneforge.config.model import ModelConfig
from tuneforge.model.reward import load_score_model

DROPPED = "model.layers.0.mlp.up_proj.weight"


def test_new_score_head_is_quiet_but_a_missing_weight_is_reported(tiny_qwen, tmp_path, caplog):
    from safetensors.torch import load_file, save_file

    model = load_score_model(ModelConfig(model_name_or_path=str(tiny_qwen)), on_gpu=False, pad_token_id=0)
    assert model.score.weight.shape[0] == 1
    assert "LOAD REPORT" not in caplog.text

    broken = tmp_path / "broken"
    shutil.copytree(tiny_qwen, broken)
    weights = load_file(str(broken / "model.safetensors"))
    del weights[DROPPED]
    save_file(weights, str(broken / "model.safetensors"), metadata={"format": "pt"})
    load_score_model(ModelConfig(model_name_or_path=str(broken)), on_gpu=False, pad_token_id=0)
    assert "LOAD REPORT" in caplog.text and DROPPED in caplog.text
