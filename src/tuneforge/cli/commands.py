"""The commands: each takes parsed argv (a list of strings) and returns an exit code."""
from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from tuneforge.core.errors import UserError


def cmd_train(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from tuneforge.cli.overrides import overrides_help
        from tuneforge.config.help import format_config_help

        print("usage: tuneforge train [CONFIG.yaml|.json] [key=value ...] [--key value ...]\n\n"
              + overrides_help("train") + "\n" + format_config_help())
        return 0
    from tuneforge.cli.launch import relaunch_if_distributed
    from tuneforge.cli.source import load_command_config
    from tuneforge.training.stages import run_training

    cfg = load_command_config(argv, "train")
    relaunched = relaunch_if_distributed(argv, cfg)
    if relaunched is not None:
        return relaunched
    if cfg.train.do_predict and not cfg.train.trains():  # LLaMA-Factory's predict YAMLs come through train
        from tuneforge.cli.predict import predict_from_config

        return predict_from_config(cfg)
    run = run_training(cfg)
    if run is None:
        print(f"encoded data saved to {cfg.data.tokenized_path}; start training with the same config")
    else:
        print(f"finished: outputs in {run.path}")
    return 0


def cmd_preview_data(argv: list[str]) -> int:
    from tuneforge.cli.overrides import overrides_help

    parser = argparse.ArgumentParser(prog="tuneforge preview-data",
                                     description="Show what the model will learn: tokens, trained spans "
                                                 "highlighted, truncation statistics.",
                                     epilog=overrides_help("preview-data"),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("config", help="training YAML/JSON")
    parser.add_argument("-n", type=int, default=3, help="examples to show")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    args, overrides = parser.parse_known_args(argv)
    from tuneforge.cli.preview import preview
    from tuneforge.config.load import load_run_config

    cfg = load_run_config(args.config, overrides)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(preview(cfg, args.n, color=color))
    return 0


def cmd_expand_blocks(argv: list[str]) -> int:
    from tuneforge.model.expand import expand_blocks, expanded_layer_ids
    from tuneforge.model.load import check_model_path

    parser = argparse.ArgumentParser(prog="tuneforge expand-blocks",
                                     description="LLaMA Pro block expansion: insert --num-expand identity blocks "
                                                 "(copies with zeroed output projections) evenly; then train "
                                                 "them alone with finetuning_type: freeze, use_llama_pro: true, "
                                                 "freeze_trainable_layers: <num-expand>.")
    parser.add_argument("model_name_or_path")
    parser.add_argument("output_dir")
    parser.add_argument("--num-expand", type=int, required=True)
    a = parser.parse_args(argv)
    check_model_path(a.model_name_or_path)
    out = expand_blocks(a.model_name_or_path, a.output_dir, a.num_expand)
    from transformers import AutoConfig

    layers = AutoConfig.from_pretrained(str(out)).num_hidden_layers
    print(f"expanded model saved to {out}: {layers} blocks, new ones {expanded_layer_ids(layers, a.num_expand)}\n"
          f"train them with: model_name_or_path: {out}, finetuning_type: freeze, use_llama_pro: true, "
          f"freeze_trainable_layers: {a.num_expand}")
    return 0


def cmd_make_tiny_model(argv: list[str]) -> int:
    from tuneforge.model.tiny import ARCHES, LEARNER, TinyModelSpec, make_tiny_model

    d = LEARNER
    parser = argparse.ArgumentParser(prog="tuneforge make-tiny-model",
                                     description="Train a small tokenizer here and save a random-initialised "
                                                 "model with a chat template (for tests and demos). With "
                                                 "`--extra-text data` its tokenizer also learns the bundled "
                                                 "data's words, and a LoRA on it learns that data in seconds.")
    parser.add_argument("output_dir")
    parser.add_argument("--arch", choices=ARCHES, default=d.arch)
    parser.add_argument("--template", default=d.template,
                        help="text arches only; a vision arch uses its family's template (printed)")
    parser.add_argument("--hidden-size", type=int, default=d.hidden_size)
    parser.add_argument("--intermediate-size", type=int, default=d.intermediate_size)
    parser.add_argument("--layers", type=int, default=d.num_layers)
    parser.add_argument("--heads", type=int, default=d.num_heads)
    parser.add_argument("--kv-heads", type=int, default=d.num_kv_heads)
    parser.add_argument("--vocab-size", type=int, default=d.vocab_size)
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--extra-text", action="append", default=[],
                        help="more text for the tokenizer: a file, or a folder (its .json/.jsonl files); repeatable")
    parser.add_argument("--overwrite", action="store_true")
    a = parser.parse_args(argv)
    spec = TinyModelSpec(arch=a.arch, template=a.template, hidden_size=a.hidden_size,
                         intermediate_size=a.intermediate_size, num_layers=a.layers, num_heads=a.heads,
                         num_kv_heads=a.kv_heads, vocab_size=a.vocab_size, seed=a.seed)
    out = make_tiny_model(a.output_dir, spec, [Path(p) for p in a.extra_text], overwrite=a.overwrite)
    template = json.loads((out / "tuneforge_tiny.json").read_text())["template"]
    print(f"tiny {a.arch} model with template '{template}' saved to {out}")
    return 0


def cmd_templates(argv: list[str]) -> int:
    from tuneforge.templates.registry import TEMPLATES

    for name in sorted(TEMPLATES):
        print(f"{name:16} {TEMPLATES[name].description}")
    return 0


def cmd_version(argv: list[str]) -> int:
    from tuneforge import __version__

    print(f"tuneforge {__version__}")
    return 0


def cmd_env(argv: list[str]) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from tuneforge import __version__

    info = {"tuneforge": __version__, "python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("torch", "transformers", "peft", "trl", "datasets", "accelerate", "tokenizers", "safetensors",
                "bitsandbytes", "deepspeed", "vllm"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = "not installed"
    import torch

    info["cuda available"] = torch.cuda.is_available()
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    print(json.dumps(info, indent=2) if "--json" in argv else
          "\n".join(f"- {k}: {v}" for k, v in info.items()))
    return 0


def cmd_demo(argv: list[str]) -> int:
    from tuneforge.cli.demo import run_demo

    parser = argparse.ArgumentParser(prog="tuneforge demo",
                                     description="Make a tiny base model, fine-tune it on the bundled identity "
                                                 "data, and show its answer before and after.")
    parser.add_argument("--output_dir", default="out/demo")
    parser.add_argument("--dataset_dir", default="data")
    args = parser.parse_args(argv)
    if not (Path(args.dataset_dir) / "dataset_info.json").is_file():
        raise UserError("bundled data not found; run the demo from the tuneforge folder", file=args.dataset_dir)
    return run_demo(Path(args.output_dir), args.dataset_dir)
