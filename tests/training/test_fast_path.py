"""The fast training step (fast_path: true) learns exactly what the padded step learns: the same per-step
losses over whole runs, the same gradients, the same per-example losses on padding-free batches — and it never
builds a batch × length × vocab logits tensor."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import tuneforge
from tests.conftest import DATA_DIR
from tests.training.test_preference_data import pref_config, write_preference_data
from tuneforge.encode.collate import Collator, FlatCollator
from tuneforge.encode.options import IGNORE_INDEX
from tuneforge.encode.packing import pack


def losses(run_dir: Path, key: str = "loss") -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "trainer_log.jsonl").read_text().splitlines()]
    return [row[key] for row in rows if key in row]


def sft_config(model: Path, out: Path, **overrides) -> dict:
    cfg = {"model_name_or_path": str(model), "stage": "sft", "finetuning_type": "lora", "lora_target": "all",
           "dataset": "alpaca_sample,sharegpt_sample", "dataset_dir": str(DATA_DIR), "template": "qwen",
           "cutoff_len": 256, "per_device_train_batch_size": 4, "gradient_accumulation_steps": 2,
           "learning_rate": 2e-3, "max_steps": 20, "logging_steps": 1, "save_strategy": "no", "seed": 42,
           "output_dir": str(out), "disable_tqdm": True, "report_to": "none"}
    cfg.update(overrides)
    return cfg


def assert_same_losses(fast: list[float], padded: list[float]) -> None:
    assert len(fast) == len(padded) == 20
    worst = max(abs(a - b) for a, b in zip(fast, padded))
    print(f"first losses {fast[:3]}; largest per-step difference {worst:.2e}")
    assert worst < 1e-4
    assert fast[-1] < fast[0]  # and it learned something: the comparison is of a run that moves


@pytest.mark.parametrize("overrides", [
    {"finetuning_type": "lora", "val_size": 0.1, "eval_strategy": "steps", "eval_steps": 10},
    {"finetuning_type": "full", "learning_rate": 1e-3},
    {"finetuning_type": "freeze", "freeze_trainable_layers": 1, "learning_rate": 1e-3},
    {"stage": "pt", "dataset": "text_sample", "packing": True, "cutoff_len": 64},
    {"neat_packing": True},
], ids=["lora", "full", "freeze", "pt-packing", "neat-packing"])
def test_fast_path_trains_the_same_losses_as_the_padded_step(tiny_qwen, tmp_path, overrides):
    fast = tuneforge.train(sft_config(tiny_qwen, tmp_path / "fast", **overrides))
    padded = tuneforge.train(sft_config(tiny_qwen, tmp_path / "padded", fast_path=False, **overrides))
    assert_same_losses(losses(fast.path), losses(padded.path))
    fast_eval, padded_eval = losses(fast.path, "eval_loss"), losses(padded.path, "eval_loss")
    assert len(fast_eval) == (2 if "val_size" in overrides else 0)
    assert all(abs(a - b) < 1e-4 for a, b in zip(fast_eval, padded_eval, strict=True))


def test_dpo_fast_path_trains_the_same_losses(tiny_qwen, tmp_path):
    data = write_preference_data(tmp_path / "pref", n=32)
    runs = [tuneforge.train(pref_config(tiny_qwen, data, tmp_path / str(fast), "dpo", max_steps=20,
                                       per_device_train_batch_size=4, learning_rate=2e-3, fast_path=fast))
            for fast in (True, False)]
    assert_same_losses(*(losses(run.path) for run in runs))


def features(lengths: list[int], seed: int = 0) -> list[dict]:
    """Examples of the given lengths, each with a prompt (label −100) and an answer."""
    rng = random.Random(seed)
    out = []
    for n in lengths:
        ids = [rng.randrange(3, 500) for _ in range(n)]
        prompt = rng.randrange(1, n - 1)
        out.append({"input_ids": ids, "labels": [IGNORE_INDEX] * prompt + ids[prompt:]})
    return out


@pytest.fixture(scope="module")
def model(tiny_qwen):
    from tuneforge.config.model import ModelConfig
    from tuneforge.model.load import load_model

    return load_model(ModelConfig(model_name_or_path=str(tiny_qwen)), on_gpu=False)


def per_example_padded(model, feats: list[dict]) -> list[float]:
    import torch
    import torch.nn.functional as F

    batch = Collator(0)(feats)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    return [F.cross_entropy(logits[i, :-1], batch["labels"][i, 1:], ignore_index=IGNORE_INDEX).item()
            for i in range(len(feats))]


def per_example_flat(model, rows: list[dict]) -> list[float]:
    """Each example's loss on the flattened batch, found from where its segment's position_ids restart."""
    import torch
    import torch.nn.functional as F

    from tuneforge.training.fast_path import flat_attention
    from tuneforge.config.run import RunConfig

    batch = FlatCollator(logits="all")(rows)
    with torch.no_grad(), flat_attention(RunConfig(), model):
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits[0]
    starts = [*torch.nonzero(batch["position_ids"][0] == 0).flatten().tolist(), logits.shape[0]]
    labels = batch["labels"][0]
    return [F.cross_entropy(logits[a:b - 1], labels[a + 1:b], ignore_index=IGNORE_INDEX).item()
            for a, b in zip(starts, starts[1:])]


@pytest.mark.parametrize("neat", [False, True], ids=["one-example-rows", "neat-packed-rows"])
def test_padding_free_batches_give_each_example_its_padded_loss(model, neat):
    feats = features([7, 230, 31, 120, 3, 64])
    rows = pack(feats, cutoff_len=256, neat=True) if neat else feats
    flat = per_example_flat(model, rows)
    if neat:  # the packed order: match each segment to its example by its tokens
        order = [next(i for i, f in enumerate(feats) if f["input_ids"] == row["input_ids"][a:a + len(f["input_ids"])]
                      and len(f["input_ids"]) == b - a)
                 for row in rows for a, b in _segments(row)]
        flat = [flat[order.index(i)] for i in range(len(feats))]
    padded = per_example_padded(model, feats)
    print("per-example losses", [round(x, 4) for x in flat])
    assert max(abs(a - b) for a, b in zip(flat, padded)) < 1e-4


def _segments(row: dict) -> list[tuple[int, int]]:
    starts = [i for i, p in enumerate(row["position_ids"]) if p == 0] + [len(row["position_ids"])]
    return list(zip(starts, starts[1:]))


def policy_for(model_dir: Path, tmp_path: Path, fast: bool, method: str):
    from tuneforge.config.load import load_run_config
    from tuneforge.training.stages.common import load_policy

    cfg = load_run_config(sft_config(model_dir, tmp_path / f"{method}-{fast}", finetuning_type=method,
                                     fast_path=fast))
    return cfg, load_policy(cfg, _tokenizer(model_dir), (), on_gpu=False)


def trainer_step(cfg, policy, feats: list[dict], head_outputs: list | None = None, parts=None) -> float:
    """One forward/backward through the Trainer's own compute_loss, with the pieces the stage uses;
    `head_outputs` collects the shape of every output-head result of the forward and backward passes."""
    from transformers import Trainer

    from tuneforge.training.fast_path import flat_attention, step_parts
    from tuneforge.training.setup import training_arguments

    step = parts or step_parts(cfg, 0, policy)
    trainer = Trainer(model=policy, args=training_arguments(cfg, False, False, model=policy),
                      data_collator=step.collator, compute_loss_func=step.compute_loss_func)
    batch = step.collator(feats)
    count = trainer._get_num_items_in_batch([batch], "cpu")
    if head_outputs is not None:
        policy.get_base_model().get_output_embeddings().register_forward_hook(
            lambda module, args, output: head_outputs.append(tuple(output.shape)))
    with flat_attention(cfg, policy):
        loss = trainer.compute_loss(policy, dict(batch), num_items_in_batch=count)
        loss.backward()
    return loss.item()


def _tokenizer(path: Path):
    from tuneforge.config.model import ModelConfig
    from tuneforge.model.load import load_tokenizer

    return load_tokenizer(ModelConfig(model_name_or_path=str(path)))


@pytest.mark.parametrize("method,head", [("lora", "chunked"), ("full", "chunked"), ("lora", "logits_to_keep")])
def test_fast_path_gradients_equal_the_padded_step(tiny_qwen, tmp_path, method, head):
    """Both heads of the fast path: the chunked one, and the model's own at logits_to_keep (what runs where
    the head cannot be applied outside the model's forward)."""
    from tuneforge.training.head import label_only_loss
    from tuneforge.training.fast_path import StepParts

    results = {}
    for fast in (True, False):
        cfg, policy = policy_for(tiny_qwen, tmp_path, fast, method)
        parts = StepParts(FlatCollator(logits="trained"), label_only_loss) if fast and head != "chunked" else None
        loss = trainer_step(cfg, policy, features([12, 200, 45, 90], seed=1), parts=parts)
        results[fast] = loss, {n: p.grad for n, p in policy.named_parameters() if p.grad is not None}
    (fast_loss, fast), (padded_loss, padded) = results[True], results[False]
    assert fast.keys() == padded.keys() and fast
    worst = max((fast[n] - padded[n]).abs().max().item() for n in fast)
    print(f"loss {fast_loss:.6f} vs {padded_loss:.6f}; largest gradient difference {worst:.2e}")
    assert abs(fast_loss - padded_loss) < 1e-5
    assert worst < 1e-5


