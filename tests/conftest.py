"""Shared fixtures: the tiny local models (built once per test session) and the paths of bundled and
shared fixture data."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
SHARED = REPO.parent / "shared"
LF_FIXTURES = SHARED / "fixtures" / "llamafactory"

# Tests must never reach a model hub; make the libraries fail fast instead of waiting on the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def missing_fixture(message: str) -> None:
    """Skip a test whose fixtures (in ../shared) are absent — except in CI, where their absence is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI must have ../shared beside the checkout")
    pytest.skip(message)


def needs_lf_fixtures() -> None:
    if not LF_FIXTURES.is_dir():
        missing_fixture(f"LLaMA-Factory fixtures not found at {LF_FIXTURES} (they live in ../shared)")


@pytest.fixture(scope="session")
def tiny_qwen(tmp_path_factory) -> Path:
    """A random-initialised Qwen2 model with a locally trained tokenizer and the qwen template."""
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-qwen",
                           TinyModelSpec(arch="qwen2", template="qwen", hidden_size=64, intermediate_size=128,
                                         num_layers=2, num_heads=4, num_kv_heads=2))


@pytest.fixture(scope="session")
def learner_qwen(tmp_path_factory) -> Path:
    """A larger tiny Qwen2 (hidden 256) whose tokenizer also learned the bundled data: the model for tests
    that judge how well training learns (a LoRA on hidden 64 random weights learns too slowly to judge)."""
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "learner-qwen",
                           TinyModelSpec(arch="qwen2", template="qwen", hidden_size=256, intermediate_size=512,
                                         num_layers=2, num_heads=4, num_kv_heads=2),
                           extra_files=sorted(DATA_DIR.glob("*.json*")))


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-llama",
                           TinyModelSpec(arch="llama", template="llama3", hidden_size=64, intermediate_size=128,
                                         num_layers=2, num_heads=4, num_kv_heads=2))


# Folders whose tests run whole training jobs, servers, several processes or a browser: `make test-fast`
# (pytest -m "not slow") leaves them out for the edit–test loop; `make test` runs everything.
SLOW_FOLDERS = ("e2e", "scale", "serve", "webui")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent.name in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Encoded-data cache per test, so tests never see each other's cached encodings."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def sft_config(model: Path, out: Path, **overrides) -> dict:
    """A small, fast LoRA SFT config on the bundled data; tests override what they study."""
    cfg = {"model_name_or_path": str(model), "stage": "sft", "finetuning_type": "lora", "lora_rank": 8,
           "lora_target": "all", "dataset": "alpaca_sample,sharegpt_sample", "dataset_dir": str(DATA_DIR),
           "template": "qwen", "cutoff_len": 256, "output_dir": str(out), "logging_steps": 1,
           "save_steps": 1000, "per_device_train_batch_size": 4, "learning_rate": 5e-3,
           "num_train_epochs": 3, "lr_scheduler_type": "constant", "seed": 0, "disable_tqdm": True}
    cfg.update(overrides)
    return cfg
