"""A value head for PPO: one linear layer on the policy's last hidden state, predicting the return from each
position. It lives beside the (LoRA) policy rather than inside it, so the policy stays a plain causal LM whose
adapter saves and loads as for SFT; the head is saved next to it as value_head.safetensors."""
from __future__ import annotations

from pathlib import Path

VALUE_HEAD_FILE = "value_head.safetensors"


def make_value_head(hidden_size: int):
    import torch

    head = torch.nn.Linear(hidden_size, 1)
    torch.nn.init.normal_(head.weight, std=1.0 / (hidden_size + 1))  # small values at first: advantages ≈ rewards
    torch.nn.init.zeros_(head.bias)
    return head


def save_value_head(head, output_dir: str | Path) -> Path:
    from safetensors.torch import save_file

    path = Path(output_dir) / VALUE_HEAD_FILE
    save_file({k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}, str(path))
    return path
