"""Data engine benchmark: encoding throughput, peak memory and time to the first optimizer step on large
generated alpaca files, tuneforge and (when given) LLaMA-Factory side by side in one run.

    python bench/data_engine.py --sizes 100000 300000 1000000
    python bench/data_engine.py --sizes 20000 --lf /work/venv-lf/bin/llamafactory-cli

For each size, printed per framework:
- encode only (`tokenized_path` not written yet: both frameworks encode, save and stop): wall time, rows/s, and
  the peak RSS of the whole process tree (encoding workers included), sampled every 0.1 s;
- time from `train` start to the first optimizer step, run twice on the same inputs (the second with every
  cache the framework keeps warm): the time until trainer_log.jsonl holds step 1;
- streaming (`streaming: true`, `max_steps 50`, `buffer_size 1000`, one dataloader worker): time to the first
  step and peak RSS, or the framework's refusal. (LF 0.9.5 reads a local file whole and then iterates it;
  tuneforge first checks every row in `preprocessing_num_workers` processes, then reads and encodes lazily.)

Rows are short (an instruction of 8–30 words, an answer of 15–80), like chat data; a tiny local Qwen2 model
whose tokenizer learned the same word list; `cutoff_len 512`, `preprocessing_num_workers 2`. The machine is
shared and noisy: read the rows of one run as ratios. Install LF as ../shared/design/stack-notes.md says.
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

WORDS = ("the a model data train learn answer question river stone cloud tiger house music paper green window "
         "bread field horse candle mirror ocean garden silver lemon forest quickly slowly because when where "
         "which people city language number system value result method simple small large first last").split()


def write_rows(path: Path, count: int, seed: int = 0) -> Path:
    """`count` alpaca rows as JSON lines (streamed to disk: the generator holds one row at a time)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(count):
            row = {"instruction": " ".join(rng.choices(WORDS, k=rng.randint(8, 30))), "input": "",
                   "output": " ".join(rng.choices(WORDS, k=rng.randint(15, 80)))}
            handle.write(json.dumps(row) + "\n")
    return path


def make_model(folder: Path) -> Path:
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    if not (folder / "config.json").is_file():
        sample = write_rows(folder.parent / "tokenizer_sample.jsonl", 2000, seed=1)
        make_tiny_model(folder, TinyModelSpec(arch="qwen2", template="qwen", hidden_size=64, intermediate_size=128,
                                              num_layers=2, num_heads=4, num_kv_heads=2), extra_files=[sample])
    return folder


def config_text(model: Path, data: Path, out: Path, **extra) -> str:
    keys = {"model_name_or_path": str(model), "stage": "sft", "do_train": True, "finetuning_type": "lora",
            "lora_target": "all", "dataset": "bench", "dataset_dir": str(data), "template": "qwen",
            "cutoff_len": 512, "preprocessing_num_workers": 2, "output_dir": str(out), "logging_steps": 1,
            "per_device_train_batch_size": 4, "max_steps": 2, "save_steps": 100000, "learning_rate": 1e-4,
            "report_to": "none", "bf16": False, **extra}
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in keys.items())


def run_measured(command: list[str], log: Path, first_step_file: Path | None = None,
                 timeout: float = 7200) -> dict:
    """Run `command`; wall time, exit code, peak RSS of its process tree, and (if asked) when `first_step_file`
    first held a line."""
    import psutil

    started = time.perf_counter()
    first_step = None
    peak = 0
    with log.open("w") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass
            if first_step is None and first_step_file is not None and first_step_file.is_file() \
                    and first_step_file.read_text().strip():
                first_step = time.perf_counter() - started
            if time.perf_counter() - started > timeout:
                process.kill()
            time.sleep(0.1)
    return {"seconds": time.perf_counter() - started, "rc": process.returncode, "peak_mib": peak / 2**20,
            "first_step_s": first_step}


def refusal(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["(no output)"])[-1][:160]


