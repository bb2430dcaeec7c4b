"""The `data` group: which datasets, how they are mixed, split, rendered and cut."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option, split_names
from tuneforge.config.stages import StageNeeds


@dataclass(frozen=True)
class DataConfig:
    dataset: str | None = option(None, "Training dataset names from dataset_info.json (or file paths), "
                                       "comma-separated.")
    eval_dataset: str | None = option(None, "Evaluation dataset names, comma-separated.")
    eval_on_each_dataset: bool = option(False, "Evaluate on each eval_dataset separately: one metric set per "
                                               "dataset (eval_<name>_loss, …), as LLaMA-Factory reports them.")
    dataset_dir: str = option("data", "Folder holding dataset_info.json and the dataset files.")
    template: str | None = option(None, "Chat template name (see `tuneforge templates`); omitted = use the "
                                        "tokenizer's own chat_template.")
    default_system: str | None = option(None, "System prompt used when a conversation has none "
                                              "(overrides the template's default).")
    cutoff_len: int = option(2048, "Maximum tokens per example after rendering; longer examples are cut "
                                   "so that the answer is kept.")
    max_samples: int | None = option(None, "Use at most this many examples from each dataset.")
    val_size: float = option(0.0, "Hold out this fraction (<1) or number (>=1) of training examples for "
                                  "evaluation.")
    mix_strategy: str = option("concat", "How several datasets are mixed.",
                               ("concat", "interleave_under", "interleave_over"))
    interleave_probs: str | None = option(None, "Sampling probabilities for interleaving, comma-separated.")
    packing: bool | None = option(None, "Pack several examples into each cutoff_len sequence "
                                        "(default: on for pt, off otherwise).")
    neat_packing: bool = option(False, "Packing without attention across packed examples (implies packing).")
    train_on_prompt: bool = option(False, "Also train on the prompt tokens, not only the answers.")
    mask_history: bool = option(False, "Train only on the last assistant turn of each conversation.")
    tool_format: str | None = option(None, "Override the template's tool-call format.")
    preprocessing_num_workers: int | None = option(None, "Processes used to encode the data.")
    preprocessing_batch_size: int = option(1000, "Examples per encoding batch.")
    overwrite_cache: bool = option(False, "Re-encode even if an encoded copy is cached.")
    tokenized_path: str | None = option(None, "Save the encoded dataset here, or load it from here if it "
                                              "exists (then the raw data is not read).")
    streaming: bool = option(False, "Read and encode the datasets lazily while training (flat memory for any "
                                    "size); needs max_steps.")
    buffer_size: int = option(16384, "Rows in the shuffle buffer of a stream (streaming).")
    # vision-language models (docs/multimodal.md); the budgets are LLaMA-Factory's defaults
    media_dir: str | None = option(None, "Folder the images/videos columns' relative paths are read from "
                                         "(default: dataset_dir).")
    image_dir: str | None = option(None, "LLaMA-Factory's older name for media_dir.")
    image_max_pixels: int = option(768 * 768, "Images larger than this many pixels are scaled down first.")
    image_min_pixels: int = option(32 * 32, "Images smaller than this many pixels are scaled up first.")
    video_max_pixels: int = option(256 * 256, "Video frames larger than this many pixels are scaled down.")
    video_min_pixels: int = option(16 * 16, "Video frames smaller than this many pixels are scaled up.")
    video_fps: float = option(2.0, "Frames sampled per second of video.")
    video_maxlen: int = option(128, "At most this many frames per video.")
    ignore_pad_token_for_loss: bool = option(True, "Pad tokens never count in the loss.")

    def media_folder(self) -> str:
        """Where relative media paths point: media_dir, else LLaMA-Factory's image_dir, else dataset_dir."""
        return self.media_dir or self.image_dir or self.dataset_dir

    def dataset_names(self) -> list[str]:
        return split_names(self.dataset)

    def eval_dataset_names(self) -> list[str]:
        return split_names(self.eval_dataset)

    def interleave_weights(self) -> list[float] | None:
        names = split_names(self.interleave_probs)
        return [float(p) for p in names] if names else None

    def use_packing(self, stage: StageNeeds) -> bool:
        if self.neat_packing:
            return True
        return self.packing if self.packing is not None else stage.packs_by_default

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.cutoff_len < 8:
            out.append(("cutoff_len", f"must be at least 8, got {self.cutoff_len}"))
        if self.val_size < 0:
            out.append(("val_size", "must not be negative"))
        if self.val_size > 0 and self.eval_dataset_names():  # LF refuses this too: which set would be meant?
            out.append(("val_size", "cannot be used together with eval_dataset; set one of them"))
        if self.eval_on_each_dataset and not self.eval_dataset_names():
            out.append(("eval_on_each_dataset", "needs eval_dataset (a val_size split is one set, taken from the "
                                                "mixed training data)"))
        if self.max_samples is not None and self.max_samples < 1:
            out.append(("max_samples", "must be a positive number"))
        if self.streaming:
            if self.val_size and (self.val_size < 1 or self.val_size != int(self.val_size)):
                out.append(("val_size", "must be a whole number of rows with streaming (a stream's size is not "
                                        "known, so no fraction of it can be held out)"))
            if self.eval_on_each_dataset:
                out.append(("eval_on_each_dataset", "is not supported with streaming (the eval rows are read "
                                                    "as one stream); set streaming: false"))
            if self.tokenized_path:
                out.append(("tokenized_path", "cannot be used with streaming (a stream is encoded while training "
                                              "reads it, never stored)"))
            if self.buffer_size < 1:
                out.append(("buffer_size", "must be at least 1"))
        try:
            weights = self.interleave_weights()
        except ValueError:
            out.append(("interleave_probs", f"'{self.interleave_probs}' is not a list of numbers"))
            weights = None
        if weights is not None:
            if self.mix_strategy == "concat":
                out.append(("interleave_probs", "only used with mix_strategy interleave_under/interleave_over"))
            elif len(weights) != len(self.dataset_names()):
                out.append(("interleave_probs", f"{len(weights)} probabilities for "
                                                f"{len(self.dataset_names())} datasets"))
            elif abs(sum(weights) - 1.0) > 1e-6:
                out.append(("interleave_probs", f"must sum to 1, got {sum(weights):g}"))
        return out
