"""stop_token_ids: the one derivation of the ids that end an assistant turn (training's generation_config,
the chat/API/predict engines, vLLM, PPO rollouts, export)."""
from __future__ import annotations

from tests.templates.support import fixture_dir, shared_fixture_tokenizer, tiny_tokenizer, tiny_tokenizer_for
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import generation_eos_ids, stop_token_ids


def test_template_stop_words_first_then_eos_each_once():
    qwen = get_template("qwen")
    tok = shared_fixture_tokenizer("qwen2_5_general_npm")  # eos is <|im_end|> itself: listed once
    assert stop_token_ids(tok, qwen) == [tok.convert_tokens_to_ids("<|im_end|>")]
    phi = tiny_tokenizer(("<|end|>", "<|endoftext|>"), eos="<|endoftext|>")
    assert stop_token_ids(phi, get_template("phi")) == [phi.convert_tokens_to_ids("<|end|>"), phi.eos_token_id]
    assert get_template("phi").stop_token_ids(phi) == stop_token_ids(phi, get_template("phi"))


def test_a_stop_word_the_tokenizer_lacks_is_left_out_never_mapped_to_unk():
    tok = shared_fixture_tokenizer("mistral")  # has <unk>: an absent token would map to it
    assert tok.convert_tokens_to_ids("<|im_end|>") == tok.unk_token_id
    assert stop_token_ids(tok, get_template("qwen")) == [tok.eos_token_id]


def test_templates_that_end_with_eos_stop_at_the_tokenizers_eos():
    spec = get_template("llama2")
    tok = tiny_tokenizer_for(spec)
    assert stop_token_ids(tok, spec) == [tok.eos_token_id]


def test_without_a_template_the_models_own_eos_ids_count():
    from transformers import GenerationConfig

    tok = shared_fixture_tokenizer("phi3")
    own = GenerationConfig.from_pretrained(fixture_dir("phi3"))  # Phi-3.5: eos_token_id [32007, 32001, 32000]
    assert stop_token_ids(tok, None) == [tok.eos_token_id]
    assert stop_token_ids(tok, None, generation_eos_ids(own)) == [32000, 32007, 32001]
    assert generation_eos_ids(GenerationConfig(eos_token_id=5)) == [5] and generation_eos_ids(None) == []
