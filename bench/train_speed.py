"""Training speed and memory: tuneforge's fast step, tuneforge with `fast_path: false` (transformers' padded
step), and LLaMA-Factory 0.9.5 when its CLI is given — the same YAML, model, data and seed, each run a fresh
process that encodes its data itself, figures side by side in one run.

    python bench/train_speed.py --lf /work/venv-lf/bin/llamafactory-cli     # the whole job (~25 min, 2 cores)
    python bench/train_speed.py --methods lora --no-memory                   # tuneforge only, LoRA
    python bench/train_speed.py --small                                      # the CI setting (~1 min)

The job (issue 14): a tiny Qwen2 made here (hidden 256, 4 layers, vocab 6000 trained on the data), 500 + 500
alpaca rows (LLaMA-Factory's en/zh demo data) and 300 sharegpt tool-call rows, LoRA rank 8 on every linear
layer (lr 2e-3) and full SFT (lr 1e-3), batch 4, cutoff 512, fp32, 1 epoch, cosine schedule, seed 42.
Printed per run: trained (label) tokens per second of train_runtime, seconds from process start to the first
logged step, peak RSS of the process, the epoch's mean training loss. The memory case trains a model with the
real 152k Qwen2.5 vocabulary (../shared/fixtures/tokenizers/qwen2_5) at batch 4 × cutoff 1024, fast vs padded.

This machine is shared and noisy: compare the rows of one run as ratios, and rerun before believing a
difference of a few per cent.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LF_DATA = REPO.parent / "shared" / "fixtures" / "llamafactory"
QWEN_TOKENIZER = REPO.parent / "shared" / "fixtures" / "tokenizers" / "qwen2_5"
DATASETS = "alpaca_en_demo,alpaca_zh_demo,glaive_toolcall_en_demo"


@dataclass(frozen=True)
class Figures:
    tokens_per_s: float | None  # None: a run of part of an epoch, measured for its memory only
    first_step_s: float
    peak_rss_mb: float
    train_loss: float
    label_tokens: int | None


def job_yaml(model: Path, out: Path, method: str, rows: int, cutoff: int, extra: dict) -> str:
    keys = {"model_name_or_path": str(model), "stage": "sft", "do_train": True, "finetuning_type": method,
            "dataset": DATASETS, "dataset_dir": str(LF_DATA), "template": "qwen", "cutoff_len": cutoff,
            "max_samples": rows, "overwrite_cache": True, "preprocessing_num_workers": 1,
            "output_dir": str(out), "overwrite_output_dir": True, "logging_steps": 1, "save_strategy": "no",
            "per_device_train_batch_size": 4, "gradient_accumulation_steps": 1,
            "learning_rate": 2e-3 if method == "lora" else 1e-3, "num_train_epochs": 1.0,
            "lr_scheduler_type": "cosine", "bf16": False, "seed": 42, "report_to": "none", "plot_loss": False}
    if method == "lora":
        keys.update(lora_rank=8, lora_target="all")
    keys.update(extra)
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in keys.items())


def run_training(command: list[str], config: Path, out: Path, cache: Path) -> tuple[float, float]:
    """(seconds to the first logged step, peak RSS in MB) of one training process (`command train config`,
    under `measured`); its outputs land in out."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "HF_DATASETS_CACHE": str(cache / "datasets"),
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "DISABLE_VERSION_CHECK": "1"}
    log = out.parent / f"{out.name}.log"
    first_log = out / "trainer_log.jsonl"
    started = time.perf_counter()
    with log.open("w") as handle:
        proc = subprocess.Popen([*measured(command), "train", str(config)], stdout=handle, stderr=subprocess.STDOUT,
                                env=env)
        first = None
        while proc.poll() is None:
            if first is None and first_log.is_file() and first_log.stat().st_size:
                first = time.perf_counter() - started
            time.sleep(0.05)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} train {config} failed; see {log}")
    return first or float("nan"), _peak_rss_mb(log)


def _peak_rss_mb(log: Path) -> float:
    for line in reversed(log.read_text(errors="replace").splitlines()):
        if line.startswith("PEAK_RSS_KB "):
            return int(line.split()[1]) / 1024
    return float("nan")


def measured(command: list[str]) -> list[str]:
    """The command run under a Python wrapper that prints its peak RSS (its only child's, with that child's
    own waited-for children) as the last line of the log: this bench's own children figure would be the
    maximum over every run it waited for, not this one's."""
    wrapper = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
               "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, flush=True); "
               "sys.exit(code)")
    return [sys.executable, "-c", wrapper, *command]


def label_tokens_tuneforge(out: Path) -> int:
    info = json.loads((out / "tuneforge_run.json").read_text())
    return info["train_stats"]["label_tokens"]


def label_tokens_saved(encoded: Path) -> int:
    """Trained tokens of an encoding LLaMA-Factory saved (tokenized_path)."""
    from datasets import load_from_disk

    labels = load_from_disk(str(encoded))["train"]["labels"]
    return sum(sum(1 for x in row if x != -100) for row in labels)


