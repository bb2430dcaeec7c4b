"""PPO rollouts: the left-padded prompt batch, the reply mask, and the forward pass that gives the reply
tokens' log-probs and the value head's estimates. Prompts are left-padded so every reply
starts at the same column; position ids follow the attention mask, so padding does not shift positions."""
from __future__ import annotations


def batch(prompts: list[list[int]], pad: int):
    """Left-padded prompt ids and attention mask (generation continues every row at the same position)."""
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompts])
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts])
    return ids, mask


def response_mask(responses, stop_ids: list[int]):
    """1 up to and including the first stop token of each reply, 0 after it."""
    import torch

    is_stop = torch.isin(responses, torch.tensor(stop_ids))
    after_stop = (torch.cumsum(is_stop.int(), dim=1) - is_stop.int()) > 0
    return (~after_stop).float()


def forward(model, head, ids, mask, width: int):
    """(log-probs of the reply tokens, values at the positions that produce them)."""
    import torch

    position_ids = (mask.cumsum(dim=1) - 1).clamp(min=0)
    out = model(input_ids=ids, attention_mask=mask, position_ids=position_ids, output_hidden_states=True)
    logits = out.logits[:, width - 1:-1].float()
    logprobs = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, width:, None]).squeeze(-1)
    values = head(out.hidden_states[-1][:, width - 1:-1].float()).squeeze(-1) if head is not None else None
    return logprobs, values
