"""BLEU-4 / ROUGE as LLaMA-Factory defines them, checked against values worked out by hand: ROUGE F-scores over
jieba words, BLEU-4 over characters with method3 smoothing, ×100, mean over samples."""
from __future__ import annotations

import math

import pytest

from tuneforge.evaluate.metrics import mean_similarity, similarity


def test_identical_text_scores_100():
    assert similarity("the cat sat on the mat", "the cat sat on the mat") == {
        "bleu-4": 100.0, "rouge-1": 100.0, "rouge-2": 100.0, "rouge-l": 100.0}


def test_chinese_by_hand():
    # jieba: 今天天气/很/好 vs 今天天气/不错 → one shared word: P = 1/3, R = 1/2, F = 0.4; no shared bigram.
    # characters: 今天天气很好 vs 今天天气不错 (6 each, no brevity penalty):
    #   1-grams 4/6, 2-grams 3/5 (今天 天天 天气), 3-grams 2/4, 4-grams 1/3 → BLEU = (4/6·3/5·2/4·1/3)^(1/4)
    scores = similarity("今天天气很好", "今天天气不错")
    bleu = (4 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    assert scores == {"bleu-4": round(bleu * 100, 4), "rouge-1": 40.0, "rouge-2": 0.0, "rouge-l": 40.0}


def test_english_by_hand():
    # words: "the cat is here" vs "the cat was here": shared 1-grams the, cat, here → P = R = 3/4 → F = 75;
    # shared 2-grams: "the cat" of 3 each → F = 1/3; LCS "the cat here" = 3 → F = 75.
    # characters (15 vs 16, brevity penalty exp(1 - 16/15)); clipped n-gram matches counted by hand:
    #   1-grams 14/15 (all but "i"), 2-grams 12/14 (all but " i" and "is"),
    #   3-grams 10/13, 4-grams 8/12 ("the ", "he c", "e ca", " cat", "cat ", "s he", " her", "here").
    scores = similarity("the cat is here", "the cat was here")
    hyp, ref = list("the cat is here"), list("the cat was here")

    def precision(n):
        from collections import Counter

        h = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
        r = Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
        return sum(min(c, r[g]) for g, c in h.items()), sum(h.values())

    assert [precision(n) for n in (1, 2, 3, 4)] == [(14, 15), (12, 14), (10, 13), (8, 12)]
    bleu = math.exp(1 - 16 / 15) * (14 / 15 * 12 / 14 * 10 / 13 * 8 / 12) ** 0.25
    assert scores["bleu-4"] == round(bleu * 100, 4)
    assert scores["rouge-1"] == 75.0 and scores["rouge-l"] == 75.0
    assert scores["rouge-2"] == pytest.approx(100 / 3, abs=1e-4)


def test_empty_prediction_scores_zero_rouge():
    scores = similarity("", "something")
    assert scores["rouge-1"] == scores["rouge-2"] == scores["rouge-l"] == 0.0


def test_mean_is_over_rounded_per_sample_scores():
    a, b = similarity("今天天气很好", "今天天气不错"), similarity("abc", "abc")
    mean = mean_similarity(["今天天气很好", "abc"], ["今天天气不错", "abc"])
    assert mean == {k: (a[k] + b[k]) / 2 for k in a}
