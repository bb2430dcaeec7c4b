"""`tuneforge predict SOURCE [--dataset NAMES] [key=value ...]`: batch-generate over a dataset and score
BLEU-4 / ROUGE; also what `tuneforge train` runs for LLaMA-Factory predict YAMLs (do_predict, no do_train).

SOURCE is a run folder (its base model, adapter and template), a model folder or a YAML. Without output_dir,
results go to SOURCE/predict for a run folder.
"""
from __future__ import annotations

import json
from pathlib import Path

from tuneforge.artifacts.run_dir import CONFIG_FILE
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError

USAGE = ("usage: tuneforge predict SOURCE [--dataset NAMES | --eval_dataset NAMES] [--max_samples N] "
         "[--output_dir DIR] [key=value ...]\n\nGenerates a reply for every example and writes "
         "generated_predictions.jsonl (row by row, as replies finish), predict_results.json and all_results.json "
         "(BLEU-4, ROUGE-1/2/L).\nReplies are up to max_new_tokens (default 1024, LLaMA-Factory's) long.")


def predict_from_config(cfg: RunConfig, output_dir: str | None = None) -> int:
    from tuneforge.evaluate.predict import run_predict

    result = run_predict(cfg, output_dir)
    print(json.dumps(result.metrics, indent=2))
    print(f"{result.rows} predictions written to {result.output_dir}")
    return 0


def cmd_predict(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from tuneforge.cli.overrides import overrides_help

        print(USAGE + "\n\n" + overrides_help("predict"))
        return 0
    from tuneforge.cli.source import load_command_config, split_source

    source, _ = split_source(argv)
    cfg = load_command_config(argv, "predict")
    output_dir = cfg.train.output_dir
    if not output_dir:
        if source is None or not (Path(source) / CONFIG_FILE).is_file():
            raise UserError("is required (where the predictions go; a run folder defaults to RUN/predict)",
                            field="output_dir")
        output_dir = str(Path(source) / "predict")
    return predict_from_config(cfg, output_dir)