def test_fast_path_never_builds_batch_by_length_by_vocab_logits(tmp_path):
    """With the real 152k Qwen2.5 vocabulary: on the fast path the head runs on the trained positions only,
    CHUNK_LOGITS logits at a time (each chunk again in the backward pass), where the padded step's output is
    batch × longest × vocab; and the chunked loss equals the padded one."""
    from tests.conftest import SHARED, missing_fixture

    tokenizer_dir = SHARED / "fixtures" / "tokenizers" / "qwen2_5"
    if not tokenizer_dir.is_dir():
        missing_fixture(f"the Qwen2.5 tokenizer fixture is not at {tokenizer_dir}")
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    path = make_tiny_model(tmp_path / "m", TinyModelSpec(hidden_size=32, intermediate_size=64, num_layers=1,
                                                         num_heads=2, num_kv_heads=1, vocab_size=151936),
                           tokenizer_dir=tokenizer_dir)
    from tuneforge.config.train import CHUNK_LOGITS

    shapes, step_losses = {}, {}
    batch = features([40, 300, 90, 12], seed=2)
    for fast in (True, False):
        cfg, policy = policy_for(path, tmp_path, fast, "lora")
        shapes[fast] = []
        step_losses[fast] = trainer_step(cfg, policy, batch, head_outputs=shapes[fast])
        vocab = policy.get_base_model().get_output_embeddings().out_features
    trained = sum(sum(1 for x in f["labels"][1:] if x != IGNORE_INDEX) for f in batch)
    rows = CHUNK_LOGITS // vocab
    chunks = [(min(rows, trained - start), vocab) for start in range(0, trained, rows)]
    assert vocab > 150_000 and len(chunks) > 1
    # The model's own head call sees no position; then the chunks, then the chunks again (backward).
    assert shapes[True] == [(0, vocab), *chunks, *chunks[::-1]]
    assert shapes[False] == [(4, 300, vocab)]
    assert abs(step_losses[True] - step_losses[False]) < 1e-5



