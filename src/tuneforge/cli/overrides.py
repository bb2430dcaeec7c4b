"""The help every command that reads a config ends with: how to override its keys on the command line (one
text, so `-h` of train, chat, api, predict, eval, export, preview-data and estimate say the same)."""
from __future__ import annotations

# The example each command's help shows.
EXAMPLES: dict[str, str] = {
    "train": "examples/sft_lora.yaml learning_rate=1e-4 --num_train_epochs 2",
    "chat": "saves/run1 temperature=0 max_new_tokens=64",
    "api": "saves/run1 temperature=0 --max_new_tokens 256",
    "predict": "saves/run1 --dataset my_eval max_samples=100 max_new_tokens=128",
    "eval": "saves/run1 task=mmlu_test --n_shot 5",
    "export": "saves/run1 export_dir=out/merged --export_format gguf",
    "preview-data": "examples/sft_lora.yaml cutoff_len=512 --template qwen",
    "estimate": "examples/sft_lora.yaml per_device_train_batch_size=8 --finetuning_type full",
}


def overrides_help(command: str) -> str:
    """The closing paragraph of `tuneforge COMMAND -h`."""
    where = "listed below" if command in ("train", "eval") else "listed by `tuneforge train -h`"
    return ("overrides:\n"
            "  After the config file or folder, any config key as key=value or --key value (LLaMA-Factory's\n"
            "  names, --flag alone means true); these win over the file's or the run folder's values, e.g.\n"
            f"    tuneforge {command} {EXAMPLES[command]}\n"
            f"  Every key, with its default, is {where}.")
