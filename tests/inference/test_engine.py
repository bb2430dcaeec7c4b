"""The HF engine: batched greedy generation equals one-by-one, streamed pieces join to the whole reply, the
template's end-of-turn token stops a reply, per-call sampling values apply, stop strings are cut off."""
from __future__ import annotations

import pytest

from tuneforge.core.errors import UserError

PROMPTS = ("Who are you?", "Tell me a fact about France, please, in one short sentence.", "你是谁？", "hi")


@pytest.fixture(scope="module")
def engine(tiny_qwen):
    from tuneforge.inference.hf import HFEngine

    return HFEngine.load(tiny_qwen, template="qwen")


@pytest.fixture(scope="module")
def llama_engine(tiny_llama):
    from tuneforge.inference.hf import HFEngine

    return HFEngine.load(tiny_llama, template="llama3")


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


@pytest.mark.parametrize("which", ["engine", "llama_engine"])
def test_batched_greedy_generation_equals_one_by_one(which, request):
    from tuneforge.inference.engine import Sampling

    engine = request.getfixturevalue(which)
    prompts = [engine.prompt_ids(_ask(p)) for p in PROMPTS]
    assert len({len(p) for p in prompts}) > 1, "prompts of different lengths, so the batch is padded"
    sampling = Sampling(max_new_tokens=24, do_sample=False)
    batched = engine.generate(prompts, sampling=sampling)
    single = [engine.generate([p], sampling=sampling)[0] for p in prompts]
    assert [c.text for c in batched] == [c.text for c in single]
    assert [c.completion_tokens for c in batched] == [c.completion_tokens for c in single]
    assert all(c.text for c in batched)


def test_stream_pieces_join_to_the_whole_reply(engine):
    from tuneforge.inference.engine import Sampling

    for text in PROMPTS:
        sampling = Sampling(max_new_tokens=32, do_sample=False)
        whole = engine.complete(_ask(text), sampling=sampling)[0]
        stream = engine.stream(_ask(text), sampling=sampling)
        pieces = list(stream)
        assert len(pieces) > 1
        assert "".join(pieces) == whole.text
        assert stream.completion == whole


def test_stop_strings_are_cut_off_in_whole_and_streamed_replies(engine):
    from tuneforge.inference.engine import Sampling

    full = engine.complete(_ask("Who are you?"), sampling=Sampling(max_new_tokens=32, do_sample=False))[0].text
    stop = full[len(full) // 2:len(full) // 2 + 2]
    sampling = Sampling(max_new_tokens=32, do_sample=False, stop=(stop,))
    cut = engine.complete(_ask("Who are you?"), sampling=sampling)[0]
    assert cut.text == full[:full.find(stop)] and cut.finish_reason == "stop"
    assert "".join(engine.stream(_ask("Who are you?"), sampling=sampling)) == cut.text


def test_end_of_turn_token_stops_generation(engine):
    """The template's stop word (<|im_end|>) is an eos for generation and never part of the reply."""
    from tuneforge.inference.engine import Sampling

    im_end = engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert im_end in engine.stop_ids
    # Force the model to produce <|im_end|> first: every other token is suppressed.
    bad = [[i] for i in range(len(engine.tokenizer)) if i != im_end]
    engine_kwargs = engine.generate_kwargs(Sampling(max_new_tokens=8, do_sample=False))
    import torch

    ids = torch.tensor([engine.prompt_ids(_ask("hi"))])
    out = engine.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), bad_words_ids=bad,
                                **engine_kwargs)
    assert out.shape[1] == ids.shape[1] + 1  # stopped right after <|im_end|>


def test_sampling_values_override_the_config(engine):
    from tuneforge.inference.engine import Sampling

    ask = _ask("Who are you?")
    greedy = engine.complete(ask, sampling=Sampling(max_new_tokens=16, do_sample=False))[0].text
    assert engine.complete(ask, sampling=Sampling(max_new_tokens=16, do_sample=True, temperature=0))[0].text \
        == greedy  # temperature 0 = greedy, as in OpenAI's API
    sampled = Sampling(max_new_tokens=16, do_sample=True, temperature=1.5, seed=7, n=3)
    first, second = engine.complete(ask, sampling=sampled), engine.complete(ask, sampling=sampled)
    assert [c.text for c in first] == [c.text for c in second]  # the seed makes sampling reproducible
    assert len(first) == 3 and len({c.text for c in first}) > 1
    short = engine.complete(ask, sampling=Sampling(max_new_tokens=3, do_sample=False))[0]
    assert short.completion_tokens == 3 and short.finish_reason == "length"


