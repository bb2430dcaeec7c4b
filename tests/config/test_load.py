"""Config: LLaMA-Factory YAMLs load unchanged, overrides in both styles, every error at once, clear messages."""
from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import LF_FIXTURES, REPO, needs_lf_fixtures
from tuneforge.config.help import format_config_help
from tuneforge.config.load import load_run_config, parse_overrides
from tuneforge.config.run import GROUPS
from tuneforge.core.errors import UserError

LF_REQUIRED_KEYS = """model_name_or_path adapter_name_or_path template trust_remote_code cache_dir stage do_train
finetuning_type lora_rank lora_alpha lora_dropout lora_target additional_target use_dora use_rslora pissa_init
loraplus_lr_ratio freeze_trainable_layers freeze_trainable_modules freeze_extra_modules dataset eval_dataset
dataset_dir cutoff_len max_samples val_size packing neat_packing train_on_prompt mask_history
preprocessing_num_workers overwrite_cache tokenized_path mix_strategy interleave_probs output_dir
overwrite_output_dir logging_steps save_steps save_total_limit plot_loss report_to per_device_train_batch_size
gradient_accumulation_steps learning_rate num_train_epochs max_steps lr_scheduler_type warmup_ratio
warmup_steps max_grad_norm weight_decay optim bf16 fp16 seed resume_from_checkpoint
include_num_input_tokens_seen ddp_timeout flash_attn gradient_checkpointing""".split()


def test_every_llamafactory_key_the_core_promises_is_a_field():
    fields = {f.name for cls in GROUPS.values() for f in dataclasses.fields(cls)}
    assert sorted(set(LF_REQUIRED_KEYS) - fields) == []


def test_llamafactory_example_yaml_loads_unchanged():
    needs_lf_fixtures()
    cfg = load_run_config(LF_FIXTURES / "examples/train_lora/qwen3_lora_sft.yaml")
    assert cfg.model.model_name_or_path == "Qwen/Qwen3-4B-Instruct-2507"
    assert cfg.finetune.finetuning_type == "lora" and cfg.finetune.lora_rank == 8
    assert cfg.data.dataset_names() == ["identity", "alpaca_en_demo"]
    assert cfg.data.template == "qwen3_nothink"
    assert cfg.train.learning_rate == pytest.approx(1e-4)
    assert cfg.train.bf16 is True and cfg.train.ddp_timeout == 180000000


def test_overrides_in_both_styles_win_over_the_file():
    cfg = load_run_config(REPO / "examples/sft_lora.yaml",
                          ["learning_rate=5e-5", "--num_train_epochs", "2", "--plot_loss=false", "--do_eval",
                           "--val_size", "0.1"])
    assert cfg.train.learning_rate == pytest.approx(5e-5)   # "5e-5" is a string to YAML 1.1; coerced
    assert cfg.train.num_train_epochs == 2.0
    assert cfg.train.plot_loss is False
    assert cfg.train.do_eval is True and cfg.data.val_size == pytest.approx(0.1)


def test_parse_overrides_bare_flag_means_true():
    assert parse_overrides(["--packing", "--lora_rank", "4", "seed=3"]) == \
        {"packing": "true", "lora_rank": "4", "seed": "3"}


def test_all_errors_are_reported_together_with_did_you_mean(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model_name_or_path: m\nlerning_rate: 1.0\nlora_rank: abc\nfinetuning_type: lorra\n"
                    "output_dir: o\ndataset: d\n")
    with pytest.raises(UserError) as err:
        load_run_config(path)
    text = err.value.format()
    assert "lerning_rate — unknown key (did you mean 'learning_rate'?)" in text
    assert "lora_rank — expected an integer, got 'abc'" in text
    assert str(path) in text


def test_choices_and_cross_group_rules_are_collected():
    with pytest.raises(UserError) as err:
        load_run_config({"model_name_or_path": "m", "finetuning_type": "lorra", "bf16": True, "fp16": True})
    text = err.value.format()
    assert "finetuning_type — 'lorra' is not one of: lora, freeze, full" in text
    assert "fp16 — bf16 and fp16 cannot both be on" in text
    assert "dataset — is required when do_train is true" in text
    assert "output_dir — is required when do_train is true" in text


def test_keys_of_later_capabilities_say_not_supported_yet_unless_empty():
    base = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o"}
    load_run_config({**base, "ray_num_workers": None, "ray_run_name": ""})  # empty values are fine
    with pytest.raises(UserError, match=r"ray_num_workers — not supported yet \(other engines"):
        load_run_config({**base, "ray_num_workers": 2})


@pytest.mark.parametrize("key, reason", [("use_unsloth", "monkey-patching"), ("shift_attn", "use rope_scaling"),
                                         ("use_mca", "DeepSpeed or FSDP")])
def test_keys_not_offered_by_design_say_why(key, reason):
    base = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o"}
    load_run_config({**base, key: False})
    with pytest.raises(UserError, match=f"{key} — is not offered: .*{reason}"):
        load_run_config({**base, key: True})


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("model_name_or_path: m\nlearning_rate: [1, 2\n")
    with pytest.raises(UserError) as err:
        load_run_config(path)
    assert err.value.file == str(path) and err.value.row is not None


