"""`tuneforge demo` / `make demo`: the whole flow on bundled defaults — a tiny base model made here, LoRA
fine-tuned on the bundled identity data, and its answer to "Who are you?" before and after."""
from __future__ import annotations

from pathlib import Path

QUESTIONS = ("Who are you?", "你是谁？")


def run_demo(out: Path, dataset_dir: str) -> int:
    import tuneforge
    from tuneforge.inference.hf import HFEngine
    from tuneforge.model.tiny import LEARNER, make_tiny_model

    base = out / "base"
    if not (base / "config.json").is_file():
        print(f"1/3 making a tiny base model (random weights, tokenizer trained here) in {base}")
        # The bundled data joins the tokenizer's training text, so its words are whole tokens.
        make_tiny_model(base, LEARNER, extra_files=[Path(dataset_dir)])
    engine = HFEngine.load(base, template="qwen")
    before = {q: engine.chat([{"role": "user", "content": q}], max_new_tokens=32) for q in QUESTIONS}
    print("2/3 fine-tuning it with LoRA on the bundled identity data")
    run = tuneforge.train({
        "model_name_or_path": str(base), "stage": "sft", "finetuning_type": "lora", "lora_rank": 16,
        "lora_target": "all", "dataset": "identity", "dataset_dir": dataset_dir, "template": "qwen",
        "cutoff_len": 256, "output_dir": str(out / "lora-sft"), "overwrite_output_dir": True,
        "per_device_train_batch_size": 4, "learning_rate": 5e-3, "num_train_epochs": 40,
        "lr_scheduler_type": "cosine", "warmup_ratio": 0.05, "logging_steps": 10, "save_steps": 1000,
        "plot_loss": True, "seed": 42})
    tuned = HFEngine.load(run.path)
    print("3/3 before and after:")
    for q in QUESTIONS:
        after = tuned.chat([{"role": "user", "content": q}], max_new_tokens=32)
        print(f"\n  Q: {q}\n  before: {before[q]!r}\n  after:  {after!r}")
    print(f"\nRun folder: {run.path} (adapter, tokenizer with its chat template, trainer_log.jsonl, "
          f"training_loss.png)")
    return 0
