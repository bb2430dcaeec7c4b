"""Text-similarity scores of predictions against labels, defined exactly as LLaMA-Factory's
`ComputeSimilarity` (and its scripts/eval_bleu_rouge.py) computes them, so numbers compare across tools:

- ROUGE-1/2/L: rouge-chinese F-scores over jieba-segmented words (joined by spaces); 0 when either side has no
  words after segmentation.
- BLEU-4: nltk `sentence_bleu` over **characters** (LLaMA-Factory passes `list(label)`, `list(predict)`), with
  `SmoothingFunction().method3`.
Each per-sample score is ×100 and rounded to 4 places; a dataset's score is the mean of those.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

KEYS = ("bleu-4", "rouge-1", "rouge-2", "rouge-l")


def _jieba():
    import jieba

    jieba.setLogLevel(logging.CRITICAL)  # otherwise it prints its dictionary loading to stderr
    return jieba


def similarity(predict: str, label: str) -> dict[str, float]:
    """The four scores of one prediction, each in 0–100."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from rouge_chinese import Rouge

    jieba = _jieba()
    hypothesis, reference = list(jieba.cut(predict)), list(jieba.cut(label))
    scores: dict[str, float] = {}
    if not " ".join(hypothesis).split() or not " ".join(reference).split():
        scores.update({"rouge-1": 0.0, "rouge-2": 0.0, "rouge-l": 0.0})
    else:
        result = Rouge().get_scores(" ".join(hypothesis), " ".join(reference))[0]
        scores.update({key: round(value["f"] * 100, 4) for key, value in result.items()})
    bleu = sentence_bleu([list(label)], list(predict), smoothing_function=SmoothingFunction().method3)
    scores["bleu-4"] = float(round(bleu * 100, 4))
    return {key: scores[key] for key in KEYS}


def mean_similarity(predictions: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """Mean of the per-sample scores (empty input: zeros)."""
    if len(predictions) != len(labels):
        raise ValueError(f"{len(predictions)} predictions for {len(labels)} labels")
    rows = [similarity(p, l) for p, l in zip(predictions, labels)]
    return {key: (sum(r[key] for r in rows) / len(rows) if rows else 0.0) for key in KEYS}
