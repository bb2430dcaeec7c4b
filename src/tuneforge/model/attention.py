"""Per-segment causal attention for padding-free batches, registered through transformers'
`AttentionInterface` (its public extension point) as "tuneforge_segments".

A flattened batch (encode/collate.FlatCollator) is one row of several examples. With sdpa, transformers would
build a T×T block-diagonal mask and attend over all of it — more score entries than the padded batch. This
runs sdpa once per segment with `is_causal`, so each example attends to itself only and no mask exists;
the arithmetic is the padded path's, without the padding. The segments are where position_ids restart at 0
(what flash-attention's varlen path reads too, on GPU, without this)."""
from __future__ import annotations

SEGMENT_ATTENTION = "tuneforge_segments"


def segment_attention(module, query, key, value, attention_mask, dropout: float = 0.0, scaling=None,
                      is_causal=None, **kwargs):
    """query [1, heads, T, dim], key/value [1, kv_heads, T, dim] → ([1, T, heads, dim], None)."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if query.shape[0] != 1:
        # transformers builds no mask for an implementation its mask functions do not know, and a padded
        # batch needs one: the trainer sets this implementation only while it trains on flattened batches.
        raise ValueError(f"{SEGMENT_ATTENTION} attention takes one flattened row, not a batch of "
                         f"{query.shape[0]}; use sdpa for padded batches")
    positions = kwargs.get("position_ids")
    if positions is None or query.shape[2] != key.shape[2]:
        # One sequence, or decoding against a cache: causal sdpa over it is exact without a mask.
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, is_causal=is_causal, **kwargs)
    groups = getattr(module, "num_key_value_groups", 1)
    window = kwargs.get("sliding_window")
    cuts = [*torch.nonzero(positions[0] == 0).flatten().tolist(), query.shape[2]]
    outputs = []
    for start, end in zip(cuts, cuts[1:]):
        q, k, v = query[:, :, start:end], key[:, :, start:end], value[:, :, start:end]
        mask = None
        if window is not None and end - start > window:
            idx = torch.arange(end - start, device=query.device)
            distance = idx[:, None] - idx[None, :]
            mask = (distance >= 0) & (distance < window)
        outputs.append(torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=dropout, scale=scaling, is_causal=mask is None,
            enable_gqa=groups > 1))
    return torch.cat(outputs, dim=2).transpose(1, 2).contiguous(), None


def register_segment_attention() -> None:
    """Idempotent: transformers keeps the name → function table; registering twice replaces the same entry."""
    from transformers import AttentionInterface

    AttentionInterface.register(SEGMENT_ATTENTION, segment_attention)
