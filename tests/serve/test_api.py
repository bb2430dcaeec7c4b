"""The OpenAI-compatible server, live on 127.0.0.1, driven by the official `openai` client: models, whole and
streamed replies (same text), n / stop / seed / max tokens, usage counts, 50 concurrent requests, and
OpenAI-shaped 4xx errors for malformed requests, after which the server still answers."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.serve.server import live_server

QUESTIONS = [f"Tell me a fact about country number {i}." for i in range(10)]


@pytest.fixture(scope="module")
def engine(tiny_qwen):
    from tuneforge.inference.hf import HFEngine

    return HFEngine.load(tiny_qwen, template="qwen")


@pytest.fixture(scope="module")
def server(engine):
    from tuneforge.serve.app import create_app

    with live_server(create_app(engine, model_name="tiny-qwen")) as url:
        yield url


@pytest.fixture()
def client(server):
    from openai import OpenAI

    return OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0, timeout=300)


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def _greedy(engine, text: str, max_tokens: int) -> str:
    from tuneforge.inference.engine import Sampling

    return engine.complete(_ask(text), sampling=Sampling(max_new_tokens=max_tokens, do_sample=False))[0].text


def test_models_lists_the_served_model(client):
    assert [m.id for m in client.models.list().data] == ["tiny-qwen"]


def test_whole_and_streamed_replies_agree(client, engine):
    whole = client.chat.completions.create(model="tiny-qwen", messages=_ask("Who are you?"), temperature=0,
                                           max_tokens=24)
    text = whole.choices[0].message.content
    assert text and text == _greedy(engine, "Who are you?", 24)
    assert whole.object == "chat.completion" and whole.choices[0].finish_reason in ("stop", "length")
    prompt_tokens = len(engine.prompt_ids(_ask("Who are you?")))
    assert whole.usage.prompt_tokens == prompt_tokens
    assert whole.usage.total_tokens == prompt_tokens + whole.usage.completion_tokens
    assert 0 < whole.usage.completion_tokens <= 24

    chunks = list(client.chat.completions.create(model="tiny-qwen", messages=_ask("Who are you?"),
                                                 temperature=0, max_tokens=24, stream=True,
                                                 stream_options={"include_usage": True}))
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(deltas) > 1 and "".join(deltas) == text
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == whole.choices[0].finish_reason
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens


def test_sse_stream_ends_with_done(server):
    body = {"model": "m", "messages": _ask("hi"), "max_tokens": 4, "stream": True, "temperature": 0}
    with httpx.stream("POST", f"{server}/v1/chat/completions", json=body, timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert events[-1] == "data: [DONE]"
    assert all(e.startswith("data: ") for e in events)
    assert json.loads(events[0][6:])["object"] == "chat.completion.chunk"


def test_n_stop_seed_and_max_completion_tokens(client, engine):
    full = _greedy(engine, "Who are you?", 24)
    stop = full[6:8]
    cut = client.chat.completions.create(model="m", messages=_ask("Who are you?"), temperature=0, max_tokens=24,
                                         stop=[stop])
    assert cut.choices[0].message.content == full[:full.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    short = client.chat.completions.create(model="m", messages=_ask("Who are you?"), temperature=0,
                                           max_completion_tokens=2)
    assert short.usage.completion_tokens == 2 and short.choices[0].finish_reason == "length"
    kwargs = {"model": "m", "messages": _ask("Who are you?"), "temperature": 1.5, "max_tokens": 12, "n": 3,
              "seed": 11}
    first, second = client.chat.completions.create(**kwargs), client.chat.completions.create(**kwargs)
    assert [c.index for c in first.choices] == [0, 1, 2]
    assert [c.message.content for c in first.choices] == [c.message.content for c in second.choices]
    assert len({c.message.content for c in first.choices}) > 1  # a positive temperature samples
    assert 3 <= first.usage.completion_tokens <= 36  # summed over the 3 choices


def test_fifty_concurrent_requests_are_all_answered_correctly(client, engine):
    expected = {q: _greedy(engine, q, 8) for q in QUESTIONS}
    jobs = [QUESTIONS[i % len(QUESTIONS)] for i in range(50)]

    def ask(question: str) -> tuple[str, str]:
        reply = client.chat.completions.create(model="m", messages=_ask(question), temperature=0, max_tokens=8)
        return question, reply.choices[0].message.content

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(ask, jobs))
    assert len(answers) == 50
    assert all(answer == expected[question] for question, answer in answers)


MALFORMED = [
    ("not json", b"{not json", "invalid_json"),
    ("empty messages", {"model": "m", "messages": []}, "messages"),
    ("unknown role", {"model": "m", "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
    ("content of the wrong type", {"model": "m", "messages": [{"role": "user", "content": 42}]}, "messages[0]"),
    ("messages not a list", {"model": "m", "messages": "hi"}, "messages"),
    ("no model", {"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ("temperature out of range", {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                  "temperature": 7}, "temperature"),
    ("max_tokens not a number", {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                                 "max_tokens": "many"}, "max_tokens"),
    ("n zero", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 0}, "n"),
    ("user message without content", {"model": "m", "messages": [{"role": "user"}]}, "messages[0]"),
    ("bad tool-call arguments", {"model": "m", "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                              "function": {"name": "f", "arguments": "{oops"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "1"}]}, "arguments"),
    ("body is a list", [1, 2, 3], None),
]


@pytest.mark.parametrize("name,body,mentions", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_requests_get_openai_shaped_4xx(server, name, body, mentions):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = httpx.post(f"{server}/v1/chat/completions", content=content,
                          headers={"content-type": "application/json"}, timeout=60)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error" and error["message"]
    if mentions:
        assert mentions in f"{error['param']} {error['code']} {error['message']}"


CALL = {"id": "c1", "type": "function", "function": {"name": "now", "arguments": "{}"}}
START = "the conversation must start with a user message (after an optional system message), not assistant"
ALTERNATE = ("user cannot follow user: roles alternate user / assistant after an optional system message "
             "(expected assistant)")
END = "the conversation must end with a user or tool message (the reply is the next assistant turn)"
OUT_OF_TURN = [
    ("assistant first", [{"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "hi"}],
     "messages[0].role", START),
    ("assistant right after system", [{"role": "system", "content": "Be brief."},
                                      {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "hi"}],
     "messages[1].role", START),
    ("two user messages", [{"role": "user", "content": "hi"}, {"role": "user", "content": "again"}],
     "messages[1].role", ALTERNATE),
    ("system after the first turn", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                                     {"role": "system", "content": "Be brief."}, {"role": "user", "content": "?"}],
     "messages[2].role", "a system message is allowed only as the first message"),
    ("tool message without a call", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                                     {"role": "tool", "tool_call_id": "c1", "content": "1"}],
     "messages[2].role", "a tool message must answer an assistant message's tool_calls"),
    ("ends with the assistant", [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}],
     "messages[1].role", END),
]


@pytest.mark.parametrize("name,messages,param,message", OUT_OF_TURN, ids=[c[0] for c in OUT_OF_TURN])
def test_conversation_out_of_turn_is_a_400(client, name, messages, param, message):
    from openai import BadRequestError

    with pytest.raises(BadRequestError) as caught:
        client.chat.completions.create(model="m", messages=messages, max_tokens=4)
    assert caught.value.status_code == 400
    assert caught.value.body == {"message": message, "type": "invalid_request_error", "param": param,
                                 "code": "invalid_value"}


def test_conversations_in_turn_are_answered(client):
    for messages in ([{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "hi"}],
                     [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"},
                      {"role": "user", "content": "again"}],
                     [{"role": "user", "content": "time?"},
                      {"role": "assistant", "tool_calls": [CALL, {**CALL, "id": "c2"}]},
                      {"role": "tool", "tool_call_id": "c1", "content": "12:00"},
                      {"role": "tool", "tool_call_id": "c2", "content": "12:00"}]):
        reply = client.chat.completions.with_raw_response.create(model="m", messages=messages, max_tokens=4,
                                                                 temperature=0)
        assert reply.status_code == 200 and reply.parse().choices[0].message.content is not None


def test_wrong_route_and_method_are_openai_shaped(server):
    missing = httpx.get(f"{server}/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found_error"
    wrong = httpx.get(f"{server}/v1/chat/completions")
    assert wrong.status_code == 405 and "error" in wrong.json()


def test_server_still_healthy_after_bad_requests(server, client, engine):
    for body in (b"{", b"[]", b'{"model": "m", "messages": [{"role": "x"}]}'):
        httpx.post(f"{server}/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert httpx.get(f"{server}/health").json() == {"status": "ok"}
    reply = client.chat.completions.create(model="m", messages=_ask("hi"), temperature=0, max_tokens=6)
    assert reply.choices[0].message.content == _greedy(engine, "hi", 6)
