"""`tuneforge eval`: a multiple-choice benchmark (MMLU, CMMLU, C-Eval or a custom task) on a model or a run
folder; prints Average and per-category accuracy and writes results.json + results.log into save_dir."""
from __future__ import annotations

USAGE = """usage: tuneforge eval [CONFIG.yaml|RUN_DIR|MODEL_DIR] [key=value ...] [--key value ...]

  tuneforge eval examples/eval_mmlu.yaml
  tuneforge eval saves/run1 --task cmmlu_test --n_shot 5 --lang zh

Tasks: mmlu_test, mmlu_validation, cmmlu_test, ceval_validation (files in task_dir/<mmlu|cmmlu|ceval>/, or
from the hub when online), or <folder>_<split> for a custom task in task_dir. `template: fewshot` scores a
base model on plain few-shot text. See docs/evaluation.md."""


def cmd_eval(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        from tuneforge.cli.overrides import overrides_help
        from tuneforge.config.help import format_config_help

        print(USAGE + "\n\n" + overrides_help("eval") + "\n" + format_config_help())
        return 0
    from tuneforge.cli.source import load_command_config
    from tuneforge.evaluate.benchmarks.results import format_table
    from tuneforge.evaluate.benchmarks.runner import run_benchmark

    cfg = load_command_config(argv, "eval")
    result = run_benchmark(cfg)
    print(format_table(result))
    if cfg.evaluate.save_dir:
        print(f"results written to {cfg.evaluate.save_dir}")
    return 0
