"""Definition of done of multimodal fine-tuning, on a tiny Qwen2-VL made here: after fine-tuning on 200
solid-colour images it names the colour of 40 held-out ones — through `predict`, through the OpenAI API with
base64 image parts (the official client), and from the merged export in plain transformers — while the
untrained model does not."""
from __future__ import annotations

import base64
import json

import pytest

from tests.multimodal.conftest import correct

pytestmark = pytest.mark.slow


def _held_out(colour_data):
    rows = json.loads((colour_data / "test.json").read_text())
    return [(colour_data / r["images"][0], r["messages"][1]["content"]) for r in rows]


def _predict(source, colour_data, out) -> float:
    from tuneforge.cli.main import main

    assert main(["predict", str(source), "--eval_dataset", "test", f"dataset_dir={colour_data}",
                 "--output_dir", str(out), "max_new_tokens=8", "template=qwen2_vl", "disable_tqdm=true"]) == 0
    rows = [json.loads(line) for line in (out / "generated_predictions.jsonl").read_text().splitlines()]
    assert len(rows) == 40
    return correct([r["predict"] for r in rows], [r["label"] for r in rows])


def test_untrained_model_does_not_know_the_colours(learner_vlm, colour_data, tmp_path):
    assert _predict(learner_vlm, colour_data, tmp_path) < 0.5


def test_predict_names_the_held_out_colours(colour_run, colour_data, tmp_path):
    assert _predict(colour_run, colour_data, tmp_path) >= 0.9


def _data_url(path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def test_api_answers_base64_image_parts(colour_run, colour_data):
    from openai import BadRequestError, OpenAI

    from tests.serve.server import live_server
    from tuneforge.inference.hf import HFEngine
    from tuneforge.serve.app import create_app

    engine = HFEngine.load(colour_run, max_new_tokens=8)
    with live_server(create_app(engine, model_name="colours")) as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
        replies, labels = [], []
        for path, label in _held_out(colour_data):
            reply = client.chat.completions.create(model="colours", messages=[{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": _data_url(path)}},
                {"type": "text", "text": "What colour is this?"}]}])
            replies.append(reply.choices[0].message.content)
            labels.append(label)
        assert correct(replies, labels) >= 0.9
        for bad in ("data:image/png;base64,bm90IGFuIGltYWdl", "https://example.com/cat.png"):
            with pytest.raises(BadRequestError) as caught:
                client.chat.completions.create(model="colours", messages=[{"role": "user", "content": [
                    {"type": "image_url", "image_url": {"url": bad}}, {"type": "text", "text": "colour?"}]}])
            error = caught.value.body
            assert caught.value.status_code == 400 and "image_url" in error["param"] and error["message"]
        # the server still answers after the refusals
        path, label = _held_out(colour_data)[0]
        again = client.chat.completions.create(model="colours", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": _data_url(path)}},
            {"type": "text", "text": "What colour is this?"}]}])
        assert again.choices[0].message.content.strip() == label