def bench_size(name: str, command: list[str], model: Path, data: Path, work: Path, rows: int,
               step_log: str) -> dict:
    out: dict = {}
    encoded = work / f"{name}_encoded_{rows}"
    config = work / f"{name}_encode_{rows}.yaml"
    config.write_text(config_text(model, data, work / f"{name}_encode_out_{rows}", tokenized_path=str(encoded),
                                  overwrite_cache=True, overwrite_output_dir=True))
    run = run_measured([*command, "train", str(config)], config.with_suffix(".log"))
    out["encode"] = run if run["rc"] == 0 else {**run, "error": refusal(config.with_suffix(".log"))}
    for attempt in ("cold", "warm"):
        target = work / f"{name}_train_{rows}_{attempt}"
        config = work / f"{name}_train_{rows}_{attempt}.yaml"
        config.write_text(config_text(model, data, target, overwrite_output_dir=True,
                                      overwrite_cache=attempt == "cold"))
        run = run_measured([*command, "train", str(config)], config.with_suffix(".log"), target / step_log)
        out[attempt] = run if run["rc"] == 0 else {**run, "error": refusal(config.with_suffix(".log"))}
    config = work / f"{name}_stream_{rows}.yaml"
    target = work / f"{name}_stream_{rows}"
    # LF turns a local file into a stream with one shard per dataloader worker: 0 workers would be an empty stream.
    config.write_text(config_text(model, data, target, streaming=True, buffer_size=1000, max_steps=50,
                                  dataloader_num_workers=1, overwrite_output_dir=True))
    run = run_measured([*command, "train", str(config)], config.with_suffix(".log"), target / step_log)
    out["stream"] = run if run["rc"] == 0 else {**run, "error": refusal(config.with_suffix(".log"))}
    return out


def show(rows: int, results: dict[str, dict]) -> None:
    print(f"\n## {rows:,} rows")
    print(f"{'':36}" + "".join(f"{name:>24}" for name in results))

    def line(label: str, pick) -> None:
        print(f"{label:36}" + "".join(f"{pick(r):>24}" for r in results.values()))

    def fig(part: str, key: str, fmt: str) -> callable:
        def pick(r: dict) -> str:
            entry = r[part]
            if "error" in entry:
                return "refused/failed"
            value = entry.get(key)
            return "—" if value is None else format(value, fmt)
        return pick

    line("encode only: wall s", fig("encode", "seconds", ".1f"))
    line("encode only: rows/s", lambda r: "refused/failed" if "error" in r["encode"]
         else f"{rows / r['encode']['seconds']:,.0f}")
    line("encode only: peak RSS MiB (tree)", fig("encode", "peak_mib", ",.0f"))
    line("train, first run: first step s", fig("cold", "first_step_s", ".1f"))
    line("train, first run: peak RSS MiB", fig("cold", "peak_mib", ",.0f"))
    line("train, cache warm: first step s", fig("warm", "first_step_s", ".1f"))
    line("train, cache warm: peak RSS MiB", fig("warm", "peak_mib", ",.0f"))
    line("streaming: first step s", fig("stream", "first_step_s", ".1f"))
    line("streaming: peak RSS MiB", fig("stream", "peak_mib", ",.0f"))
    for name, r in results.items():
        for part, entry in r.items():
            if "error" in entry:
                print(f"  {name} {part}: {entry['error']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--lf", help="path to llamafactory-cli (in its own venv); omit to run tuneforge only")
    parser.add_argument("--work", type=Path, help="working folder (default: a new temporary one)")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="tf-data-engine-"))
    work.mkdir(parents=True, exist_ok=True)
    model = make_model(work / "tiny-qwen")
    frameworks = {"tuneforge": [sys.executable, "-c", "from tuneforge.cli.main import entry; entry()"]}
    if args.lf:
        frameworks["llamafactory 0.9.5"] = [args.lf]
    print(f"work folder: {work}")
    for rows in args.sizes:
        data = work / f"data_{rows}"
        data.mkdir(exist_ok=True)
        if not (data / "bench.jsonl").is_file():
            write_rows(data / "bench.jsonl", rows)
        (data / "dataset_info.json").write_text(json.dumps({"bench": {"file_name": "bench.jsonl"}}))
        results = {name: bench_size(name.split()[0], command, model, data, work, rows, "trainer_log.jsonl")
                   for name, command in frameworks.items()}
        show(rows, results)


if __name__ == "__main__":
    main()
