"""Models fine-tuned here, served live and queried with the official `openai` client:
- a tiny model fully fine-tuned on a small synthetic tool-call set returns its call as `tool_calls` with valid
  JSON arguments, and the follow-up `tool` message is accepted and answered;
- a LoRA adapter trained on the identity set (served unmerged from its run folder) answers with the name it
  learned; the base model served without it does not."""
from __future__ import annotations

import json

import pytest

import tuneforge
from tests.conftest import DATA_DIR, sft_config
from tests.serve.server import live_server
from tests.serve.toolcall_data import CALL, QUESTIONS, RESULT, TIME_TOOL, write_dataset_dir

pytestmark = pytest.mark.slow
TOOLS = [{"type": "function", "function": TIME_TOOL}]


@pytest.fixture(scope="module")
def tool_run(learner_qwen, tmp_path_factory):
    # Full fine-tuning: a random-weights tiny model learns the call format much faster than with LoRA.
    root = tmp_path_factory.mktemp("tools")
    data = write_dataset_dir(root / "data", DATA_DIR)
    return tuneforge.train(sft_config(learner_qwen, root / "run", dataset="toolcalls", dataset_dir=str(data),
                                      finetuning_type="full", cutoff_len=512, learning_rate=2e-3,
                                      per_device_train_batch_size=2, num_train_epochs=15,
                                      lr_scheduler_type="cosine", logging_steps=10))


@pytest.fixture(scope="module")
def identity_run(learner_qwen, tmp_path_factory):
    return tuneforge.train(sft_config(learner_qwen, tmp_path_factory.mktemp("identity") / "run", dataset="identity",
                                      lora_rank=16, learning_rate=5e-3, num_train_epochs=25,
                                      lr_scheduler_type="cosine", logging_steps=10))


def _serve(path):
    from tuneforge.config.load import load_run_config
    from tuneforge.inference.engine import load_engine
    from tuneforge.serve.app import create_app, model_id

    keys = {"do_sample": False, "max_new_tokens": 40}
    if (path / "tuneforge_config.yaml").is_file():
        from tuneforge.artifacts.run_dir import inference_keys

        keys.update(inference_keys(path))
    else:
        keys.update(model_name_or_path=str(path), template="qwen")
    cfg = load_run_config(keys, command="api")
    return live_server(create_app(load_engine(cfg), model_name=model_id(cfg.model)))


def _client(url):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)


def test_tool_call_round_trip(tool_run):
    with _serve(tool_run.path) as url:
        client = _client(url)
        ask = [{"role": "user", "content": QUESTIONS[0]}]
        reply = client.chat.completions.create(model="m", messages=ask, tools=TOOLS, temperature=0)
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls", choice.message.content
        (call,) = choice.message.tool_calls
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name == CALL["name"]
        assert json.loads(call.function.arguments) == CALL["arguments"]

        streamed = list(client.chat.completions.create(model="m", messages=ask, tools=TOOLS, temperature=0,
                                                       stream=True))
        deltas = [c.choices[0].delta.tool_calls for c in streamed if c.choices and c.choices[0].delta.tool_calls]
        assert deltas and deltas[0][0].function.name == CALL["name"]

        follow_up = ask + [choice.message.model_dump(exclude_none=True),
                           {"role": "tool", "tool_call_id": call.id, "content": json.dumps(RESULT)}]
        answer = client.chat.completions.create(model="m", messages=follow_up, tools=TOOLS, temperature=0)
        assert answer.choices[0].message.content
        assert "12:00" in answer.choices[0].message.content


def test_served_adapter_shows_what_it_learned_and_base_does_not(identity_run, learner_qwen):
    assert (identity_run.path / "adapter_config.json").is_file()
    ask = [{"role": "user", "content": "Who are you?"}]
    with _serve(identity_run.path) as url:
        assert [m.id for m in _client(url).models.list().data] == ["run"]  # the run folder's name
        tuned = _client(url).chat.completions.create(model="m", messages=ask, temperature=0)
    with _serve(learner_qwen) as url:
        base = _client(url).chat.completions.create(model="m", messages=ask, temperature=0)
    assert "Forge" in tuned.choices[0].message.content
    assert "Forge" not in base.choices[0].message.content
