"""Definition of done 2: the shipped DeepSpeed (ZeRO-0/2/2-offload/3/3-offload) and accelerate FSDP/FSDP2
configs parse and are accepted by the engines on this machine; ZeRO-2 really trains on 2 CPU ranks over gloo."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, sft_config
from tests.e2e.helpers import logged_losses

DS_CONFIGS = sorted((REPO / "examples" / "deepspeed").glob("ds_z*_config.json"))
FSDP_CONFIGS = sorted((REPO / "examples" / "accelerate").glob("fsdp*_config.yaml"))

_DS_PROBE = """
import json, sys
from tuneforge.config.load import load_run_config
from tuneforge.training.setup import training_arguments
out = {}
for path in sys.argv[2:]:
    cfg = load_run_config({"model_name_or_path": "m", "do_train": False, "deepspeed": path, "output_dir": sys.argv[1],
                           "per_device_train_batch_size": 3, "gradient_accumulation_steps": 2})
    c = training_arguments(cfg, on_gpu=False, has_eval=False).hf_deepspeed_config.config
    out[path] = [c["zero_optimization"]["stage"], c["train_micro_batch_size_per_gpu"], c["gradient_accumulation_steps"]]
print("RESULT " + json.dumps(out))
"""


def _one_rank_env() -> dict:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return dict(os.environ, RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))


def test_all_deepspeed_configs_are_shipped_and_accepted(tmp_path):
    pytest.importorskip("deepspeed", reason="needs deepspeed (pip install --no-build-isolation deepspeed)")
    assert {p.name for p in DS_CONFIGS} == {"ds_z0_config.json", "ds_z2_config.json", "ds_z2_offload_config.json",
                                            "ds_z3_config.json", "ds_z3_offload_config.json"}
    result = subprocess.run([sys.executable, "-c", _DS_PROBE, str(tmp_path / "o"), *map(str, DS_CONFIGS)],
                            env=_one_rank_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    accepted = json.loads(result.stdout.split("RESULT ", 1)[1])
    # transformers' DeepSpeed integration filled every "auto" from the run's own keys.
    assert {Path(p).name: v for p, v in accepted.items()} == {
        "ds_z0_config.json": [0, 3, 2], "ds_z2_config.json": [2, 3, 2], "ds_z2_offload_config.json": [2, 3, 2],
        "ds_z3_config.json": [3, 3, 2], "ds_z3_offload_config.json": [3, 3, 2]}


def test_fsdp_configs_parse_and_are_accepted(tmp_path):
    from accelerate.commands.config.config_args import load_config_from_file
    from accelerate.utils import DistributedType

    assert {p.name for p in FSDP_CONFIGS} == {"fsdp_config.yaml", "fsdp2_config.yaml"}
    versions = set()
    for path in FSDP_CONFIGS:
        config = load_config_from_file(str(path))
        assert config.distributed_type == DistributedType.FSDP
        versions.add(config.fsdp_config.get("fsdp_version", 1))
    assert versions == {1, 2}
    fsdp_json = tmp_path / "fsdp.json"
    fsdp_json.write_text(json.dumps({"transformer_layer_cls_to_wrap": ["Qwen2DecoderLayer"], "version": 2}))
    probe = ("import sys; from tuneforge.config.load import load_run_config; "
             "from tuneforge.training.setup import training_arguments; "
             "cfg = load_run_config({'model_name_or_path': 'm', 'do_train': False, 'fsdp': 'full_shard auto_wrap', "
             "'fsdp_config': sys.argv[1], 'output_dir': sys.argv[2]}); "
             "a = training_arguments(cfg, on_gpu=False, has_eval=False); "
             "print('RESULT', a.fsdp_config['version'], a.fsdp_config['transformer_layer_cls_to_wrap'])")
    result = subprocess.run([sys.executable, "-c", probe, str(fsdp_json), str(tmp_path / "o")], env=_one_rank_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RESULT 2 ['Qwen2DecoderLayer']" in result.stdout


@pytest.mark.slow
def test_zero2_trains_on_two_cpu_ranks(tiny_qwen, tmp_path):
    pytest.importorskip("deepspeed", reason="needs deepspeed (pip install --no-build-isolation deepspeed)")
    import yaml

    out = tmp_path / "z2"
    config = tmp_path / "z2.yaml"
    config.write_text(yaml.safe_dump(sft_config(tiny_qwen, out, dataset="alpaca_sample", max_steps=4,
                                                per_device_train_batch_size=2,
                                                deepspeed=str(REPO / "examples/deepspeed/ds_z2_config.json"))))
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                             "-m", "tuneforge.cli.main", "train", str(config)], env=env, capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(logged_losses(out)) == 4 and (out / "adapter_model.safetensors").is_file()


def _no_launcher_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "FORCE_TORCHRUN",
                                                             "NPROC_PER_NODE")}
    # DeepSpeed builds its CPU communication op once into torch's extension cache; a per-test XDG_CACHE_HOME
    # would rebuild it (minutes) every run, so the build cache stays the user's.
    env.setdefault("TORCH_EXTENSIONS_DIR", str(Path.home() / ".cache" / "torch_extensions"))
    return dict(env, XDG_CACHE_HOME=str(tmp_path / "cache"), OMP_NUM_THREADS="1")


def test_deepspeed_without_torchrun_starts_itself_under_torchrun_and_trains(tiny_qwen, tmp_path):
    """`tuneforge train cfg.yaml deepspeed=…` with no launcher: DeepSpeed alone would look for MPI and fail; the
    CLI relaunches itself as one process under torchrun (ZeRO-3 here) and trains."""
    pytest.importorskip("deepspeed", reason="needs deepspeed (pip install --no-build-isolation deepspeed)")
    import yaml

    from tests.e2e.helpers import load_safetensors

    out = tmp_path / "z3"
    config = tmp_path / "z3.yaml"
    config.write_text(yaml.safe_dump(sft_config(tiny_qwen, out, dataset="alpaca_sample", max_steps=2,
                                                cutoff_len=128, per_device_train_batch_size=2)))
    deepspeed = REPO / "examples/deepspeed/ds_z3_config.json"
    result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "train", str(config),
                             f"deepspeed={deepspeed}"], env=_no_launcher_env(tmp_path), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    started = [line for line in result.stderr.splitlines() if "deepspeed needs a distributed launcher" in line]
    assert len(started) == 1 and started[0].startswith(
        "[tuneforge] deepspeed needs a distributed launcher: starting the run under torchrun: ")
    assert "--nproc_per_node=1" in started[0] and f"deepspeed={deepspeed}" in started[0]
    losses = logged_losses(out)
    assert len(losses) == 2 and all(0 < loss < 20 for loss in losses)
    weights = load_safetensors(out / "adapter_model.safetensors")
    assert any(float(t.abs().sum()) > 0 for name, t in weights.items() if "lora_B" in name)  # B starts at 0


def test_deepspeed_user_errors_stay_one_line_under_the_relaunch(tiny_qwen, tmp_path):
    pytest.importorskip("deepspeed", reason="needs deepspeed (pip install --no-build-isolation deepspeed)")
    result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "train", f"model_name_or_path={tiny_qwen}",
                             "dataset=nosuch", f"dataset_dir={REPO / 'data'}", "template=qwen",
                             f"output_dir={tmp_path / 'o'}",
                             f"deepspeed={REPO / 'examples/deepspeed/ds_z3_config.json'}"],
                            env=_no_launcher_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and "ChildFailedError" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        f"error: {REPO / 'data' / 'dataset_info.json'}: dataset — unknown dataset 'nosuch'; it is neither an entry "
        f"of dataset_info.json nor an existing file"]


def test_deepspeed_through_the_python_api_without_a_launcher_is_one_clear_error(tmp_path, monkeypatch):
    """tuneforge.train cannot relaunch its caller: it refuses before anything loads."""
    from importlib.util import find_spec

    import tuneforge
    from tuneforge.core.errors import UserError

    if find_spec("deepspeed") is None:
        pytest.skip("needs deepspeed")
    for name in ("RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError) as err:
        tuneforge.train({"model_name_or_path": str(tmp_path / "no-model"), "dataset": "nosuch",
                         "output_dir": str(tmp_path / "o"), "deepspeed": str(REPO / "examples/deepspeed/ds_z3_config.json")})
    assert err.value.format() == ("deepspeed — needs a distributed launcher: run it with `tuneforge train`, which "
                                  "starts torchrun itself, or under torchrun / accelerate launch")