def figures(out: Path, first: float, rss: float, tokens: int | None) -> Figures:
    results = json.loads((out / "all_results.json").read_text())
    speed = tokens / results["train_runtime"] if tokens is not None else None
    return Figures(speed, first, rss, results["train_loss"], tokens)


def make_models(work: Path, small: bool, memory: bool) -> dict[str, Path]:
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    spec = (TinyModelSpec(hidden_size=64, intermediate_size=128, num_layers=2, num_heads=4, vocab_size=2000)
            if small else TinyModelSpec(hidden_size=256, intermediate_size=512, num_layers=4, num_heads=8,
                                        vocab_size=6000))
    files = [LF_DATA / f"{name}.json" for name in DATASETS.split(",")]
    models = {"job": make_tiny_model(work / "model", spec, extra_files=files, overwrite=True)}
    if memory:
        models["vocab152k"] = make_tiny_model(
            work / "model152k", TinyModelSpec(hidden_size=64, intermediate_size=128, num_layers=2, num_heads=4),
            overwrite=True, tokenizer_dir=QWEN_TOKENIZER)
    return models


def print_rows(title: str, rows: list[tuple[str, Figures]]) -> None:
    print(f"\n## {title}")
    print(f"{'run':26} {'trained tok/s':>13} {'first step s':>12} {'peak RSS MB':>11} {'train loss':>10} "
          f"{'label tokens':>12}")
    for name, f in rows:
        speed = f"{f.tokens_per_s:13.0f}" if f.tokens_per_s is not None else f"{'-':>13}"
        tokens = f"{f.label_tokens:12d}" if f.label_tokens is not None else f"{'-':>12}"
        print(f"{name:26} {speed} {f.first_step_s:12.1f} {f.peak_rss_mb:11.0f} {f.train_loss:10.4f} {tokens}")
    by_name = dict(rows)
    fast = by_name.get("tuneforge")
    for other in ("tuneforge fast_path=false", "llamafactory"):
        if fast and other in by_name:
            o = by_name[other]
            speed = (f"tokens/s {fast.tokens_per_s / o.tokens_per_s:.2f}×, " if fast.tokens_per_s and o.tokens_per_s
                     else "")
            print(f"tuneforge vs {other}: {speed}peak RSS "
                  f"{fast.peak_rss_mb / o.peak_rss_mb:.2f}×, first step {fast.first_step_s / o.first_step_s:.2f}×, "
                  f"loss {fast.train_loss / o.train_loss:.3f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lf", help="llamafactory-cli of a LLaMA-Factory install (its own venv)")
    parser.add_argument("--methods", default="lora,full")
    parser.add_argument("--rows", type=int, default=500, help="max_samples per dataset")
    parser.add_argument("--small", action="store_true", help="the CI setting: a smaller model, 20 rows each")
    parser.add_argument("--no-memory", action="store_true", help="skip the 152k-vocabulary memory case")
    parser.add_argument("--work", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    if not LF_DATA.is_dir():
        sys.exit(f"LLaMA-Factory's demo data is not at {LF_DATA} (../shared/fixtures)")
    rows = 20 if args.small else args.rows
    memory = not args.no_memory and QWEN_TOKENIZER.is_dir()
    work = args.work or Path(tempfile.mkdtemp(prefix="tf-speed-"))
    models = make_models(work, args.small, memory)
    tuneforge = [sys.executable, "-c", "from tuneforge.cli.main import entry; entry()"]
    for method in args.methods.split(","):
        plan = [("tuneforge", tuneforge, {}), ("tuneforge fast_path=false", tuneforge, {"fast_path": False})]
        if args.lf:
            plan.append(("llamafactory", [args.lf], {"tokenized_path": str(work / f"lf_encoded_{method}")}))
        results = []
        for name, command, extra in plan:
            out = work / f"{method}_{name.split()[0]}_{'off' if extra.get('fast_path') is False else 'on'}"
            config = out.with_suffix(".yaml")
            config.write_text(job_yaml(models["job"], out, method, rows, 512, extra))
            first, rss = run_training(command, config, out, work / f"cache_{out.name}")
            tokens = (label_tokens_saved(Path(extra["tokenized_path"])) if "tokenized_path" in extra
                      else label_tokens_tuneforge(out))
            results.append((name, figures(out, first, rss, tokens)))
        print_rows(f"{method}: up to {rows} rows of each dataset, batch 4, cutoff 512, 1 epoch", results)
    if memory:
        results = []
        for name, extra in (("tuneforge", {}), ("tuneforge fast_path=false", {"fast_path": False})):
            out = work / f"vocab152k_{'off' if extra else 'on'}"
            config = out.with_suffix(".yaml")
            config.write_text(job_yaml(models["vocab152k"], out, "lora", rows, 1024,
                                       {**extra, "max_steps": 5 if args.small else 25}))
            first, rss = run_training(tuneforge, config, out, work / f"cache_{out.name}")
            results.append((name, figures(out, first, rss, None)))
        print_rows("memory: 152k vocabulary (Qwen2.5 tokenizer), LoRA, batch 4 × cutoff 1024", results)
    print(f"\nruns kept in {work}")


if __name__ == "__main__":
    main()
