"""Scoring: the model's next-token logits at the end of each prompt, restricted to the four answer letters;
the prediction is their argmax (the first letter on an exact tie).

Prompts are batched with right padding and each row is read at its own last real token. Padding after a
token cannot change what a causal model computes for it, and positions need no adjusting, so a batch of 8
scores exactly as 8 batches of 1 do (up to float rounding in the fused kernels).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.evaluate.benchmarks.readers import LETTERS


@dataclass(frozen=True)
class Scored:
    letter: str
    logits: tuple[float, float, float, float]  # for A, B, C, D


def choice_token_ids(tokenizer: Any, prefix: str = "") -> list[int]:
    """The token each answer letter starts with (its last token when the tokenizer splits it, as
    LLaMA-Factory takes); the four must differ."""
    ids = [tokenizer.encode(prefix + letter, add_special_tokens=False)[-1] for letter in LETTERS]
    if len(set(ids)) != len(ids):
        raise UserError(f"the tokenizer does not give the answer letters {LETTERS} distinct tokens "
                        f"(with prefix {prefix!r}); it cannot be scored this way", field="template")
    return ids


def score(model: Any, prompts: Sequence[Sequence[int]], choice_ids: Sequence[int], *, batch_size: int,
          pad_id: int, on_batch: Callable[[int], None] | None = None) -> list[Scored]:
    """One Scored per prompt, in order."""
    import torch

    device = next(model.parameters()).device
    index = torch.tensor(list(choice_ids), device=device)
    out: list[Scored] = []
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start:start + batch_size]
        width = max(len(p) for p in batch)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, prompt in enumerate(batch):
            ids[row, :len(prompt)] = torch.tensor(list(prompt), dtype=torch.long)
            mask[row, :len(prompt)] = 1
        last = mask.sum(dim=1) - 1
        with torch.inference_mode():
            logits, columns = _last_logits(model, ids.to(device), mask.to(device), last)
        picked = logits[torch.arange(len(batch)), columns.to(logits.device)][:, index.to(logits.device)]
        picked = picked.float().cpu()
        for row_logits in picked:
            values = tuple(float(v) for v in row_logits)
            out.append(Scored(LETTERS[int(torch.argmax(row_logits))], values))  # type: ignore[arg-type]
        if on_batch:
            on_batch(len(batch))
    return out


def _last_logits(model: Any, ids: Any, mask: Any, last: Any) -> tuple[Any, Any]:
    """Logits at the positions some row ends on, and each row's column in them. Asking the model only for
    those positions (`logits_to_keep`) spares a (batch × length × vocabulary) tensor on large vocabularies."""
    import inspect

    import torch

    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        keep = torch.unique(last)  # sorted
        logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep.to(ids.device)).logits
        return logits, torch.searchsorted(keep, last)
    return model(input_ids=ids, attention_mask=mask).logits, last
