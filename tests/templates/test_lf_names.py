"""Every template name LLaMA-Factory 0.9.5 registers (llamafactory/data/template.py, in its order) is either a
tuneforge template or refused with a stated reason, and a config that names a refused one is told that reason in
one line, through the same look-up that rejects unknown names."""
from __future__ import annotations

from pathlib import Path

import pytest

from tuneforge.core.errors import UserError
from tuneforge.templates.registry import REFUSED_TEMPLATES, TEMPLATES, get_template

LLAMAFACTORY_0_9_5 = [
    "alpaca", "bailing", "bailing_v2", "breeze", "chatglm3", "chatml", "chatml_de", "cohere", "cpm4", "dbrx",
    "deepseek", "deepseek3", "deepseekr1", "hy3", "deepseekcoder", "default", "dots_ocr", "empty", "ernie",
    "ernie_nothink", "ernie_vl", "exaone", "falcon", "falcon_h1", "fewshot", "gemma", "gemma2", "gemma3",
    "gemma3n", "gemma4", "gemma4n", "glm4", "glm4_moe", "glm4v", "glm4_5v", "glm_ocr", "glm4_7", "glmz1",
    "gpt_oss", "granite3", "granite3_vision", "granite4", "index", "hunyuan", "hunyuan_small", "intern2",
    "intern_vl", "intern_s1", "keye_vl", "kimi_vl", "lfm2", "lfm2_vl", "llama2", "llama2_zh", "llama3",
    "llama4", "mllama", "moonlight", "llava", "llava_next", "llava_next_llama3", "llava_next_mistral",
    "llava_next_qwen", "llava_next_yi", "llava_next_video", "llava_next_video_mistral", "llava_next_video_yi",
    "mimo", "mimo_v2", "mimo_vl", "minicpm_v", "minicpm_v_4_6", "minicpm_o", "minimax1", "minimax2",
    "ministral", "mistral", "mistral_small", "ministral3", "olmo", "openchat", "openchat-3.6", "opencoder",
    "paligemma", "paligemma_chat", "phi", "phi_small", "phi4", "phi4_mini", "pixtral", "qwen", "qwen3",
    "qwen3_nothink", "qwen2_audio", "qwen2_omni", "qwen3_omni", "qwen3_omni_nothink", "qwen2_vl", "qwen3_vl",
    "qwen3_vl_nothink", "qwen3_5", "qwen3_5_nothink", "qwen3_6", "sailor", "seed_coder", "seed_oss", "smollm",
    "smollm2", "solar", "starchat", "telechat2", "vicuna", "video_llava", "xuanyuan", "yi", "yi_vl", "youtu",
    "youtu_vl", "yuan", "zephyr", "aeva",
]


def test_the_list_is_llamafactorys_121_names():
    assert len(LLAMAFACTORY_0_9_5) == len(set(LLAMAFACTORY_0_9_5)) == 121


@pytest.mark.parametrize("name", LLAMAFACTORY_0_9_5)
def test_each_name_is_registered_or_refused(name):
    assert (name in TEMPLATES) != (name in REFUSED_TEMPLATES), name


def test_only_llamafactory_names_are_refused():
    assert set(REFUSED_TEMPLATES) <= set(LLAMAFACTORY_0_9_5)
    assert not set(REFUSED_TEMPLATES) & set(TEMPLATES)


@pytest.mark.parametrize("name", sorted(REFUSED_TEMPLATES))
def test_a_refused_name_gives_its_reason_in_one_line(name):
    reason = REFUSED_TEMPLATES[name]
    assert reason.strip() and "\n" not in reason
    with pytest.raises(UserError) as err:
        get_template(name)
    assert err.value.field == "template"
    assert str(err.value) == f"template — template '{name}' is not supported: {reason}"
    for suggested in reason.split("use '")[1:]:  # a template the reason suggests instead is registered
        assert suggested.split("'")[0] in TEMPLATES


def test_multimodal_names_tuneforge_supports_are_registered_not_refused():
    assert {"qwen2_vl", "qwen3_vl", "qwen3_vl_nothink", "llava", "llava_next"} <= set(TEMPLATES)
    assert all(TEMPLATES[name].vision for name in ("qwen2_vl", "qwen3_vl", "llava", "llava_next"))


def test_a_config_naming_a_refused_template_fails_with_the_reason(tmp_path: Path):
    from tests.conftest import sft_config
    from tuneforge.config.load import load_run_config
    from tuneforge.training.prepare import stage_template

    cfg = load_run_config(sft_config(tmp_path / "model", tmp_path / "out", template="pixtral"))
    with pytest.raises(UserError) as err:
        stage_template(cfg)
    message = str(err.value)
    assert "\n" not in message and REFUSED_TEMPLATES["pixtral"] in message and "'ministral'" in message


def test_an_unknown_name_still_suggests_the_closest():
    with pytest.raises(UserError, match="unknown template 'qwen35'.*did you mean"):
        get_template("qwen35")