def test_chunked_head_gradients_equal_one_chunk(tiny_qwen, tmp_path):
    """The checkpointed chunks (logits recomputed in the backward pass) give the one-chunk gradients."""
    import dataclasses

    import torch

    from tuneforge.training.head import ChunkedHeadLoss
    from tuneforge.training.fast_path import flat_attention, step_parts

    cfg, policy = policy_for(tiny_qwen, tmp_path, True, "full")
    step = step_parts(cfg, 0, policy)
    assert isinstance(step.compute_loss_func, ChunkedHeadLoss)
    batch = step.collator(features([12, 200, 45, 90], seed=1))
    grads = []
    for chunk in (step.compute_loss_func, dataclasses.replace(step.compute_loss_func, chunk_logits=7 * 2048)):
        policy.zero_grad()
        with flat_attention(cfg, policy):
            outputs = policy(**{k: v for k, v in batch.items() if k != "labels"})
            chunk(outputs, batch["labels"]).backward()
        grads.append(torch.cat([p.grad.flatten() for p in policy.parameters() if p.grad is not None]))
    assert (grads[0] - grads[1]).abs().max().item() < 1e-6


@pytest.fixture(scope="module")
def tied_qwen(tiny_qwen, tmp_path_factory) -> Path:
    """tiny_qwen with its output head tied to the input embeddings (one weight, trained from both ends)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path_factory.mktemp("tied") / "model"
    model = AutoModelForCausalLM.from_pretrained(str(tiny_qwen), tie_word_embeddings=True)
    model.tie_weights()
    assert model.get_output_embeddings().weight is model.get_input_embeddings().weight
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(str(tiny_qwen)).save_pretrained(out)
    return out


def test_fast_path_with_tied_embeddings_trains_the_same_losses(tied_qwen, tmp_path):
    overrides = {"finetuning_type": "full", "learning_rate": 1e-3}
    fast = tuneforge.train(sft_config(tied_qwen, tmp_path / "fast", **overrides))
    padded = tuneforge.train(sft_config(tied_qwen, tmp_path / "padded", fast_path=False, **overrides))
    assert_same_losses(losses(fast.path), losses(padded.path))
