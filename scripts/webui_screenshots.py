"""Regenerate docs/images/webui-*.png: start the web UI on the bundled data with a tiny local model, fill the
Train tab, chat once, and screenshot every tab in headless Chromium (Debian's chromium + Python Playwright).

    python scripts/webui_screenshots.py
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "images"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
TABS = {"train": "tab-train-button", "eval": "tab-eval-button", "chat": "tab-chat-button",
        "export": "tab-export-button"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    work = Path(tempfile.mkdtemp(prefix="tf-shots-"))
    model = make_tiny_model(work / "tiny-qwen", TinyModelSpec())
    port = _port()
    server = subprocess.Popen([sys.executable, "-m", "tuneforge.cli.main", "webui", "--port", str(port),
                               "--data-dir", str(REPO / "data"), "--output-dir", str(work / "saves"),
                               "--allow-any-path"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
            page.wait_for_selector("#btn-start")
            box = page.locator("#field-model_name_or_path textarea").first
            box.fill(str(model))
            box.blur()
            page.wait_for_function("() => document.querySelector('#field-template input')?.value === 'qwen'")
            dataset = page.locator("#field-dataset input").first
            dataset.click()
            dataset.fill("identity")
            page.get_by_role("option", name="identity", exact=True).first.click()
            page.click("#btn-preview-cmd")
            page.wait_for_function("() => document.querySelector('#preview-command textarea')?.value.length > 0")
            for name, button in TABS.items():
                page.click(f"#{button}")
                page.wait_for_timeout(800)
                page.screenshot(path=str(OUT / f"webui-{name}.png"), full_page=False)
                print("wrote", OUT / f"webui-{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
