"""Batching features for the trainer.

- `Collator`: right-padding (the path transformers' Trainer runs; `fast_path: false`), or — for neat-packed
  rows — one flattened row with per-segment position_ids and no attention mask (which is what makes
  transformers isolate the segments).
- `FlatCollator`: the fast path. The batch's examples (or packed rows) concatenated into one row with no
  padding at all and per-segment position_ids (from which flash-attention's varlen path and
  model/attention.py's per-segment attention find the segments), and what the model's output head computes
  (`logits`): "trained" — `logits_to_keep`, a [1, T] mask of the positions whose next token is trained;
  "none" — no position, the last hidden states returned instead, for a loss that applies the head itself in
  chunks (training/fast_path.py); "all" — every position. Every tensor has the batch dimension first:
  accelerate slices batches along it.
  The same examples in the same order; only their layout changes.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.encode.options import IGNORE_INDEX


@dataclass(frozen=True)
class Collator:
    pad_token_id: int
    pad_to_multiple_of: int | None = None

    def __call__(self, features: list[dict]) -> dict:
        import torch

        if "position_ids" in features[0]:
            return {key: torch.tensor([[v for f in features for v in f[key]]])
                    for key in ("input_ids", "labels", "position_ids")}
        longest = max(len(f["input_ids"]) for f in features)
        if self.pad_to_multiple_of:
            longest = -(-longest // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = {"input_ids": [], "labels": [], "attention_mask": []}
        for f in features:
            pad = longest - len(f["input_ids"])
            batch["input_ids"].append(list(f["input_ids"]) + [self.pad_token_id] * pad)
            batch["labels"].append(list(f["labels"]) + [IGNORE_INDEX] * pad)
            batch["attention_mask"].append([1] * len(f["input_ids"]) + [0] * pad)
        return {key: torch.tensor(value) for key, value in batch.items()}


def segment_lengths(feature: dict) -> list[int]:
    """The lengths of a row's attention segments: a neat-packed row restarts its position_ids at each example;
    any other row (one example, or a plainly packed row) is one segment."""
    positions = feature.get("position_ids")
    if positions is None:
        return [len(feature["input_ids"])]
    starts = [i for i, p in enumerate(positions) if p == 0] + [len(positions)]
    return [end - start for start, end in zip(starts, starts[1:])]


HEAD_POSITIONS = ("trained", "none", "all")


@dataclass(frozen=True)
class FlatCollator:
    logits: str = "trained"

    def __post_init__(self) -> None:
        if self.logits not in HEAD_POSITIONS:
            raise ValueError(f"logits must be one of {HEAD_POSITIONS}, not {self.logits!r}")

    def __call__(self, features: list[dict]) -> dict:
        import torch

        input_ids: list[int] = []
        labels: list[int] = []
        positions: list[int] = []
        for feature in features:
            input_ids += feature["input_ids"]
            row_labels = list(feature["labels"])
            start = 0
            for length in segment_lengths(feature):
                # A segment's first token is never a target (nothing before it in its segment predicts it);
                # in the padded layout the shift drops it, here the previous segment would predict it.
                row_labels[start] = IGNORE_INDEX
                positions += range(length)
                start += length
            labels += row_labels
        labels_t = torch.tensor([labels])
        batch = {"input_ids": torch.tensor([input_ids]), "labels": labels_t, "position_ids": torch.tensor([positions])}
        if self.logits != "all":
            # Position t's logits predict token t+1: keep t where labels[t+1] is trained.
            keep = torch.zeros_like(labels_t, dtype=torch.bool)
            if self.logits == "trained":
                keep[:, :-1] = labels_t[:, 1:] != IGNORE_INDEX
            else:
                batch["output_hidden_states"] = True
            batch["logits_to_keep"] = keep
        return batch


@dataclass(frozen=True)
class MediaCollator:
    """Padded batches of a vision-language model: `text` (the Collator) pads ids and labels, then the
    batch's images and videos are opened and run through the model's image/video processor — the same
    loading as at encoding, so each expands to the tokens its features were encoded with — and the token-type
    ids the model needs are built from the ids (M-RoPE's modality ids, Gemma 3's image mask)."""
    text: Collator
    media: object  # encode.media.MediaEncoder

    def __call__(self, features: list[dict]) -> dict:
        import torch

        from tuneforge.data.example import Media
        from tuneforge.encode.media import MEDIA_FEATURES, load_media

        files = Media(**{key: tuple(p for f in features for p in f.get(key) or ()) for key in MEDIA_FEATURES})
        batch = self.text([{k: v for k, v in f.items() if k not in MEDIA_FEATURES} for f in features])
        processor, loaded = self.media.processor, load_media(files, self.media.options)
        if loaded["images"]:
            batch.update(processor.image_processor(images=loaded["images"], return_tensors="pt"))
        if loaded["videos"]:
            out = processor.video_processor(videos=loaded["videos"], do_sample_frames=False, return_tensors="pt")
            batch.update({k: v for k, v in out.items() if k != "video_metadata"})
        if self.media.type_keys:
            types = torch.tensor(processor.create_mm_token_type_ids(batch["input_ids"].tolist()))
            batch.update({key: types for key in self.media.type_keys})
        return batch
