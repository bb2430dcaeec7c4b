"""The fast training step (`fast_path: true`, the default) of the language-modelling stages: the trainer pieces
that make a step compute only what its loss needs, without changing what is learned.

- padding-free batches (encode/collate.FlatCollator) with attention inside each example
  (model/attention.py on sdpa; flash-attention's own varlen path when that is the implementation);
- the output head and cross-entropy only at the trained positions, in chunks (`ChunkedHeadLoss` on the last
  hidden states) — no batch × length × vocab logits tensor; where the head cannot be applied outside the
  model's forward (sharded parameters, a model that transforms its logits), the model computes its head at
  those positions itself (`logits_to_keep`, transformers' own argument, with `label_only_loss`);
- fused AdamW for `optim: adamw_torch` (setup.training_arguments): the same update, one kernel.

`fast_path: false` gives the padded step transformers' Trainer runs by default (the Collator, the model's loss)."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tuneforge.config.run import RunConfig
from tuneforge.encode.collate import Collator, FlatCollator, MediaCollator
from tuneforge.training.head import ChunkedHeadLoss, label_only_loss, plain_head


@dataclass(frozen=True)
class StepParts:
    """What the Trainer takes: its data_collator and compute_loss_func (None: the model's own loss)."""
    collator: Callable
    compute_loss_func: Callable | None


def step_parts(cfg: RunConfig, pad_token_id: int, model=None, media=None) -> StepParts:
    """`media`: a vision-language model's MediaEncoder — its batches are padded (its position ids, M-RoPE's
    among them, come from the model's own forward over padded rows) and carry the images' pixels."""
    if media is not None:
        return StepParts(MediaCollator(Collator(pad_token_id), media), None)
    if not cfg.train.fast_path:
        return StepParts(Collator(pad_token_id), None)
    if cfg.loss_from_logits_elsewhere():
        # Label smoothing: the Trainer's label smoother runs on the model's logits (every position of the
        # flat row). Liger: its fused linear cross-entropy computes the loss from the labels without
        # building the logits at all (and its forward takes no mask for logits_to_keep).
        return StepParts(FlatCollator(logits="all"), None)
    head = plain_head(model) if model is not None and cfg.chunks_output_head() else None
    if head is None:
        return StepParts(FlatCollator(logits="trained"), label_only_loss)
    return StepParts(FlatCollator(logits="none"), ChunkedHeadLoss(head))


@contextlib.contextmanager
def flat_attention(cfg: RunConfig, model) -> Iterator[None]:
    """While training on flattened batches, attention that stays within each example: sdpa becomes the
    per-segment sdpa, and is sdpa again afterwards (for generation on padded batches); flash-attention reads
    the segments from position_ids itself; eager and flex get transformers' packed-sequence mask, which it
    also builds from position_ids."""
    from tuneforge.model.adapters import base_model
    from tuneforge.model.attention import SEGMENT_ATTENTION, register_segment_attention
    from tuneforge.model.vision import is_vision_model

    base = base_model(model)
    if not cfg.train.fast_path or is_vision_model(base) or base.config._attn_implementation != "sdpa":
        yield
        return
    register_segment_attention()
    base.set_attn_implementation(SEGMENT_ATTENTION)
    try:
        yield
    finally:
        base.set_attn_implementation("sdpa")
