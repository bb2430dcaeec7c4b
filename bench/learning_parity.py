"""Learning parity with LLaMA-Factory: the same YAML, the same tiny model, the same data, trained by both
frameworks, then scored by the *same* code on the *same* label positions.

    python bench/learning_parity.py                                   # tuneforge only (LF not installed)
    python bench/learning_parity.py --lf /path/to/venv-lf/bin/llamafactory-cli --seeds 42 7

The task is learnable multiple choice written as alpaca rows: each question names the right option's position
in words ("the right one is the third") and the answer is one letter. Printed, side by side:

- how many encoded rows (input_ids and labels) of the two frameworks are identical;
- the per-step training loss of LF, of tuneforge, and of tuneforge trained on **LF's own encoding**
  (`tokenized_path`), which isolates the training engine (order, optimizer, schedule, loss normalisation);
- for every final model, scored by the same code on the same positions: the held-out loss and accuracy of the
  answer letter alone, and the 3-shot accuracy `tuneforge eval` gives it on the same questions laid out as an
  MMLU-style task (earlier turns in the prompt, as in the issue that asked for this benchmark).

Install LF as ../shared/design/stack-notes.md says (its own venv, never this project's). The machine is shared
and noisy; the figures here are losses, not timings, and do not depend on load.
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = ("apple river stone cloud tiger house music paper green window bread field horse candle mirror ocean "
         "garden silver lemon forest").split()
ZH_WORDS = "苹果 河流 石头 云朵 老虎 房子 音乐 纸张 绿色 窗户 面包 田野 骏马 蜡烛 镜子 海洋".split()
POSITIONS = {"en": ("first", "second", "third", "fourth"), "zh": ("第一个", "第二个", "第三个", "第四个")}
LETTERS = "ABCD"


def make_rows(count: int, seed: int, language: str) -> list[dict]:
    rng = random.Random(seed)
    words = WORDS if language == "en" else ZH_WORDS
    rows = []
    for _ in range(count):
        options, k = rng.sample(words, 4), rng.randrange(4)
        if language == "en":
            head = f"Pick the right option. The right one is the {POSITIONS['en'][k]}."
            tail = "Answer:"
        else:
            head = f"选出正确的选项。正确的是{POSITIONS['zh'][k]}。"
            tail = "答案："
        body = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))
        rows.append({"instruction": f"{head}\n{body}\n{tail}", "input": "", "output": LETTERS[k]})
    return rows


def write_task(folder: Path, language: str, train_rows: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train, held_out = make_rows(train_rows, 0, language), make_rows(200, 1, language)
    (folder / "mc.json").write_text(json.dumps(train, ensure_ascii=False))
    (folder / "mc_eval.json").write_text(json.dumps(held_out, ensure_ascii=False))
    (folder / "dataset_info.json").write_text(json.dumps({"mc": {"file_name": "mc.json"}}))
    # The same questions as a custom `tuneforge eval` task: eval_tasks/positions/{dev,test}/positions.csv.
    task = folder / "eval_tasks" / "positions"
    for split, rows in (("dev", train[:5]), ("test", held_out)):
        (task / split).mkdir(parents=True, exist_ok=True)
        with (task / split / "positions.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["question", *LETTERS, "answer"])
            for row in rows:
                lines = row["instruction"].split("\n")
                writer.writerow([lines[0], *(line[3:] for line in lines[1:5]), row["output"]])
    (task / "mapping.json").write_text(json.dumps({"positions": "Other"}))
    return folder


def few_shot_accuracy(command: list[str], model_dir: Path, base: Path, data: Path, language: str,
                      save_dir: Path) -> float:
    """`tuneforge eval` with 3 shots through the qwen chat template (a LoRA output: base + adapter)."""
    source = ([f"model_name_or_path={base}", f"adapter_name_or_path={model_dir}"]
              if (model_dir / "adapter_config.json").is_file() else [str(model_dir)])
    done = subprocess.run([*command, "eval", *source, "task=positions_test",
                           f"task_dir={data / 'eval_tasks'}", "n_shot=3", f"lang={language}", "template=qwen",
                           f"save_dir={save_dir}"], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tuneforge eval failed on {model_dir}: {done.stderr[-2000:]}")
    return json.loads((save_dir / "results.json").read_text())["scores"]["Average"] / 100


def yaml_text(model: Path, data: Path, out: Path, seed: int, epochs: float, extra: dict) -> str:
    keys = {"model_name_or_path": str(model), "stage": "sft", "do_train": True,
            "dataset": "mc", "dataset_dir": str(data), "template": "qwen", "cutoff_len": 256,
            "overwrite_cache": True, "preprocessing_num_workers": 1, "output_dir": str(out),
            "overwrite_output_dir": True, "logging_steps": 1, "save_steps": 100000,
            "per_device_train_batch_size": 8, "gradient_accumulation_steps": 1, "learning_rate": 1.0e-3,
            "num_train_epochs": epochs, "lr_scheduler_type": "cosine", "warmup_ratio": 0.05, "bf16": False,
            "seed": seed, "report_to": "none", "finetuning_type": "full", **extra}
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in keys.items())


def train(command: list[str], config: Path, log: Path) -> None:
    with log.open("w") as handle:
        done = subprocess.run([*command, "train", str(config)], stdout=handle, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} train {config} failed; see {log}")


def step_losses(run: Path) -> dict[int, float]:
    rows = [json.loads(line) for line in (run / "trainer_log.jsonl").read_text().splitlines()]
    return {r["current_steps"]: r["loss"] for r in rows if r.get("loss") is not None}


def same_rows(first: Path, second: Path) -> tuple[int, int]:
    """(rows whose input_ids and labels are identical, rows) of two saved encodings (`tokenized_path`)."""
    from datasets import load_from_disk

    a, b = load_from_disk(str(first))["train"], load_from_disk(str(second))["train"]
    same = sum(x["input_ids"] == y["input_ids"] and x["labels"] == y["labels"] for x, y in zip(a, b))
    return same, max(len(a), len(b))


def letter_scores(model_dir: Path, rows: list[dict]) -> tuple[float, float]:
    """(mean cross-entropy of the answer letter, accuracy of argmax over A–D) at the assistant's first token,
    prompts rendered by tuneforge's qwen template — the same code and positions for every model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tuneforge.templates.registry import get_template
    from tuneforge.templates.render import render_prompt

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    template = get_template("qwen")
    letter_ids = [tokenizer.convert_tokens_to_ids(c) for c in LETTERS]
    losses, hits = [], 0
    with torch.no_grad():
        for row in rows:
            ids = render_prompt(tokenizer, [{"role": "user", "content": row["instruction"]}], template=template)
            logits = model(torch.tensor([ids])).logits[0, -1]
            answer = letter_ids[LETTERS.index(row["output"])]
            losses.append(float(torch.nn.functional.cross_entropy(logits[None], torch.tensor([answer]))))
            hits += int(letter_ids[int(torch.argmax(logits[letter_ids]))] == answer)
    return sum(losses) / len(losses), hits / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lf", help="path to llamafactory-cli (in its own venv); omit to run tuneforge only")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7])
    parser.add_argument("--languages", nargs="+", default=["en"], choices=["en", "zh"])
    parser.add_argument("--hidden-size", type=int, default=256)
    parser.add_argument("--train-rows", type=int, default=800)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--finetuning-type", default="full", choices=["full", "lora"],
                        help="lora: rank 8 on every linear layer (lr stays 1e-3)")
    parser.add_argument("--work", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()

    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    work = args.work or Path(tempfile.mkdtemp(prefix="tf-parity-"))
    tuneforge = [sys.executable, "-c", "from tuneforge.cli.main import entry; entry()"]
    results = []
    for language in args.languages:
        data = write_task(work / f"data_{language}", language, args.train_rows)
        model = work / f"model_{language}"
        if not (model / "config.json").is_file():
            make_tiny_model(model, TinyModelSpec(hidden_size=args.hidden_size, intermediate_size=2 * args.hidden_size),
                            extra_files=[data / "mc.json"], overwrite=True)
        eval_rows = json.loads((data / "mc_eval.json").read_text())
        ours = work / f"tf_encoded_{language}"
        if not ours.exists():  # encoding only: tuneforge stops after writing tokenized_path
            config = work / f"tf_encode_{language}.yaml"
            config.write_text(yaml_text(model, data, work / f"tf_encode_{language}", 0, args.epochs,
                                        {"tokenized_path": str(ours)}))
            train(tuneforge, config, config.with_suffix(".log"))
        for seed in args.seeds:
            runs: dict[str, Path] = {}
            plan = [("tuneforge", tuneforge, {})]
            if args.lf:
                encoded = work / f"lf_encoded_{language}_{seed}"
                plan = [("llamafactory", [args.lf], {"tokenized_path": str(encoded)}), *plan,
                        ("tuneforge on LF's encoding", tuneforge, {"tokenized_path": str(encoded)})]
            for name, command, extra in plan:
                out = work / f"{name.split()[0]}{'_lfenc' if 'encoding' in name else ''}_{language}_{seed}"
                config = out.with_suffix(".yaml")
                method = {"finetuning_type": args.finetuning_type}
                if args.finetuning_type == "lora":
                    method.update(lora_rank=8, lora_target="all")
                config.write_text(yaml_text(model, data, out, seed, args.epochs, {**method, **extra}))
                train(command, config, out.with_suffix(".log"))
                runs[name] = out
            if args.lf:
                same, total = same_rows(work / f"lf_encoded_{language}_{seed}", ours)
                print(f"\n## {language}: encoded rows identical in tuneforge and LLaMA-Factory: {same}/{total}")
            print(f"\n## {language}, seed {seed}: training loss per step (each framework's own labels)")
            curves = {name: step_losses(run) for name, run in runs.items()}
            print("step  " + "  ".join(f"{name:>28}" for name in curves))
            steps = sorted(next(iter(curves.values())))
            for step in steps[::max(1, len(steps) // 20)] + steps[-1:]:
                print(f"{step:>4}  " + "  ".join(f"{curve.get(step, float('nan')):>28.6f}" for curve in curves.values()))
            for name, run in runs.items():
                loss, accuracy = letter_scores(run, eval_rows)
                shots = few_shot_accuracy(tuneforge, run, model, data, language, run.with_name(run.name + "_eval3"))
                results.append((language, seed, name, loss, accuracy, shots))
    print("\n## held-out answer letter (200 rows, same scoring code for every model)")
    print(f"{'lang':4} {'seed':>4}  {'framework':28} {'letter loss':>11} {'0-shot acc':>10} {'3-shot acc':>10}")
    for language, seed, name, loss, accuracy, shots in results:
        print(f"{language:4} {seed:>4}  {name:28} {loss:>11.4f} {accuracy:>10.3f} {shots:>10.3f}")
    print(f"\nruns kept in {work}")


if __name__ == "__main__":
    main()