def test_merged_export_answers_in_plain_transformers(colour_run, colour_data, tmp_path):
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from tuneforge.cli.main import main

    out = tmp_path / "merged"
    assert main(["export", str(colour_run), "--export_dir", str(out)]) == 0
    processor = AutoProcessor.from_pretrained(out)
    model = AutoModelForImageTextToText.from_pretrained(out).eval()
    replies, labels = [], []
    for path, label in _held_out(colour_data):
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is this?"}]}]
        inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                               return_dict=True, return_tensors="pt",
                                               processor_kwargs={"images": [Image.open(path).convert("RGB")]})
        with torch.inference_mode():
            generated = model.generate(**inputs, max_new_tokens=8, do_sample=False)
        replies.append(processor.decode(generated[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True))
        labels.append(label)
    assert correct(replies, labels) >= 0.9


def test_chat_cli_answers_about_the_image_given(colour_run, colour_data):
    """`tuneforge chat RUN --image PATH` in a real terminal: the colour of each of a few held-out images,
    each in its own session (the image goes with the first message)."""
    import os
    import sys

    import pexpect

    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    for path, label in _held_out(colour_data)[:4]:
        child = pexpect.spawn(sys.executable, ["-m", "tuneforge.cli.main", "chat", str(colour_run), "--image",
                                               str(path), "max_new_tokens=8"],
                              env=env, encoding="utf-8", timeout=240)
        try:
            child.expect("User: ")
            child.sendline("What colour is this?")
            child.expect("Assistant: ")
            child.expect(r"\r?\n\r?\nUser: ")
            assert child.before.strip() == label
            child.sendline("exit")
            child.expect(pexpect.EOF)
        finally:
            child.close()
        assert child.exitstatus == 0


def test_chat_cli_refuses_a_missing_image_before_loading(colour_run, tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "chat", str(colour_run), "--image",
                             str(tmp_path / "nope.png")], capture_output=True, text=True, input="", timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope.png'}: --image — no such file"


def test_web_ui_chat_answers_about_an_uploaded_image(colour_run, colour_data):
    """In a real headless Chromium: load the colour run in the Chat tab, upload a held-out image, ask; the
    image shows in the conversation and the reply names its colour."""
    from playwright.sync_api import sync_playwright

    from tests.webui.conftest import CHROMIUM, CHROMIUM_ARGS, needs_browser, running_webui
    from tests.webui.ui import fill, wait_text

    needs_browser()
    (path, label), (second, second_label) = _held_out(colour_data)[:2]
    with running_webui(colour_data, colour_run.parent) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.goto(url, wait_until="load")
        page.wait_for_selector("#btn-start", timeout=60_000)
        page.click("#tab-chat-button")
        fill(page, "chat-model", str(colour_run))
        page.click("#chat-load")
        wait_text(page, "chat-status", "Loaded", timeout_s=120)
        for image, want in ((path, label), (second, second_label)):
            page.set_input_files("#chat-image input[type=file]", str(image))
            page.wait_for_selector("#chat-image img", timeout=30_000)
            fill(page, "chat-input", "What colour is this?")
            page.click("#chat-send")
            page.wait_for_function("() => !document.querySelector('#chat-image img')", timeout=120_000)
            shown = wait_text(page, "chat-tuned", want, timeout_s=120)
            assert shown.count("What colour is this?") == 1 and shown.strip().endswith(want)
            page.click("#chat-clear")  # a fresh conversation for the next image (trained on single turns)
            page.wait_for_function("() => !document.getElementById('chat-tuned').innerText.includes('colour')",
                                   timeout=30_000)
        browser.close()


def test_merged_lora_export_answers_as_the_adapter_run_does(learner_vlm, colour_data, tmp_path):
    """A LoRA run (a few steps: the answers need not be right) merged and exported: plain transformers with
    the exported processor gives the same greedy replies as the adapter served unmerged."""
    import torch
    from PIL import Image
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from tuneforge.cli.main import main
    from tuneforge.data.example import Media
    from tuneforge.inference.hf import HFEngine

    run = tmp_path / "lora"
    assert main(["train", f"model_name_or_path={learner_vlm}", "finetuning_type=lora", "lora_rank=8",
                 "dataset=train", f"dataset_dir={colour_data}", "template=qwen2_vl", f"output_dir={run}",
                 "max_steps=6", "learning_rate=1e-3", "per_device_train_batch_size=4", "report_to=none",
                 "disable_tqdm=true"]) == 0
    assert (run / "adapter_model.safetensors").is_file() and (run / "processor_config.json").is_file()
    engine = HFEngine.load(run, max_new_tokens=6)
    out = tmp_path / "merged"
    assert main(["export", str(run), "--export_dir", str(out)]) == 0
    processor = AutoProcessor.from_pretrained(out)
    model = AutoModelForImageTextToText.from_pretrained(out).eval()
    for path, _ in _held_out(colour_data)[:6]:
        served = engine.chat([{"role": "user", "content": "<image>What colour is this?"}], media=Media(images=(str(path),)))
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What colour is this?"}]}]
        inputs = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True,
                                               return_tensors="pt",
                                               processor_kwargs={"images": [Image.open(path).convert("RGB")]})
        with torch.inference_mode():
            generated = model.generate(**inputs, max_new_tokens=6, do_sample=False)
        merged = processor.decode(generated[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        assert merged.strip() == served
