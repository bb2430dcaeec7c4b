"""`moe_aux_loss_coef` (LLaMA-Factory's key): the router load-balancing loss of MoE models (Mixtral,
Qwen2/3-MoE, DeepSeek-MoE…) added to the training loss, through transformers' own `output_router_logits` /
`router_aux_loss_coef` config and the `aux_loss` the model's forward returns.

The model adds it itself only when it computes the loss from `labels`; tuneforge's steps compute the loss
outside the forward (the fast path's head loss, or the causal-LM loss on the padded path, with the labels kept
from the model), so `AuxLoss` adds coefficient × aux_loss to that loss and keeps the values for the log
(`aux_loss` in trainer_log.jsonl, the mean since the last log line). The model is asked for the aux loss
when it loads (model/load.py); TRL's DPO and KTO trainers add it themselves from the same config."""
from __future__ import annotations

from collections.abc import Callable

from transformers import TrainerCallback


class AuxLoss:
    """compute_loss_func that adds the weighted router aux loss to `base` (None: the causal-LM loss of the
    model's logits, `model.loss_function`, what the model's forward would have computed from the labels)."""

    def __init__(self, base: Callable | None, model, coefficient: float) -> None:
        self.base, self.model, self.coefficient = base, model, coefficient
        self.values: list[float] = []

    def __call__(self, outputs, labels, num_items_in_batch=None):
        if self.base is not None:
            loss = self.base(outputs, labels, num_items_in_batch)
        else:
            loss = self.model.loss_function(outputs.logits, labels, vocab_size=outputs.logits.shape[-1],
                                            num_items_in_batch=num_items_in_batch)
        aux = getattr(outputs, "aux_loss", None)
        if aux is None:
            return loss
        self.values.append(float(aux.detach()))
        return loss + self.coefficient * aux.to(loss.device)

    def take_mean(self) -> float | None:
        values, self.values = self.values, []
        return sum(values) / len(values) if values else None


class AuxLossLogCallback(TrainerCallback):
    """Puts the mean aux loss since the last log into each log line (before the JSONL writer sees it)."""

    def __init__(self, meter: AuxLoss) -> None:
        self.meter = meter

    def on_log(self, args, state, control, logs=None, **kwargs):
        mean = self.meter.take_mean()
        if logs is not None and mean is not None and "loss" in logs:
            logs["aux_loss"] = mean
