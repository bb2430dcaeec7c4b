"""Multi-process launching: `tuneforge train` re-executes itself under torchrun when more than one process is
asked for (LLaMA-Factory's variables FORCE_TORCHRUN, NPROC_PER_NODE, NNODES, NODE_RANK, MASTER_ADDR,
MASTER_PORT) or more than one CUDA device is visible. Under a launcher already (torchrun or `accelerate launch`
set RANK / LOCAL_RANK) it does nothing: the launcher owns the processes."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger

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


def _visible_gpus(cfg: RunConfig) -> int:
    if cfg.train.use_cpu:
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def torchrun_command(argv: list[str], env: Mapping[str, str], gpus: int) -> list[str] | None:
    """The torchrun command line that runs `tuneforge train argv` on every process, or None for one process."""
    if env.get("RANK") is not None or env.get("LOCAL_RANK") is not None:
        return None
    nproc = _int_env(env, "NPROC_PER_NODE", max(gpus, 1))
    nnodes = _int_env(env, "NNODES", 1)
    forced = env.get("FORCE_TORCHRUN", "").strip().lower() in _TRUE
    if not (forced or nproc > 1 or nnodes > 1):
        return None
    if nproc < 1 or nnodes < 1:
        raise UserError("NPROC_PER_NODE and NNODES must be at least 1")
    return [sys.executable, "-m", "torch.distributed.run", f"--nnodes={nnodes}",
            f"--node_rank={_int_env(env, 'NODE_RANK', 0)}", f"--nproc_per_node={nproc}",
            f"--master_addr={env.get('MASTER_ADDR', '127.0.0.1')}",
            f"--master_port={_int_env(env, 'MASTER_PORT', 0) or (29500 if nnodes > 1 else _free_port())}",
            "-m", "tuneforge.cli.main", "train", *argv]


def relaunch_if_distributed(argv: list[str], cfg: RunConfig) -> int | None:
    """The exit code of a relaunched multi-process run, or None to run in this process."""
    command = torchrun_command(argv, os.environ, _visible_gpus(cfg))
    if command is None:
        return None
    log.info("starting %s", " ".join(command))
    # Each process of the relaunched run prints its own user errors; this one only passes the exit code on.
    return subprocess.run(command, env=dict(os.environ), check=False).returncode
