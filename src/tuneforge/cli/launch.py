"""Multi-process launching: `tuneforge train` re-executes itself under torchrun when more than one process is
asked for (LLaMA-Factory's variables FORCE_TORCHRUN, NPROC_PER_NODE, NNODES, NODE_RANK, MASTER_ADDR,
MASTER_PORT), more than one CUDA device is visible, or `deepspeed` is set (DeepSpeed needs a launcher's
process group: without one it looks for MPI; one process under torchrun is enough). Under a launcher already
(torchrun, `accelerate launch` or `deepspeed` set RANK / LOCAL_RANK) it does nothing: the launcher owns the
processes. torchrun runs through `tuneforge.cli.torchrun`, so a user error stays one line and exit code 2."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.training.setup import under_launcher

log = get_logger()
_TRUE = {"1", "true", "yes", "on"}


def _int_env(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise UserError(f"environment variable {name} must be an integer, got '{value}'") from None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _has_gpu_devices() -> bool:
    """Whether this Linux machine has GPU device nodes (NVIDIA's /dev/nvidiaN, ROCm's /dev/kfd): without them
    torch finds no GPU either, and it need not be imported yet (a process that encodes data before importing
    torch forks lean encoding workers: see training.stages.lm)."""
    import glob

    return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/kfd")


def _visible_gpus(cfg: RunConfig) -> int:
    if cfg.train.use_cpu or (sys.platform == "linux" and not _has_gpu_devices()):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def torchrun_command(argv: list[str], env: Mapping[str, str], gpus: int, *,
                     deepspeed: bool = False) -> list[str] | None:
    """The torchrun command line that runs `tuneforge train argv` on every process, or None to run in this
    process."""
    if under_launcher(env):
        return None
    nproc = _int_env(env, "NPROC_PER_NODE", max(gpus, 1))
    nnodes = _int_env(env, "NNODES", 1)
    forced = deepspeed or env.get("FORCE_TORCHRUN", "").strip().lower() in _TRUE
    if not (forced or nproc > 1 or nnodes > 1):
        return None
    if nproc < 1 or nnodes < 1:
        raise UserError("NPROC_PER_NODE and NNODES must be at least 1")
    return [sys.executable, "-m", "tuneforge.cli.torchrun", f"--nnodes={nnodes}",
            f"--node_rank={_int_env(env, 'NODE_RANK', 0)}", f"--nproc_per_node={nproc}",
            f"--master_addr={env.get('MASTER_ADDR', '127.0.0.1')}",
            f"--master_port={_int_env(env, 'MASTER_PORT', 0) or (29500 if nnodes > 1 else _free_port())}",
            "-m", "tuneforge.cli.main", "train", *argv]


def relaunch_if_distributed(argv: list[str], cfg: RunConfig) -> int | None:
    """The exit code of a relaunched multi-process run, or None to run in this process."""
    command = torchrun_command(argv, os.environ, _visible_gpus(cfg), deepspeed=bool(cfg.scale.deepspeed))
    if command is None:
        return None
    why = "deepspeed needs a distributed launcher: starting the run under torchrun" if cfg.scale.deepspeed \
        else "starting"
    log.info("%s: %s", why, " ".join(command))
    # Each process of the relaunched run prints its own user errors; this one only passes the exit code on.
    return subprocess.run(command, env=dict(os.environ), check=False).returncode
