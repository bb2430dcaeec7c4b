"""The synthetic, learnable preference data the preference tests train on, and definition of done 7: bad
preference rows fail with one line naming file, row and field.

The data: varied questions; the chosen answer is always polite ("Sure, glad to help ..."), the rejected one rude
("No. Go away ..."), so a tiny model finds a clear token-level signal within a few dozen steps.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import tuneforge
from tuneforge.config.stages import stage_needs
from tuneforge.core.errors import UserError

TOPICS = ["the garden", "my homework", "a recipe", "the weather", "a poem", "my bike", "the news", "a letter",
          "the kitchen", "my code", "a trip", "the music"]
POLITE = ["Sure, glad to help with {t}!", "Of course, happy to help with {t}.", "Sure, glad to explain {t}."]
RUDE = ["No. Go away.", "No, figure out {t} yourself.", "No. Stop asking."]


def preference_rows(n: int = 48, seed: int = 0) -> list[dict]:
    """alpaca ranking rows: instruction + chosen (polite) / rejected (rude)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        rows.append({"instruction": f"Can you help me with {topic}?",
                     "chosen": rng.choice(POLITE).format(t=topic), "rejected": rng.choice(RUDE).format(t=topic)})
    return rows


def kto_rows(n: int = 48, seed: int = 0) -> list[dict]:
    """sharegpt KTO rows: half polite answers tagged true, half rude ones tagged false."""
    out = []
    for i, row in enumerate(preference_rows(n, seed)):
        good = i % 2 == 0
        out.append({"messages": [{"role": "user", "content": row["instruction"]},
                                 {"role": "assistant", "content": row["chosen"] if good else row["rejected"]}],
                    "label": good})
    return out


def write_preference_data(folder: Path, n: int = 48) -> Path:
    """folder/ with dataset_info.json naming `polite_pairs` (ranking), `polite_kto` (kto) and `polite_prompts`
    (prompts only, for ppo)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pairs.json").write_text(json.dumps(preference_rows(n)))
    (folder / "kto.json").write_text(json.dumps(kto_rows(n)))
    prompts = [{"instruction": r["instruction"], "output": r["chosen"]} for r in preference_rows(n)]
    (folder / "prompts.json").write_text(json.dumps(prompts))
    info = {"polite_pairs": {"file_name": "pairs.json", "ranking": True,
                             "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}},
            "polite_kto": {"file_name": "kto.json", "formatting": "sharegpt",
                           "columns": {"messages": "messages", "kto_tag": "label"},
                           "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                                    "assistant_tag": "assistant"}},
            "polite_prompts": {"file_name": "prompts.json"}}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    return folder


def pref_config(model: Path, data: Path, out: Path, stage: str, **overrides) -> dict:
    cfg = {"model_name_or_path": str(model), "stage": stage, "finetuning_type": "lora", "lora_rank": 8,
           "lora_target": "all", "dataset": "polite_kto" if stage == "kto" else "polite_pairs",
           "dataset_dir": str(data), "template": "qwen", "cutoff_len": 128, "output_dir": str(out),
           "logging_steps": 1, "save_steps": 1000, "per_device_train_batch_size": 8, "learning_rate": 5e-3,
           "num_train_epochs": 1, "max_steps": 12, "lr_scheduler_type": "constant", "seed": 0,
           "disable_tqdm": True, "report_to": "none"}
    cfg.update(overrides)
    return cfg


def _bad(tmp_path: Path, model: Path, stage: str, rows: list[dict], entry: dict) -> tuple[str, Path]:
    data = tmp_path / "bad"
    data.mkdir()
    (data / "x.json").write_text(json.dumps(rows))
    (data / "dataset_info.json").write_text(json.dumps({"x": {"file_name": "x.json", **entry}}))
    cfg = pref_config(model, data, tmp_path / "out", stage, dataset="x")
    with pytest.raises(UserError) as err:
        tuneforge.train(cfg)
    return str(err.value), data / "x.json"


RANKING = {"ranking": True, "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}}
KTO = {"formatting": "sharegpt", "columns": {"messages": "messages", "kto_tag": "label"},
       "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}}


@pytest.mark.parametrize("stage", ["rm", "dpo"])
def test_missing_chosen_names_file_row_field(tmp_path, tiny_qwen, stage):
    rows = preference_rows(3)
    del rows[1]["chosen"]
    message, path = _bad(tmp_path, tiny_qwen, stage, rows, RANKING)
    assert message.startswith(f"{path}:2: chosen — ")
    assert "\n" not in message


def test_empty_rejected_names_file_row_field(tmp_path, tiny_qwen):
    rows = preference_rows(3)
    rows[2]["rejected"] = ""
    message, path = _bad(tmp_path, tiny_qwen, "dpo", rows, RANKING)
    assert message.startswith(f"{path}:3: rejected — ")


def test_kto_tag_not_boolean_names_file_row_field(tmp_path, tiny_qwen):
    rows = kto_rows(3)
    rows[0]["label"] = "maybe"
    message, path = _bad(tmp_path, tiny_qwen, "kto", rows, KTO)
    assert message.startswith(f"{path}:1: label — ")
    assert "true or false" in message


def test_synthetic_data_loads_for_each_stage(tmp_path):
    from tuneforge.config.data import DataConfig
    from tuneforge.data.example import KTOExample, PreferencePair
    from tuneforge.data.load import load_data

    data = write_preference_data(tmp_path / "d", n=6)
    pairs = load_data(DataConfig(dataset="polite_pairs", dataset_dir=str(data)), stage=stage_needs("dpo"), seed=0).train
    kto = load_data(DataConfig(dataset="polite_kto", dataset_dir=str(data)), stage=stage_needs("kto"), seed=0).train
    assert all(isinstance(p, PreferencePair) for p in pairs) and len(pairs) == 6
    assert {e.label for e in kto} == {True, False} and all(isinstance(e, KTOExample) for e in kto)


def test_unsupported_preference_keys_fail_before_any_work():
    from tuneforge.config.load import load_run_config

    base = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o", "stage": "ppo"}
    with pytest.raises(UserError) as err:
        load_run_config({**base, "reward_model_type": "api", "ppo_buffer_size": 2, "kto_chosen_weight": 0})
    message = str(err.value)
    for key in ("reward_model_type", "ppo_buffer_size", "kto_chosen_weight"):
        assert key in message
    load_run_config({**base, "reward_model": "saves/rm", "pref_loss": "simpo", "simpo_gamma": 0.5})
