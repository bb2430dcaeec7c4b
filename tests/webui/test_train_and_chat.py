"""Issue 7, definition of done 1: in a real headless Chromium, train a LoRA on a tiny local model from the
page, watch it finish with a loss curve, then chat with the adapter and get the fine-tuned identity answer."""
from __future__ import annotations

from tests.webui.ui import choose, fill, open_accordion, wait_text


def test_train_then_chat_with_the_adapter(page, webui, learner_qwen):
    _, output_root = webui
    fill(page, "field-model_name_or_path", str(learner_qwen))
    page.wait_for_function("() => document.querySelector('#field-template input')?.value === 'qwen'")
    choose(page, "field-dataset", "identity")
    fill(page, "field-output_dir", "identity-run")
    open_accordion(page, "Training")
    for key, value in {"num_train_epochs": 25, "learning_rate": 0.005, "logging_steps": 5,
                       "per_device_train_batch_size": 4}.items():
        fill(page, f"field-{key}", value)
    open_accordion(page, "Method")
    fill(page, "field-lora_rank", 16)
    page.click("#btn-start")
    status = wait_text(page, "job-status", "finished", timeout_s=600, fail_on=("failed", "error:"))
    assert "100%" in status
    assert page.locator("#loss-plot canvas, #loss-plot svg").count() > 0
    run = output_root / "identity-run"
    assert (run / "adapter_model.safetensors").is_file()

    page.click("#tab-chat-button")
    fill(page, "chat-model", str(run))
    page.click("#chat-load")
    wait_text(page, "chat-status", "Loaded", timeout_s=60)
    fill(page, "chat-input", "Who are you?")
    page.click("#chat-send")
    reply = wait_text(page, "chat-tuned", "Forge", timeout_s=60)
    assert "Forge" in reply


def test_grpo_from_the_train_tab_shows_its_reward_curve(page, webui, tiny_qwen):
    """Issue 16: stage grpo and its fields (generated from the rl config group) in the Train tab; the reward
    curve appears while it trains."""
    _, output_root = webui
    fill(page, "field-model_name_or_path", str(tiny_qwen))
    page.wait_for_function("() => document.querySelector('#field-template input')?.value === 'qwen'")
    choose(page, "field-stage", "grpo")
    choose(page, "field-dataset", "alpaca_sample")
    fill(page, "field-output_dir", "grpo-run")
    open_accordion(page, "Online RL")
    for key, value in {"reward_funcs": "length", "reward_length_target": 2, "num_generations": 4,
                       "max_completion_length": 8}.items():
        fill(page, f"field-{key}", value)
    open_accordion(page, "Training")
    for key, value in {"max_steps": 4, "logging_steps": 1, "per_device_train_batch_size": 8}.items():
        fill(page, f"field-{key}", value)
    assert page.locator("#reward-plot").is_hidden()  # no reward curve before an RL run has rewards
    page.click("#btn-start")
    wait_text(page, "job-status", "finished", timeout_s=600, fail_on=("failed", "error:"))
    page.wait_for_selector("#reward-plot canvas, #reward-plot svg", timeout=30_000)
    rows = (output_root / "grpo-run" / "trainer_log.jsonl").read_text().splitlines()
    assert sum('"reward"' in row for row in rows) == 4
