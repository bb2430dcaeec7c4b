"""Vision-language fixtures: tiny local VLMs (made here, random weights) and a generated dataset of
solid-colour images (4 colours, random sizes, light noise) asking "What colour is this?"."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

COLOURS = {"red": (220, 30, 30), "green": (30, 180, 40), "blue": (30, 60, 220), "yellow": (230, 220, 30)}
_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}


def colour_image(name: str, rng: random.Random, np_rng):
    import numpy as np
    from PIL import Image

    w, h = rng.randint(28, 84), rng.randint(28, 84)
    pixels = np.array(COLOURS[name])[None, None] + np_rng.normal(0, 12, (h, w, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype("uint8"))


def write_colour_data(folder: Path, train: int = 200, test: int = 40, seed: int = 0) -> Path:
    import numpy as np

    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    (folder / "img").mkdir(parents=True, exist_ok=True)

    def rows(n: int, split: str) -> list[dict]:
        out = []
        for i in range(n):
            name = rng.choice(list(COLOURS))
            path = f"img/{split}{i}.png"
            colour_image(name, rng, np_rng).save(folder / path)
            out.append({"messages": [{"role": "user", "content": "<image>What colour is this?"},
                                     {"role": "assistant", "content": name}], "images": [path]})
        return out

    for split, n in (("train", train), ("test", test)):
        (folder / f"{split}.json").write_text(json.dumps(rows(n, split)))
    info = {split: {"file_name": f"{split}.json", "formatting": "sharegpt", "tags": _TAGS,
                    "columns": {"messages": "messages", "images": "images"}} for split in ("train", "test")}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    return folder


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory):
    """A factory: the tiny model of a vision arch, made once per session."""
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    made: dict[str, Path] = {}

    def get(arch: str) -> Path:
        if arch not in made:
            made[arch] = make_tiny_model(tmp_path_factory.mktemp(f"tiny-{arch}"),
                                         TinyModelSpec(arch=arch, vocab_size=1024, hidden_size=64,
                                                       intermediate_size=128))
        return made[arch]
    return get


@pytest.fixture(scope="session")
def colour_data(tmp_path_factory) -> Path:
    return write_colour_data(tmp_path_factory.mktemp("colours"))


@pytest.fixture(scope="session")
def learner_vlm(tmp_path_factory) -> Path:
    """The tiny Qwen2-VL the learning tests train (the LEARNER size of the text tests)."""
    from tuneforge.model.tiny import LEARNER, make_tiny_model
    import dataclasses

    return make_tiny_model(tmp_path_factory.mktemp("learner-qwen2-vl"), dataclasses.replace(LEARNER, arch="qwen2_vl"))


@pytest.fixture(scope="session")
def colour_run(tmp_path_factory, learner_vlm, colour_data) -> Path:
    """A full fine-tune of the tiny Qwen2-VL on the 200 colour images (vision encoder and projector frozen,
    LLaMA-Factory's defaults): 75 steps, about a minute on 2 cores."""
    from tuneforge.cli.main import main

    out = tmp_path_factory.mktemp("colour-run")
    code = main(["train", f"model_name_or_path={learner_vlm}", "stage=sft", "finetuning_type=full",
                 "dataset=train", f"dataset_dir={colour_data}", "template=qwen2_vl", "cutoff_len=256",
                 f"output_dir={out}", "overwrite_output_dir=true", "per_device_train_batch_size=8",
                 "learning_rate=5e-4", "num_train_epochs=3", "logging_steps=5", "save_strategy=no",
                 "report_to=none", "disable_tqdm=true"])
    assert code == 0
    return out


def correct(predictions: list[str], labels: list[str]) -> float:
    return sum(p.strip() == l.strip() for p, l in zip(predictions, labels)) / len(labels)
