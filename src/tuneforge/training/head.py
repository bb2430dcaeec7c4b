"""The causal-LM loss at the trained positions only: the model's output head applied to its last hidden
states in chunks (`ChunkedHeadLoss`), or, where the head cannot be applied outside the model's forward, the
logits the model computed at those positions itself (`label_only_loss`, with transformers' `logits_to_keep`).
Both divide as transformers' own causal-LM loss does. The training step that uses them: training/fast_path.py;
the memory estimate counts their logits (model/estimate.py, through RunConfig.chunks_output_head)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.train import CHUNK_LOGITS
from tuneforge.encode.options import IGNORE_INDEX


def plain_head(model):
    """The output head module when the model's logits are exactly head(last hidden state); None otherwise
    (some models scale or soft-cap their logits). Checked on the model itself with one three-token forward,
    not on a list of model types."""
    import torch

    from tuneforge.model.adapters import base_model

    base = base_model(model)
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    if head is None:
        return None
    device = next(model.parameters()).device
    was_training = base.training
    base.train()  # in eval mode bitsandbytes' 4-bit layers repack their weights for inference, for good
    cuda = [device] if device.type == "cuda" else []
    try:  # with the random state restored after: dropout in this forward must not shift training's
        with torch.no_grad(), torch.random.fork_rng(devices=cuda):
            out = base(input_ids=torch.tensor([[1, 2, 3]], device=device), output_hidden_states=True)
            same = torch.allclose(head(out.hidden_states[-1]).float(), out.logits.float(), rtol=1e-4, atol=1e-5)
    finally:
        base.train(was_training)
    return head if same else None


@dataclass(frozen=True)
class ChunkedHeadLoss:
    """The causal-LM loss from the last hidden states: the head and cross-entropy at the trained positions
    only, CHUNK_LOGITS logits at a time. More than one chunk: each is checkpointed (its logits recomputed in
    the backward pass instead of kept), so at most one chunk's logits exist at any time."""
    head: object  # the model's output embeddings module (peft's wrapper of it, when targeted)
    chunk_logits: int = CHUNK_LOGITS

    def __call__(self, outputs, labels, num_items_in_batch=None):
        from torch.utils.checkpoint import checkpoint

        targets = labels[..., 1:]
        keep = targets != IGNORE_INDEX
        hidden = outputs.hidden_states[-1][:, :-1][keep]
        targets = targets[keep].to(hidden.device)
        rows = max(1, self.chunk_logits // outputs.logits.shape[-1])
        if hidden.shape[0] <= rows:
            loss = _head_cross_entropy(self.head, hidden, targets)
        else:
            loss = sum(checkpoint(_head_cross_entropy, self.head, hidden[i:i + rows], targets[i:i + rows],
                                  use_reentrant=False) for i in range(0, hidden.shape[0], rows))
        return _per_token(loss, targets.numel(), num_items_in_batch)


def _head_cross_entropy(head, hidden, targets):
    import torch.nn.functional as F

    return F.cross_entropy(head(hidden).float(), targets, reduction="sum")


def label_only_loss(outputs, labels, num_items_in_batch=None):
    """Cross-entropy of the logits the model computed at `logits_to_keep` (the positions before each trained
    token, in order) against those tokens: the model's own causal-LM loss (float32 logits, summed over tokens,
    divided by the tokens of the whole accumulated batch), computed on the rows it uses only."""
    import torch.nn.functional as F

    targets = labels[..., 1:]
    targets = targets[targets != IGNORE_INDEX]
    logits = outputs.logits.reshape(-1, outputs.logits.shape[-1]).float()
    loss = F.cross_entropy(logits, targets.to(logits.device), reduction="sum")
    return _per_token(loss, targets.numel(), num_items_in_batch)


def _per_token(loss_sum, tokens: int, num_items_in_batch):
    """The summed loss divided as transformers' causal-LM loss divides it: by the trained tokens of the whole
    accumulated batch when the Trainer counted them, else by this batch's."""
    if num_items_in_batch is None:
        return loss_sum / max(tokens, 1)
    if hasattr(num_items_in_batch, "to"):
        num_items_in_batch = num_items_in_batch.to(loss_sum.device)
    return loss_sum / num_items_in_batch
