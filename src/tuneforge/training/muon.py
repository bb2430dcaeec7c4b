"""Muon for the weight matrices, AdamW for every other parameter, as one optimizer the Trainer can schedule,
checkpoint and resume: torch's own `torch.optim.Muon` and `torch.optim.AdamW` do the updates.

Muon orthogonalises each 2-D update (Newton–Schulz), which only makes sense for matrices; embeddings and the
output head are matrices too but are conventionally left to AdamW (as LLaMA-Factory and Muon's authors do).
`adjust_lr_fn="match_rms_adamw"` scales Muon's steps to AdamW's RMS, so one learning_rate serves both.
"""
from __future__ import annotations

import torch


class MuonWithAdamW(torch.optim.Optimizer):
    """param_groups are the two inner optimizers' own group dicts, so the learning-rate scheduler's changes
    reach both; the state lives in the inner optimizers and is saved and loaded through them."""

    def __init__(self, matrices: list, others: list, *, lr: float, weight_decay: float,
                 betas: tuple[float, float], eps: float) -> None:
        groups = [{"params": matrices, "muon": True}, {"params": others, "muon": False}]
        groups = [g for g in groups if g["params"]]
        super().__init__(groups, {"lr": lr})
        muon = [g for g in self.param_groups if g["muon"]]
        adamw = [g for g in self.param_groups if not g["muon"]]
        self.muon = torch.optim.Muon(muon, lr=lr, weight_decay=weight_decay,
                                     adjust_lr_fn="match_rms_adamw") if muon else None
        self.adamw = torch.optim.AdamW(adamw, lr=lr, weight_decay=weight_decay, betas=betas, eps=eps) \
            if adamw else None

    def _inner(self) -> list[torch.optim.Optimizer]:
        return [o for o in (self.muon, self.adamw) if o is not None]

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for optimizer in self._inner():
            optimizer.step()
        return loss

    def state_dict(self) -> dict:
        return {"muon": self.muon.state_dict() if self.muon else None,
                "adamw": self.adamw.state_dict() if self.adamw else None}

    def load_state_dict(self, state_dict: dict) -> None:
        for name in ("muon", "adamw"):
            inner = getattr(self, name)
            if inner is not None and state_dict.get(name) is not None:
                inner.load_state_dict(state_dict[name])
