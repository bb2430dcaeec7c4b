"""Learning parity: `tuneforge train` learns exactly what a plain PyTorch loop learns from the same examples in
the same batches — same initial weights, same labels (built here by hand, not by tuneforge), AdamW with the
same hyper-parameters and weight-decay groups, the same warm-up + cosine schedule and gradient clipping. The
per-step losses must agree to float tolerance, and the task must be learned.

The task is multiple choice written as alpaca rows whose question names the right option's position in words;
the answer is one letter. Under the qwen template the trained tokens are the letter, `<|im_end|>` and the
newline after it (the tokens LLaMA-Factory's qwen template trains)."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import torch

import tuneforge
from tests.e2e.helpers import logged_losses

pytestmark = pytest.mark.slow
WORDS = "apple river stone cloud tiger house music paper green window bread field horse candle".split()
POSITIONS = ("first", "second", "third", "fourth")
ROWS, BATCH, EPOCHS, LR, WARMUP_RATIO, DECAY, CLIP, SEED = 400, 8, 2, 1e-3, 0.1, 0.01, 1.0, 5


def _rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        options, k = rng.sample(WORDS, 4), rng.randrange(4)
        body = "\n".join(f"{'ABCD'[i]}. {o}" for i, o in enumerate(options))
        rows.append({"instruction": f"Pick the right option. The right one is the {POSITIONS[k]}.\n{body}\nAnswer:",
                     "input": "", "output": "ABCD"[k]})
    return rows


def _prompt_ids(tokenizer, row: dict) -> list[int]:
    return list(tokenizer.apply_chat_template([{"role": "user", "content": row["instruction"]}], tokenize=True,
                                              add_generation_prompt=True, return_dict=True)["input_ids"])


def _by_hand(tokenizer, row: dict) -> tuple[list[int], list[int]]:
    """input_ids and labels from the tokenizer alone: the prompt through the model's own chat template, the
    reply as its text plus `<|im_end|>` and a newline."""
    prompt = _prompt_ids(tokenizer, row)
    reply = tokenizer(row["output"] + "<|im_end|>\n", add_special_tokens=False)["input_ids"]
    return prompt + reply, [-100] * len(prompt) + reply


def _reference_losses(model_dir: Path, rows: list[dict]) -> list[float]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model.train()
    examples = [_by_hand(tokenizer, row) for row in rows]
    no_decay = ("bias", "norm")  # biases and RMSNorm weights are not decayed (as in the HF Trainer)
    named = list(model.named_parameters())
    groups = [{"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": DECAY},
              {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    total = EPOCHS * math.ceil(len(examples) / BATCH)
    warmup = math.ceil(total * WARMUP_RATIO)

    def factor(step: int) -> float:
        if step < warmup:
            return step / max(1, warmup)
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    losses = []
    for epoch in range(EPOCHS):
        # The Trainer's seeded sampler: a fresh permutation per epoch from seed + epoch.
        order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(SEED + epoch)).tolist()
        for start in range(0, len(order), BATCH):
            batch = [examples[i] for i in order[start:start + BATCH]]
            longest = max(len(ids) for ids, _ in batch)
            ids = torch.tensor([i + [tokenizer.pad_token_id] * (longest - len(i)) for i, _ in batch])
            labels = torch.tensor([lab + [-100] * (longest - len(lab)) for _, lab in batch])
            mask = torch.tensor([[1] * len(i) + [0] * (longest - len(i)) for i, _ in batch])
            logits = model(input_ids=ids, attention_mask=mask).logits
            targets = labels[:, 1:]
            loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)),
                                                     targets.reshape(-1), ignore_index=-100, reduction="sum")
            loss = loss / (targets != -100).sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
    return losses


def test_tuneforge_train_matches_a_plain_pytorch_loop_step_for_step(learner_qwen, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    rows = _rows(ROWS, 0)
    (data / "mc.json").write_text(json.dumps(rows))
    (data / "dataset_info.json").write_text(json.dumps({"mc": {"file_name": "mc.json"}}))
    run = tuneforge.train({
        "model_name_or_path": str(learner_qwen), "stage": "sft", "finetuning_type": "full", "dataset": "mc",
        "dataset_dir": str(data), "template": "qwen", "cutoff_len": 256, "output_dir": str(tmp_path / "out"),
        "per_device_train_batch_size": BATCH, "num_train_epochs": EPOCHS, "learning_rate": LR,
        "lr_scheduler_type": "cosine", "warmup_ratio": WARMUP_RATIO, "weight_decay": DECAY,
        "max_grad_norm": CLIP, "logging_steps": 1, "save_strategy": "no", "seed": SEED, "disable_tqdm": True})
    ours = logged_losses(run.path)
    reference = _reference_losses(learner_qwen, rows)
    assert len(ours) == len(reference) == EPOCHS * ROWS // BATCH
    worst = max(abs(a - b) for a, b in zip(ours, reference))
    print("step  tuneforge  reference\n" + "\n".join(f"{i + 1:>4}  {a:.6f}  {b:.6f}"
                                                    for i, (a, b) in enumerate(zip(ours, reference))))
    assert worst < 1e-4, f"per-step losses differ by up to {worst}"
    assert _held_out_accuracy(run.path, _rows(50, 1)) >= 0.95, "the task was not learned"


def _held_out_accuracy(model_dir: Path, rows: list[dict]) -> float:
    """The trained model's answer on new questions: the likelier of the four letters after the prompt."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    letters = [tokenizer.convert_tokens_to_ids(c) for c in "ABCD"]
    right = 0
    with torch.no_grad():
        for row in rows:
            logits = model(torch.tensor([_prompt_ids(tokenizer, row)])).logits[0, -1, letters]
            right += "ABCD"[int(logits.argmax())] == row["output"]
    return right / len(rows)
