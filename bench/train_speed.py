"""Training speed benchmark: trained (non-padding) tokens/s, time to first step, peak RSS (and peak GPU
memory), MFU and padding ratio, for LoRA and full SFT on the tiny and a ~30M-parameter model, with and without
packing, side by side in one run (this machine is shared and noisy: compare rows of one run as ratios).

    python bench/train_speed.py                      # every case
    python bench/train_speed.py --models m30 --methods lora --steps 10

Each case runs in its own process (so peak RSS is its own) through the same pieces `tuneforge train` uses:
prepare_data, load_model, apply_adapter, training_arguments, build_optimizer, the Collator. MFU = 6·N·tokens/s
divided by the float32 matmul peak this script measures on this device.
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = {  # name → TinyModelSpec keywords
    "tiny": dict(hidden_size=128, intermediate_size=256, num_layers=2, num_heads=4, num_kv_heads=2),
    "m30": dict(hidden_size=512, intermediate_size=1408, num_layers=8, num_heads=8, num_kv_heads=4),
}


def make_dataset(folder: Path, rows: int = 400, seed: int = 0) -> Path:
    """Alpaca rows of widely varying length (20–~450 tokens), built from the bundled samples."""
    repo = Path(__file__).resolve().parents[1]
    base = json.loads((repo / "data" / "alpaca_sample.json").read_text())
    sentences = [r["output"] for r in base]
    rng = random.Random(seed)
    data = [{"instruction": rng.choice(base)["instruction"], "input": "",
             "output": " ".join(rng.choice(sentences) for _ in range(int(rng.paretovariate(1.2) * 2)))[:2000]}
            for _ in range(rows)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(json.dumps(data))
    (folder / "dataset_info.json").write_text(json.dumps({"bench": {"file_name": "bench.json"}}))
    return folder


def matmul_peak_flops(seconds: float = 1.0) -> float:
    """Measured float32 matmul FLOP/s of this device (2·n³ per n×n product)."""
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    n = 4096 if device == "cuda" else 1024
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * n**3 * count / (time.perf_counter() - start)


def _peak_rss_bytes() -> int:
    """VmHWM: this process's own peak (ru_maxrss would carry the spawning process's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_case(config: dict, started: float) -> dict:
    """Train in this process; the figures of one case."""
    import torch
    from transformers import Trainer, TrainerCallback, set_seed

    from tuneforge.config.load import load_run_config
    from tuneforge.encode.collate import Collator
    from tuneforge.model.adapters import apply_adapter
    from tuneforge.model.load import load_model
    from tuneforge.training.prepare import prepare_data
    from tuneforge.training.setup import build_optimizer, training_arguments, use_gpu

    cfg = load_run_config(config)
    on_gpu = use_gpu(cfg)
    prepared = prepare_data(cfg)
    set_seed(cfg.train.seed)
    model = apply_adapter(load_model(cfg.model, on_gpu=on_gpu, scale=cfg.scale), cfg.finetune, cfg.model)
    collator = Collator(prepared.tokenizer.pad_token_id)
    counts = {"real": 0, "total": 0}

    def counting(features):
        batch = collator(features)
        counts["total"] += batch["input_ids"].numel()
        counts["real"] += int(batch["attention_mask"].sum()) if "attention_mask" in batch else batch["input_ids"].numel()
        return batch

    marks: dict = {}

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 1:
                marks["first"] = time.perf_counter()
                marks["tokens_at_first"] = counts["real"]

    args = training_arguments(cfg, on_gpu, has_eval=False, model=model)
    trainer = Trainer(model=model, args=args, train_dataset=prepared.train, data_collator=counting,
                      optimizers=build_optimizer(cfg, model), callbacks=[Clock()])
    trainer.train()
    end = time.perf_counter()
    params = sum(p.numel() for p in model.parameters())
    tokens_after_first = counts["real"] - marks["tokens_at_first"]
    tps = tokens_after_first / max(end - marks["first"], 1e-9)
    out = {"tokens_per_s": tps, "first_step_s": marks["first"] - started, "params": params,
           "padding_ratio": 1 - counts["real"] / max(counts["total"], 1), "trained_tokens": counts["real"],
           "peak_rss_mb": _peak_rss_bytes() / 2**20}
    if on_gpu:
        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def _case_config(model: Path, data: Path, out: Path, method: str, packing: bool, steps: int, batch: int) -> dict:
    return {"model_name_or_path": str(model), "stage": "sft", "finetuning_type": method, "dataset": "bench",
            "dataset_dir": str(data), "template": "qwen", "cutoff_len": 512, "packing": packing,
            "neat_packing": packing, "per_device_train_batch_size": batch, "max_steps": steps,
            "learning_rate": 1e-4, "output_dir": str(out), "save_strategy": "no", "logging_steps": 1000,
            "disable_tqdm": True, "report_to": "none", "overwrite_output_dir": True, "seed": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="tiny,m30")
    parser.add_argument("--methods", default="lora,full")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: one case, in a child process
    args = parser.parse_args()
    if args.case:
        started = time.perf_counter()
        print("RESULT " + json.dumps(run_case(json.loads(args.case), started)))
        return
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    peak = matmul_peak_flops()
    print(f"measured matmul peak: {peak / 1e9:.1f} GFLOP/s (float32)")
    work = Path(tempfile.mkdtemp(prefix="tf-bench-"))
    data = make_dataset(work / "data")
    header = f"{'model':6} {'method':5} {'packing':8} {'tok/s':>8} {'first step s':>12} {'peak RSS MB':>11} " \
             f"{'MFU %':>6} {'padding %':>9}"
    print(header)
    for model_name in args.models.split(","):
        model = make_tiny_model(work / model_name, TinyModelSpec(**MODELS[model_name]), overwrite=True)
        for method in args.methods.split(","):
            for packing in (False, True):
                config = _case_config(model, data, work / "out", method, packing, args.steps, args.batch)
                proc = subprocess.run([sys.executable, __file__, "--case", json.dumps(config)], capture_output=True,
                                      text=True, env={**__import__("os").environ,
                                                      "XDG_CACHE_HOME": str(work / "cache")})
                lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
                if not lines:
                    print(f"{model_name} {method} packing={packing} FAILED\n{proc.stderr[-2000:]}")
                    continue
                r = json.loads(lines[-1][7:])
                mfu = 6 * r["params"] * r["tokens_per_s"] / peak
                print(f"{model_name:6} {method:5} {str(packing):8} {r['tokens_per_s']:8.0f} {r['first_step_s']:12.1f} "
                      f"{r['peak_rss_mb']:11.0f} {100 * mfu:6.1f} {100 * r['padding_ratio']:9.1f}", flush=True)


if __name__ == "__main__":
    main()
