"""The `evaluate` group: multiple-choice benchmarks (MMLU, CMMLU, C-Eval style) and batch prediction."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option


@dataclass(frozen=True)
class EvaluateConfig:
    task: str | None = option(None, "Benchmark: mmlu_test, mmlu_validation, cmmlu_test, ceval_validation, "
                                    "or a custom task folder name.")
    task_dir: str = option("evaluation", "Folder holding the benchmark files.")
    lang: str = option("en", "Language of the few-shot prompt headers.", ("en", "zh"))
    n_shot: int = option(5, "Examples from the dev split shown before each question.")
    batch_size: int = option(4, "Questions scored per forward pass.")
    save_dir: str | None = option(None, "Folder for results.json and results.log (must not exist).")
    predict_with_generate: bool = option(False, "With do_predict: generate replies and score BLEU-4/ROUGE.")

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.n_shot < 0:
            out.append(("n_shot", "must not be negative"))
        if self.batch_size < 1:
            out.append(("batch_size", "must be at least 1"))
        return out