def test_missing_config_file():
    with pytest.raises(UserError, match="config file not found"):
        load_run_config("does/not/exist.yaml")


def test_config_is_frozen_and_round_trips_through_its_flat_form():
    cfg = load_run_config(REPO / "examples/sft_lora.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.train.learning_rate = 1.0  # type: ignore[misc]
    assert load_run_config(cfg.to_flat()) == cfg


def test_help_lists_every_key_with_its_default():
    text = format_config_help()
    for cls in GROUPS.values():
        for f in dataclasses.fields(cls):
            assert f"  {f.name} (" in text
    assert "lora_rank (int, default 8)" in text


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "examples").glob("*.yaml")))
def test_every_shipped_example_parses(name):
    load_run_config(REPO / "examples" / name)


def test_config_doc_is_generated_from_the_dataclasses():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(REPO / "scripts/gen_config_doc.py"), "--check"])
    assert result.returncode == 0, "docs/config.md is stale: run python scripts/gen_config_doc.py"


def test_an_override_can_cancel_a_file_value(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model_name_or_path: m\ndataset: d\noutput_dir: o\nuse_unsloth: true\n")
    with pytest.raises(UserError, match="use_unsloth — is not offered"):
        load_run_config(path)
    load_run_config(path, ["use_unsloth=null"])


def test_llamafactory_predict_yaml_means_predict_only():
    needs_lf_fixtures()
    cfg = load_run_config(LF_FIXTURES / "examples/extras/nlg_eval/llama3_lora_predict.yaml")
    assert cfg.train.do_predict and not cfg.train.trains()
    assert cfg.evaluate.predict_with_generate and cfg.data.eval_dataset_names() == ["identity", "alpaca_en_demo"]
    assert load_run_config(REPO / "examples/sft_lora.yaml").train.trains()


def test_field_facts_read_each_type_once_for_loader_help_and_forms():
    from dataclasses import dataclass

    from tuneforge.config.fields import field_facts, option
    from tuneforge.config.train import TrainConfig

    facts = {f.name: f for f in field_facts(TrainConfig)}
    assert (facts["learning_rate"].base, facts["learning_rate"].optional) == ("float", False)
    assert (facts["output_dir"].base, facts["output_dir"].optional, facts["output_dir"].type_label()) == \
        ("str", True, "str?")
    assert facts["save_strategy"].kind == "choice" and facts["save_strategy"].type_label() == "no|steps|epoch"
    assert facts["gradient_checkpointing"].type_label() == "bool?"

    @dataclass(frozen=True)
    class Odd:
        names: list = option(None, "a list is not a config type")

    with pytest.raises(TypeError, match="bool, int, float or str"):
        field_facts(Odd)


def test_config_only_rules_are_all_reported_together_before_anything_loads():
    """Rules that once raised one at a time from the training layer (scale, optimizer, reference model, reward
    adapter, val_size with eval_dataset) are config rules: one run shows every mistake."""
    with pytest.raises(UserError) as err:
        load_run_config({"model_name_or_path": "m", "dataset": "d", "eval_dataset": "e", "val_size": 0.1,
                         "output_dir": "o", "stage": "dpo", "finetuning_type": "freeze", "quantization_bit": 4,
                         "use_galore": True, "galore_layerwise": True, "optim": "adafactor",
                         "gradient_accumulation_steps": 2, "ref_model_adapters": "x"})
    message = err.value.format()
    for key in ("val_size", "quantization_bit", "use_galore", "optim", "galore_layerwise", "ref_model_adapters"):
        assert key in message, key
    with pytest.raises(UserError, match="continuing a reward-model adapter"):
        load_run_config({"model_name_or_path": "m", "dataset": "d", "output_dir": "o", "stage": "rm",
                         "adapter_name_or_path": "a"})


@pytest.mark.parametrize("stage, extra", [("kto", {}), ("dpo", {"pref_loss": "kto_pair"})])
def test_kto_batch_of_one_is_regrouped_or_refused_in_one_line(stage, extra):
    """TRL's KTO estimates its KL term within a device batch: 1 × 8 runs as 2 × 4 (same examples per update),
    1 × 1 cannot be regrouped and is refused before anything loads, saying what to set."""
    base = {"model_name_or_path": "m", "stage": stage, "dataset": "d", "output_dir": "o", **extra}
    cfg = load_run_config({**base, "per_device_train_batch_size": 1, "gradient_accumulation_steps": 8})
    assert cfg.device_batches() == (2, 4) and cfg.train.per_device_train_batch_size == 1
    assert load_run_config({**base, "per_device_train_batch_size": 3}).device_batches() == (3, 1)
    assert load_run_config({**base, "stage": "sft", "pref_loss": "sigmoid"}).device_batches() == (1, 1)
    with pytest.raises(UserError) as err:
        load_run_config({**base, "gradient_accumulation_steps": 3})
    message = err.value.format()
    assert "per_device_train_batch_size" in message and "set per_device_train_batch_size: 2" in message
    assert "\n" not in message


def test_each_error_names_where_its_value_came_from(tmp_path):
    """A value from the file is blamed on the file, an override on the command line (or, through the Python
    API, on the overrides); a key nobody set on the file, where it would go."""
    path = tmp_path / "my.yaml"
    path.write_text("model_name_or_path: m\ndataset: d\nlora_dropout: 2\n")
    with pytest.raises(UserError) as err:
        load_run_config(path, ["stage=sftt"])
    assert err.value.format() == (
        f"3 errors: {path}: lora_dropout — must be in [0, 1) | command line: stage — 'sftt' is not one of: pt, sft, "
        f"rm, ppo, dpo, kto, grpo (did you mean 'sft'?) | {path}: output_dir — is required when do_train is true")
    with pytest.raises(UserError) as err:
        load_run_config({"model_name_or_path": "m", "dataset": "d", "output_dir": "o"}, {"stage": "sftt"},
                        overrides_from="overrides")
    assert err.value.format() == \
        "overrides: stage — 'sftt' is not one of: pt, sft, rm, ppo, dpo, kto, grpo (did you mean 'sft'?)"


def test_type_errors_are_reported_with_every_other_mistake(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text("model_name_or_path: m\ndataset: d\noutput_dir: o\nwarmup_ratio: 1.5\n")
    with pytest.raises(UserError) as err:
        load_run_config(path, ["learning_rate=abc", "lora_rank=-1", "--seed", "x"])
    assert [(e.file, e.field, e.message) for e in err.value.errors] == [
        ("command line", "learning_rate", "expected a number, got 'abc'"),
        ("command line", "seed", "expected an integer, got 'x'"),
        ("command line", "lora_rank", "must be at least 1"),
        (str(path), "warmup_ratio", "must be in [0, 1)")]


def test_python_api_names_its_overrides(tmp_path):
    import tuneforge

    path = tmp_path / "my.yaml"
    path.write_text("model_name_or_path: m\ndataset: d\noutput_dir: o\n")
    with pytest.raises(UserError) as err:
        tuneforge.train(path, ["seed=x", "stage=sftt"])
    assert err.value.format() == ("2 errors: overrides: seed — expected an integer, got 'x' | overrides: stage — "
                                  "'sftt' is not one of: pt, sft, rm, ppo, dpo, kto, grpo (did you mean 'sft'?)")


def test_export_refuses_the_training_quantization_key_and_says_which_export_key_quantizes():
    base = {"model_name_or_path": "m", "export_dir": "x"}
    with pytest.raises(UserError) as err:
        load_run_config(base, ["quantization_bit=4"], command="export")
    assert err.value.format() == ("command line: quantization_bit — loads a base model quantized for training and "
                                  "is not read by export; to quantize the exported model set "
                                  "export_quantization_bit: 4")
    with pytest.raises(UserError, match="to quantize the exported model set gguf_type: q8_0$"):
        load_run_config({**base, "quantization_bit": 8, "export_format": "gguf"}, command="export")
    load_run_config({**base, "export_quantization_bit": 4}, command="export")
    load_run_config({**base, "quantization_bit": 4, "dataset": "d", "output_dir": "o"})  # QLoRA training


@pytest.mark.parametrize("command", ["train", "export"])
def test_an_adapter_needs_finetuning_type_lora_as_in_llamafactory(command):
    keys = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o", "export_dir": "x",
            "adapter_name_or_path": "a"}
    for finetuning_type in ("full", "freeze"):
        with pytest.raises(UserError) as err:
            load_run_config({**keys, "finetuning_type": finetuning_type}, command=command)
        assert err.value.format() == (f"adapter_name_or_path — is only valid with finetuning_type lora (got "
                                      f"{finetuning_type}); a model trained with full or freeze is a model folder: "
                                      f"give it as model_name_or_path")
    load_run_config(keys, command=command)
    load_run_config({**keys, "finetuning_type": "full"}, command="chat")  # chat loads what it is given


def test_report_to_takes_a_list_as_llamafactory_yamls_write_it():
    base = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o"}
    listed = load_run_config({**base, "report_to": ["wandb", "tensorboard"]}).train
    assert listed.report_to == "wandb,tensorboard"
    assert listed.to_training_arguments()["report_to"] == ["wandb", "tensorboard"]  # not one name "wandb,tensorboard"
    assert load_run_config(base).train.to_training_arguments()["report_to"] == "none"
    assert load_run_config({**base, "report_to": "all"}).train.report_targets() == "all"
    # stage ppo runs on the Trainer like every stage, so it reports to trackers too
    assert load_run_config({**base, "stage": "ppo", "reward_model": "r", "report_to": "wandb"}).train.report_to == "wandb"


def test_llamafactorys_debug_print_key_is_accepted():
    base = {"model_name_or_path": "m", "dataset": "d", "output_dir": "o"}
    load_run_config({**base, "print_param_status": True})  # a debug print: accepted
