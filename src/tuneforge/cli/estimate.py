"""`tuneforge estimate CONFIG [key=value ...]`: peak training memory per device from the config and the
model's config.json (no weights loaded), with a breakdown and a fits / does-not-fit verdict."""
from __future__ import annotations

import argparse
import os


def _default_world_size() -> int:
    return max(1, int(os.environ.get("NPROC_PER_NODE", "1") or 1)) * max(1, int(os.environ.get("NNODES", "1") or 1))


def cmd_estimate(argv: list[str]) -> int:
    from tuneforge.cli.overrides import overrides_help

    parser = argparse.ArgumentParser(prog="tuneforge estimate",
                                     description="Estimate peak training memory per device from the config "
                                                 "alone (reads config.json, never the weights).",
                                     epilog=overrides_help("estimate"),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="training YAML/JSON (or a run/model folder)")
    parser.add_argument("--device", choices=("auto", "gpu", "cpu"), default="auto",
                        help="estimate for a GPU or a CPU run (auto: this machine)")
    parser.add_argument("--memory-gb", type=float, default=None,
                        help="memory of one device in GB for the verdict (default: this machine's)")
    parser.add_argument("--world-size", type=int, default=None,
                        help="processes in total (default: NPROC_PER_NODE × NNODES, else 1)")
    args, overrides = parser.parse_known_args(argv)
    from tuneforge.cli.source import load_command_config
    from tuneforge.core.errors import UserError
    from tuneforge.model.estimate import GiB, device_memory_bytes, estimate_memory

    cfg = load_command_config([args.config, *overrides], "estimate")
    on_gpu = args.device == "gpu"
    if args.device == "auto":
        import torch

        on_gpu = torch.cuda.is_available() and not cfg.train.use_cpu
    world = args.world_size or _default_world_size()
    if world < 1:
        raise UserError("must be at least 1", field="world-size")
    estimate = estimate_memory(cfg, on_gpu=on_gpu, world_size=world)
    if args.memory_gb is not None:
        available = args.memory_gb * 1e9
    elif on_gpu == _has_gpu():
        available = device_memory_bytes(on_gpu)
    else:
        available = None
    print(estimate.report(available))
    if available is None:
        print(f"(pass --memory-gb for a verdict; total {estimate.total_bytes / GiB:.2f} GiB)")
    return 0


def _has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()
