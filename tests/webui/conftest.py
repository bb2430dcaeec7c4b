"""A live `tuneforge webui` server and a headless Chromium page for the browser tests."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def needs_browser() -> None:
    if not shutil.which("chromium") and not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright", reason="playwright (Python) is not installed")


@contextmanager
def running_webui(data_dir: Path, output_root: Path):
    """The URL of a `tuneforge webui` serving data_dir and output_root, stopped afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tuneforge.cli.main", "webui", "--port", str(port),
                               "--data-dir", str(data_dir), "--output-dir", str(output_root)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("web UI did not start")
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture(scope="module")
def webui(tmp_path_factory):
    """(url, output_root) of a running web UI over the bundled data."""
    needs_browser()
    output_root = tmp_path_factory.mktemp("webui") / "saves"
    with running_webui(DATA_DIR, output_root) as url:
        yield url, output_root


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, webui):
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.goto(webui[0], wait_until="load")  # never "networkidle": the progress timer polls every second
    page.wait_for_selector("#btn-start", timeout=60_000)
    yield page
    page.close()
