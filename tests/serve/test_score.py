"""/v1/score/evaluation: a reward model (stage rm) run folder is served for scoring — LLaMA-Factory's
request shape (whole texts) and conversations; chat models answer it with an OpenAI-shaped 400."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

import tuneforge
from tests.conftest import sft_config


@pytest.fixture(scope="module")
def reward_run(tiny_qwen, tmp_path_factory):
    out = tmp_path_factory.mktemp("rm") / "run"
    return tuneforge.train(sft_config(tiny_qwen, out, stage="rm", dataset="dpo_sample", max_steps=4))


def test_reward_run_is_served_for_scoring(reward_run):
    from tuneforge.inference.reward import RewardScorer
    from tuneforge.serve.app import create_app

    scorer = RewardScorer.load(reward_run.path)
    client = TestClient(create_app(None, model_name="rm", api_key="k", scorer=scorer))
    auth = {"Authorization": "Bearer k"}
    conversation = [{"role": "user", "content": "What is 2 plus 3?"}, {"role": "assistant", "content": "5."}]
    reply = client.post("/v1/score/evaluation", json={"model": "rm", "messages": [conversation, conversation]},
                        headers=auth)
    assert reply.status_code == 200, reply.text
    scores = reply.json()["scores"]
    assert len(scores) == 2 and scores[0] == pytest.approx(scores[1])
    assert scores[0] == pytest.approx(scorer.score([conversation])[0])
    texts = client.post("/v1/score/evaluation", json={"messages": ["2 plus 3 equals 5.", "hello"]}, headers=auth)
    assert texts.status_code == 200 and len(texts.json()["scores"]) == 2
    assert client.post("/v1/score/evaluation", json={"messages": ["x"]}).status_code == 401
    chat = client.post("/v1/chat/completions", json={"model": "rm", "messages": [{"role": "user", "content": "hi"}]},
                       headers=auth)
    assert chat.status_code == 400 and "reward model" in chat.json()["error"]["message"]


def test_chat_model_refuses_scoring(tiny_qwen):
    from tuneforge.inference.hf import HFEngine
    from tuneforge.serve.app import create_app

    client = TestClient(create_app(HFEngine.load(tiny_qwen, template="qwen"), model_name="chat"))
    reply = client.post("/v1/score/evaluation", json={"messages": ["hello"]})
    assert reply.status_code == 400 and reply.json()["error"]["type"] == "invalid_request_error"
