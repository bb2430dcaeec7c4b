"""Definition of done 1: DDP over gloo with 2 CPU processes (through the NPROC_PER_NODE relaunch and through
torchrun directly) follows the same loss curve as one process with the same global batch, encodes the data
once, saves each checkpoint once, and resumes from a checkpoint onto the same curve."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

import tuneforge
from tests.conftest import sft_config
from tests.e2e.helpers import logged_losses
from tuneforge.cli.launch import torchrun_command


def _config(model, out, **overrides) -> dict:
    keys = dict(dataset="alpaca_sample", cutoff_len=128, max_steps=6, save_steps=3, per_device_train_batch_size=4)
    return sft_config(model, out, **{**keys, **overrides})


def _train_cli(args: list[str], env_extra: dict, cache) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
    env.update(env_extra, XDG_CACHE_HOME=str(cache), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "train", *args], env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def ddp_run(tiny_qwen, tmp_path_factory):
    """One single-process run (batch 4) and one 2-process run (2 × 2) relaunched through NPROC_PER_NODE."""
    root = tmp_path_factory.mktemp("ddp")
    single = tuneforge.train(_config(tiny_qwen, root / "single"))
    cfg_file = root / "ddp.yaml"
    cfg_file.write_text(yaml.safe_dump(_config(tiny_qwen, root / "ddp", per_device_train_batch_size=2)))
    # TUNEFORGE_VERBOSITY: every rank logs, so the test can see which one encoded
    result = _train_cli([str(cfg_file)], {"NPROC_PER_NODE": "2", "TUNEFORGE_VERBOSITY": "INFO"}, root / "cache")
    assert result.returncode == 0, result.stderr[-3000:]
    return root, single.path, root / "ddp", result, cfg_file


def test_relaunch_command_follows_llamafactory_variables():
    assert torchrun_command(["c.yaml"], {}, gpus=1) is None
    assert torchrun_command(["c.yaml"], {"NPROC_PER_NODE": "2", "LOCAL_RANK": "0"}, gpus=0) is None
    command = torchrun_command(["c.yaml", "lr=1"], {"NPROC_PER_NODE": "2", "MASTER_PORT": "1234"}, gpus=0)
    assert "--nproc_per_node=2" in command and "--master_port=1234" in command
    assert command[-3:] == ["train", "c.yaml", "lr=1"]
    assert "--nproc_per_node=4" in torchrun_command(["c.yaml"], {}, gpus=4)
    forced = torchrun_command(["c.yaml"], {"FORCE_TORCHRUN": "1", "NNODES": "2", "NODE_RANK": "1",
                                           "MASTER_ADDR": "10.0.0.1"}, gpus=0)
    assert {"--nproc_per_node=1", "--nnodes=2", "--node_rank=1", "--master_addr=10.0.0.1",
            "--master_port=29500"} <= set(forced)
    # DeepSpeed needs a launcher's process group: one process under torchrun, unless a launcher started us.
    assert "--nproc_per_node=1" in torchrun_command(["c.yaml"], {}, gpus=0, deepspeed=True)
    assert torchrun_command(["c.yaml"], {"RANK": "0", "LOCAL_RANK": "0"}, gpus=0, deepspeed=True) is None


def test_two_processes_follow_the_single_process_loss_curve(ddp_run):
    _, single, ddp, result, _ = ddp_run
    one, two = logged_losses(single), logged_losses(ddp)
    assert len(one) == len(two) == 6
    assert two == pytest.approx(one, rel=1e-4)
    assert "nproc_per_node=2" in result.stderr  # really relaunched under torchrun


def test_data_encoded_once_and_checkpoints_saved_once(ddp_run):
    root, _, ddp, result, _ = ddp_run
    cached = root / "cache" / "tuneforge" / "encoded"
    entries = [p.name for p in cached.iterdir() if p.is_dir()]
    assert len(entries) == 1 and (cached / entries[0] / "manifest.json").is_file()  # one entry, no work left over
    # rank 0 encoded; rank 1 memory-mapped the same files instead of encoding its own copy
    assert result.stderr.count("nothing re-encoded") == 1 and f"cached in {cached / entries[0]}" in result.stderr
    assert result.stderr.count("train data: 29 examples") == 2  # both ranks train on the same encoding
    assert sorted(p.name for p in ddp.glob("checkpoint-*")) == ["checkpoint-3", "checkpoint-6"]
    rows = [json.loads(line) for line in (ddp / "trainer_log.jsonl").read_text().splitlines()]
    steps = [row["current_steps"] for row in rows if "loss" in row]
    assert steps == [1, 2, 3, 4, 5, 6]  # one writer: no duplicated log lines
    assert json.loads((ddp / "tuneforge_run.json").read_text())["finished"] is True


def test_ddp_resumes_from_a_checkpoint_onto_the_same_curve(ddp_run):
    root, _, ddp, _, cfg_file = ddp_run
    resumed = root / "resumed"
    args = ["-m", "torch.distributed.run", "--nproc_per_node=2", "--standalone", "-m", "tuneforge.cli.main",
            "train", str(cfg_file), f"output_dir={resumed}", f"resume_from_checkpoint={ddp / 'checkpoint-3'}"]
    env = dict(os.environ, XDG_CACHE_HOME=str(root / "cache"), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in (resumed / "trainer_log.jsonl").read_text().splitlines()]
    resumed_losses = {row["current_steps"]: row["loss"] for row in rows if "loss" in row}
    assert sorted(resumed_losses) == [4, 5, 6]
    assert [resumed_losses[s] for s in (4, 5, 6)] == pytest.approx(logged_losses(ddp)[3:], rel=1e-4)


_ORDER_PROBE = """
import os, sys, time
from tuneforge.config.load import load_run_config
from tuneforge.training.setup import main_process_first
cfg = load_run_config({"model_name_or_path": "m", "do_train": False})
with main_process_first(cfg, on_gpu=False) as is_main:
    with open(sys.argv[1], "a") as f:
        f.write(f"{os.environ['RANK']} start {time.time()}\\n")
    time.sleep(1.0)
    with open(sys.argv[1], "a") as f:
        f.write(f"{os.environ['RANK']} end {time.time()} {is_main}\\n")
