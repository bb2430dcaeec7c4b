"""`compute_accuracy` (LLaMA-Factory's key): `eval_accuracy` next to eval_loss — per evaluation example, the
share of its trained tokens that the model's top prediction gets right, averaged over the examples, exactly as
LLaMA-Factory's ComputeAccuracy computes it.

The fast step never builds the full logits, so the accuracy is not taken from the evaluation batches: after
the Trainer's evaluation loop, each evaluation example runs once more, alone, with the full logits (what
LLaMA-Factory's evaluation computes for every example anyway), and the figure joins that loop's metrics, so it
is logged, saved and returned with them."""
from __future__ import annotations

from tuneforge.encode.options import IGNORE_INDEX


def token_accuracy(model, examples) -> float:
    """Mean over `examples` (rows with input_ids and labels) of the per-example top-1 accuracy on the trained
    tokens (prediction at position t for the label at t + 1)."""
    import torch

    scores = []
    device = next(model.parameters()).device
    with torch.no_grad():
        for row in examples:
            ids = torch.tensor([row["input_ids"]], device=device)
            # a packed row's own positions keep its examples apart; else one example, one segment
            positions = torch.tensor([row["position_ids"]], device=device) if "position_ids" in row \
                else torch.arange(ids.shape[1], device=device)[None]
            logits = model(input_ids=ids, position_ids=positions).logits[0, :-1]
            labels = torch.tensor(row["labels"][1:], device=device)
            trained = labels != IGNORE_INDEX
            if trained.any():
                scores.append(float((logits.argmax(-1)[trained] == labels[trained]).float().mean()))
    return sum(scores) / len(scores) if scores else float("nan")


class TokenAccuracyMixin:
    """Trainer mixin: adds `<prefix>_accuracy` to every evaluation's metrics."""

    def evaluation_loop(self, dataloader, description, prediction_loss_only=None, ignore_keys=None,
                        metric_key_prefix="eval"):
        output = super().evaluation_loop(dataloader, description, prediction_loss_only, ignore_keys,
                                         metric_key_prefix)
        model = self.model
        was_training = model.training
        model.eval()
        try:
            output.metrics[f"{metric_key_prefix}_accuracy"] = token_accuracy(model, dataloader.dataset)
        finally:
            model.train(was_training)
        return output


def with_token_accuracy(trainer_cls: type) -> type:
    return type(trainer_cls.__name__, (TokenAccuracyMixin, trainer_cls), {"__module__": trainer_cls.__module__})
