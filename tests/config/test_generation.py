"""Where unset sampling keys come from: the model's own generation config (transformers' GenerationConfig, as
the model folder saves it), else LLaMA-Factory's values; temperature 0 is greedy whatever do_sample says."""
from __future__ import annotations

import pytest

from tuneforge.config.generation import LF_SAMPLING, GenerationConfig
from tuneforge.config.load import load_run_config


def _sampling(gen: GenerationConfig) -> dict:
    return {key: getattr(gen, key) for key in LF_SAMPLING}


def test_a_model_that_does_not_sample_is_decoded_greedily():
    from transformers import GenerationConfig as ModelGeneration

    kwargs = GenerationConfig().resolved(ModelGeneration(do_sample=False)).generate_kwargs()
    assert kwargs == {"do_sample": False, "num_beams": 1, "repetition_penalty": 1.0, "length_penalty": 1.0,
                      "max_new_tokens": 1024}


def test_a_model_that_samples_brings_its_own_values():
    from transformers import GenerationConfig as ModelGeneration

    qwen_instruct = ModelGeneration(do_sample=True, temperature=0.7, top_p=0.8, top_k=20, repetition_penalty=1.05)
    assert _sampling(GenerationConfig().resolved(qwen_instruct)) == {
        "do_sample": True, "temperature": 0.7, "top_p": 0.8, "top_k": 20, "repetition_penalty": 1.05}
    # A key the config sets wins over the model's.
    assert _sampling(GenerationConfig(top_p=0.5).resolved(qwen_instruct))["top_p"] == 0.5


@pytest.mark.parametrize("keys,expected", [
    ({"do_sample": True}, {"do_sample": True, "temperature": 0.95, "top_p": 0.7, "top_k": 50,
                           "repetition_penalty": 1.0}),
    ({"temperature": 0.5}, {"do_sample": True, "temperature": 0.5, "top_p": 0.7, "top_k": 50,
                            "repetition_penalty": 1.0}),
    ({"temperature": 0, "do_sample": True}, {"do_sample": False, "temperature": 0.0, "top_p": 0.7, "top_k": 50,
                                             "repetition_penalty": 1.0}),
], ids=["do_sample on a greedy model", "a positive temperature samples", "temperature 0 is greedy"])
def test_set_keys_on_a_greedy_model_fill_the_rest_with_llamafactory_values(keys, expected):
    from transformers import GenerationConfig as ModelGeneration

    cfg = load_run_config({"model_name_or_path": "m", **keys}, command="chat")
    assert _sampling(cfg.generation.resolved(ModelGeneration(do_sample=False))) == expected


def test_without_a_model_llamafactory_values_apply():
    assert GenerationConfig().generate_kwargs() == {
        "do_sample": True, "num_beams": 1, "repetition_penalty": 1.0, "length_penalty": 1.0,
        "max_new_tokens": 1024, "temperature": 0.95, "top_p": 0.7, "top_k": 50}


def test_unset_sampling_keys_are_saved_unset():
    flat = load_run_config({"model_name_or_path": "m", "top_k": 5}, command="chat").to_flat()
    assert {key: flat[key] for key in LF_SAMPLING} == {"do_sample": None, "temperature": None, "top_p": None,
                                                      "top_k": 5, "repetition_penalty": None}
