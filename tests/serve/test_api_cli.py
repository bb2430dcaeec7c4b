"""`tuneforge api` as a user starts it: API_PORT / API_KEY from the environment, 127.0.0.1 by default; the key
is enforced (no key or a wrong one → 401 in OpenAI's error shape, the right one → 200); Ctrl-C (SIGINT) shuts
it down cleanly with exit code 0."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

from tests.serve.server import free_port


@contextmanager
def started_api(args: list[str], log_path, **env_vars: str):
    """`tuneforge api ARGS` in a subprocess, yielded once /health answers: (url, process, log)."""
    port = free_port()
    env = {**os.environ, "API_PORT": str(port), **env_vars}
    for name in ("API_HOST", "API_KEY", "API_MODEL_NAME"):
        if name not in env_vars:
            env.pop(name, None)
    log = log_path.open("w+")
    process = subprocess.Popen([sys.executable, "-m", "tuneforge.cli.main", "api", *args], env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.time() > deadline:
            log.seek(0)
            raise AssertionError(f"server did not start:\n{log.read()}")
        time.sleep(0.3)
    try:
        yield url, process, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture()
def api_process(tiny_qwen, tmp_path):
    with started_api([str(tiny_qwen), "template=qwen", "do_sample=false", "max_new_tokens=4"],
                     tmp_path / "api.log", API_KEY="s3cret") as started:
        yield started


def test_api_key_is_enforced_and_sigint_shuts_down(api_process):
    from openai import AuthenticationError, OpenAI

    url, process, log = api_process
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}):
        for method, path, payload in (("POST", "/v1/chat/completions", body), ("GET", "/v1/models", None)):
            response = httpx.request(method, f"{url}{path}", json=payload, headers=headers, timeout=60)
            assert response.status_code == 401, (headers, path)
            assert response.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{url}/v1", api_key="wrong", max_retries=0).models.list()
    client = OpenAI(base_url=f"{url}/v1", api_key="s3cret", max_retries=0, timeout=120)
    assert [m.id for m in client.models.list().data] == ["tiny-qwen"]
    reply = client.chat.completions.with_raw_response.create(model="m", messages=body["messages"])
    assert reply.status_code == 200 and reply.parse().choices[0].message.content is not None

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    log.seek(0)
    assert "http://127.0.0.1:" in log.read()


@pytest.mark.parametrize("env,expected", [({}, "tiny-qwen"), ({"API_MODEL_NAME": "forge-1"}, "forge-1")],
                         ids=["model name", "API_MODEL_NAME"])
def test_a_yaml_is_served_under_the_model_name_not_the_file_name(tiny_qwen, tmp_path, env, expected):
    from openai import OpenAI

    config = tmp_path / "infer.yaml"
    config.write_text(f"model_name_or_path: {tiny_qwen}\ntemplate: qwen\ndo_sample: false\nmax_new_tokens: 4\n")
    with started_api([str(config)], tmp_path / "api.log", **env) as (url, _, _):
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)
        assert [m.id for m in client.models.list().data] == [expected]
        reply = client.chat.completions.create(model="anything", messages=[{"role": "user", "content": "hi"}])
        assert reply.model == expected