"""


def test_main_process_prepares_before_the_others(tmp_path):
    """The block that encodes data (and fills the cache the others read) runs on rank 0 first."""
    script, record = tmp_path / "probe.py", tmp_path / "order.txt"
    script.write_text(_ORDER_PROBE)
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
                             "--standalone", str(script), str(record)], capture_output=True, text=True,
                            timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    events = [line.split()[:2] for line in record.read_text().splitlines()]
    assert events == [["0", "start"], ["0", "end"], ["1", "start"], ["1", "end"]]


@pytest.mark.parametrize("stage, extra", [("grpo", {"num_generations": 4, "per_device_train_batch_size": 4}),
                                          ("ppo", {"per_device_train_batch_size": 4, "ppo_epochs": 2})])
def test_online_rl_stages_train_under_ddp(tiny_qwen, tmp_path, stage, extra):
    """grpo and ppo run on the Trainer, so two gloo processes train them too: each rank samples its share of
    the prompts, the gradients are averaged, one adapter is saved."""
    from tests.training.rl_support import reward_file, rl_config

    rewards_py = reward_file(tmp_path / "rewards")
    cfg_file = tmp_path / "run.yaml"
    cfg_file.write_text(yaml.safe_dump(rl_config(tiny_qwen, tmp_path / "out", stage, f"{rewards_py}:e_share",
                                                 max_steps=4, save_steps=2, **extra)))
    result = _train_cli([str(cfg_file)], {"NPROC_PER_NODE": "2"}, tmp_path / "cache")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "nproc_per_node=2" in result.stderr
    out = tmp_path / "out"
    rows = [json.loads(line) for line in (out / "trainer_log.jsonl").read_text().splitlines()]
    rows = [row for row in rows if "loss" in row]
    assert [row["current_steps"] for row in rows] == [1, 2, 3, 4] and all("reward" in row for row in rows)
    assert (out / "adapter_model.safetensors").is_file() and (out / "checkpoint-4").is_dir()
