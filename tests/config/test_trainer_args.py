"""Issue 18: every field of the installed transformers.TrainingArguments is a config key (passed through with
transformers' own value types) or one tuneforge sets itself and refuses with what to set instead — so an LF
YAML never stops at "unknown key" for a TrainingArguments field, and a new transformers release that adds one
fails this test until the field is placed."""
from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import sft_config
from tuneforge.config.run import FIELD_GROUP
from tuneforge.config.trainer import MANAGED


def test_every_training_arguments_field_is_a_key_or_managed():
    from transformers import TrainingArguments

    fields = [f.name for f in dataclasses.fields(TrainingArguments) if f.init]
    unplaced = [name for name in fields if name not in FIELD_GROUP and name not in MANAGED]
    assert not unplaced, f"TrainingArguments fields neither config keys nor MANAGED: {unplaced}"
    assert not set(MANAGED) & set(FIELD_GROUP)


def test_pass_through_keys_reach_training_arguments(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.training.setup import training_arguments

    cfg = load_run_config(sft_config(tiny_qwen, tmp_path, lr_scheduler_type="cosine_with_min_lr",
                                     lr_scheduler_kwargs={"min_lr": 1.0e-5}, neftune_noise_alpha=5,
                                     eval_on_start=True, dataloader_drop_last=True, logging_strategy="epoch",
                                     include_for_metrics=["inputs", "loss"], use_cache=True, hub_strategy="end"))
    args = training_arguments(cfg, on_gpu=False, has_eval=False)
    assert args.lr_scheduler_kwargs == {"min_lr": 1.0e-5} and args.neftune_noise_alpha == 5
    assert args.eval_on_start and args.dataloader_drop_last and args.logging_strategy == "epoch"
    assert args.include_for_metrics == ["inputs", "loss"] and args.hub_strategy == "end"
    assert not args.use_cache  # LF's use_cache is about generation: training never keeps the KV cache
    # the command line spells a mapping as JSON
    cli = load_run_config(sft_config(tiny_qwen, tmp_path), overrides=['lr_scheduler_kwargs={"min_lr": 0.001}'])
    assert cli.trainer.to_training_arguments()["lr_scheduler_kwargs"] == {"min_lr": 0.001}


def test_cosine_with_min_lr_follows_lr_scheduler_kwargs(tiny_qwen, tmp_path):
    """The pass-through changes training: the schedule ends at min_lr, as transformers' scheduler computes."""
    import json
    import math

    import tuneforge

    out = tmp_path / "run"
    tuneforge.train(sft_config(tiny_qwen, out, max_steps=6, learning_rate=1e-3, lr_scheduler_type="cosine_with_min_lr",
                               lr_scheduler_kwargs={"min_lr": 2e-4}))
    logged = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    rates = [record["lr"] for record in logged if "lr" in record]
    # cosine from 1e-3 down to min_lr 2e-4 over 6 steps: 2e-4 + 8e-4 · ½(1 + cos(π·k/6))
    assert rates == pytest.approx([2e-4 + 8e-4 * 0.5 * (1 + math.cos(math.pi * k / 6)) for k in range(6)])


@pytest.mark.parametrize("key, value, says", [
    ("remove_unused_columns", True, "tuneforge's collators read every column"),
    ("use_liger_kernel", True, "set enable_liger_kernel"),
    ("local_rank", 3, "set by torchrun"),
])
def test_managed_fields_are_refused_with_what_to_set(key, value, says, tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match=f"{key} — is set by tuneforge: {says}"):
        load_run_config(sft_config(tiny_qwen, tmp_path, **{key: value}))
    load_run_config(sft_config(tiny_qwen, tmp_path, **{key: False}))  # an empty value asks for nothing


def test_bad_pass_through_values_are_one_line_errors(tiny_qwen, tmp_path):
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="lr_scheduler_kwargs — expected a mapping"):
        load_run_config(sft_config(tiny_qwen, tmp_path), overrides=["lr_scheduler_kwargs=min_lr"])
    with pytest.raises(UserError, match="logging_strategy — 'sometimes' is not one of: no, steps, epoch"):
        load_run_config(sft_config(tiny_qwen, tmp_path, logging_strategy="sometimes"))


def test_use_swanlab_adds_the_tracker_and_names_its_package(tiny_qwen, tmp_path):
    from importlib.util import find_spec

    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError
    from tuneforge.training.trackers import check_trackers_installed

    cfg = load_run_config(sft_config(tiny_qwen, tmp_path, use_swanlab=True, swanlab_project="demo",
                                     report_to="tensorboard"))
    assert cfg.train.report_targets() == ["tensorboard", "swanlab"]
    if find_spec("swanlab") is None:
        with pytest.raises(UserError, match="report_to — needs the swanlab package: pip install swanlab"):
            check_trackers_installed(cfg)
    with pytest.raises(UserError, match="swanlab_project — needs use_swanlab: true or report_to: swanlab"):
        load_run_config(sft_config(tiny_qwen, tmp_path, swanlab_project="demo"))


def test_use_cache_is_the_generation_kv_cache(tiny_qwen):
    from tuneforge.config.model import ModelConfig
    from tuneforge.model.load import load_model

    for on in (True, False):
        model = load_model(ModelConfig(model_name_or_path=str(tiny_qwen), use_cache=on), on_gpu=False,
                           for_training=False)
        assert model.generation_config.use_cache is on


def test_tokens_are_not_written_into_the_run_folder(tiny_qwen, tmp_path):
    import yaml

    import tuneforge

    run = tuneforge.train(sft_config(tiny_qwen, tmp_path / "run", max_steps=1, hub_token="hf_secret",
                                     hf_hub_token="hf_other")).path
    saved = (run / "tuneforge_config.yaml").read_text()
    assert "hf_secret" not in saved and "hf_other" not in saved
    assert yaml.safe_load(saved)["hub_token"] is None
