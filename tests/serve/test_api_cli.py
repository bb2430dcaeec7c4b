"""`tuneforge api` as a user starts it: API_PORT / API_KEY from the environment, 127.0.0.1 by default; the key
is enforced (no key or a wrong one → 401 in OpenAI's error shape, the right one → 200); Ctrl-C (SIGINT) shuts
it down cleanly with exit code 0."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.serve.server import free_port


@pytest.fixture()
def api_process(tiny_qwen, tmp_path):
    port = free_port()
    env = {**os.environ, "API_PORT": str(port), "API_KEY": "s3cret"}
    env.pop("API_HOST", None)
    log = (tmp_path / "api.log").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "tuneforge.cli.main", "api", str(tiny_qwen), "template=qwen",
                                "do_sample=false", "max_new_tokens=4"], env=env, stdout=log,
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
    yield url, process, log
    if process.poll() is None:
        process.kill()
        process.wait()


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