def test_generation_keys_come_from_the_config(tiny_qwen):
    from tuneforge.config.load import load_run_config
    from tuneforge.inference.engine import load_engine

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "template": "qwen", "do_sample": False,
                           "max_new_tokens": 5, "default_system": "You are a test."}, command="chat")
    engine = load_engine(cfg)
    reply = engine.complete(_ask("hi"))[0]
    assert reply.completion_tokens <= 5
    text = engine.tokenizer.decode(engine.prompt_ids(_ask("hi")))
    assert "You are a test." in text and "You are Qwen" not in text


def test_run_folder_without_adapter_files_and_missing_model_are_user_errors(tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.inference.engine import load_engine

    cfg = load_run_config({"model_name_or_path": str(tmp_path / "nope")}, command="chat")
    with pytest.raises(UserError, match="not found"):
        load_engine(cfg)


def test_vllm_backend_without_vllm_is_a_clear_user_error(tiny_qwen):
    try:
        import vllm  # noqa: F401
        pytest.skip("vllm is installed here")
    except ImportError:
        pass
    from tuneforge.config.load import load_run_config
    from tuneforge.inference.engine import load_engine

    cfg = load_run_config({"model_name_or_path": str(tiny_qwen), "infer_backend": "vllm"}, command="chat")
    with pytest.raises(UserError, match="infer_backend — needs the vllm package"):
        load_engine(cfg)


def test_score_is_highest_for_the_greedy_token(engine):
    import torch

    ask = _ask("Who are you?")
    ids = torch.tensor([engine.prompt_ids(ask)])
    with torch.no_grad():
        ranked = engine.model(input_ids=ids).logits[0, -1].argsort(descending=True).tolist()
    words = [engine.tokenizer.decode([t]) for t in ranked[:50]]
    words = [w for w, t in zip(words, ranked) if engine.tokenizer(w, add_special_tokens=False)["input_ids"] == [t]]
    best, worse = words[0], words[-1]
    assert engine.score(ask, best) > engine.score(ask, worse)


def test_unset_sampling_keys_follow_the_model_generation_config(tiny_qwen, tmp_path):
    """The tiny model's generation_config.json does not sample: without sampling keys the reply is the greedy
    one. A copy whose generation_config.json samples brings its own temperature / top_p / top_k."""
    import json
    import shutil

    from tuneforge.config.load import load_run_config
    from tuneforge.inference.engine import Sampling, load_engine

    def engine_for(folder):
        return load_engine(load_run_config({"model_name_or_path": str(folder), "template": "qwen",
                                            "max_new_tokens": 12}, command="chat"))

    greedy_model = engine_for(tiny_qwen)
    assert greedy_model.generate_kwargs(Sampling())["do_sample"] is False
    ask = _ask("Who are you?")
    assert greedy_model.complete(ask, sampling=Sampling(seed=1))[0].text \
        == greedy_model.complete(ask, sampling=Sampling(seed=2, do_sample=False))[0].text

    sampling_copy = shutil.copytree(tiny_qwen, tmp_path / "sampling-model")
    config = json.loads((sampling_copy / "generation_config.json").read_text())
    config.update(do_sample=True, temperature=1.3, top_p=0.95, top_k=40)
    (sampling_copy / "generation_config.json").write_text(json.dumps(config))
    sampler = engine_for(sampling_copy)
    kwargs = sampler.generate_kwargs(Sampling())
    assert {k: kwargs[k] for k in ("do_sample", "temperature", "top_p", "top_k")} == {
        "do_sample": True, "temperature": 1.3, "top_p": 0.95, "top_k": 40}
    assert len({c.text for c in sampler.complete(ask, sampling=Sampling(seed=3, n=4))}) > 1
    assert sampler.generate_kwargs(Sampling(temperature=0))["do_sample"] is False  # a request can still ask greedy
