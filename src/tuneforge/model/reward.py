"""Reward models: a base model with a one-output score head (`AutoModelForSequenceClassification`,
num_labels=1) read at the last real token, trained with LoRA (the head saved with the adapter) or fully.

Owns the LoRA config of a reward model (peft's SEQ_CLS task, which saves the `score` head with the adapter),
loading a trained reward model back from a run folder, and scoring token sequences. Used by the rm and ppo
stages and by `inference.reward.RewardScorer` (the API server's /v1/score/evaluation).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.artifacts.run_dir import CONFIG_FILE, RunDir
from tuneforge.config.finetune import FinetuneConfig
from tuneforge.config.model import ModelConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import held_back
from tuneforge.model.load import check_model_path, resolve_dtype
from tuneforge.model.stack import load_with_adapters


def load_score_model(mc: ModelConfig, *, on_gpu: bool, pad_token_id: int, path: str | None = None,
                     new_head: bool = True):
    """The base model with a freshly initialised (`new_head`) or saved (a full reward model's folder, every weight
    expected there) one-output score head."""
    from transformers import AutoModelForSequenceClassification

    path = path or mc.model_name_or_path
    kwargs: dict[str, Any] = {"dtype": resolve_dtype(mc, on_gpu), "num_labels": 1, "cache_dir": mc.cache_dir,
                              "trust_remote_code": mc.trust_remote_code}
    if mc.attn_implementation():
        kwargs["attn_implementation"] = mc.attn_implementation()
    try:
        # transformers reports every load whose weights differ from the checkpoint's. A causal LM under a new
        # score head always differs in the same two (lm_head unused, score initialised): that report is dropped;
        # any other difference (or a failed load) still shows it.
        with held_back("transformers.modeling_utils", "LOAD REPORT") as report:
            model, info = AutoModelForSequenceClassification.from_pretrained(path, output_loading_info=True,
                                                                             **kwargs)
            if new_head and _only_the_new_head(info):
                report.clear()
    except (OSError, ValueError) as exc:
        raise UserError(f"could not load a reward model: {str(exc).splitlines()[0]}", file=path) from None
    # The head reads the last token that is not padding; without a pad id it would read the padding.
    model.config.pad_token_id = pad_token_id
    return model


def _only_the_new_head(info: dict) -> bool:
    return (not info["mismatched_keys"] and all(key.startswith("score.") for key in info["missing_keys"])
            and all(key.startswith("lm_head.") for key in info["unexpected_keys"]))


def reward_lora_config(ft: FinetuneConfig):
    """LoRA for a reward model: the same settings as the policy's, on every linear layer but the score head,
    which trains fully and is saved with the adapter."""
    from peft import LoraConfig, TaskType

    targets = ft.lora_targets()
    return LoraConfig(task_type=TaskType.SEQ_CLS, r=ft.lora_rank, lora_alpha=ft.lora_alpha_value(),
                      lora_dropout=ft.lora_dropout,
                      target_modules="all-linear" if targets == ["all"] else targets,
                      exclude_modules=["score"], modules_to_save=["score", *ft.additional_targets()],
                      use_dora=ft.use_dora, use_rslora=ft.use_rslora)


@dataclass
class RewardModel:
    model: Any
    tokenizer: Any
    template: str | None

    def score_ids(self, sequences: list[list[int]], batch_size: int = 8) -> list[float]:
        """One scalar per token sequence (prompt + answer, ending with the answer's end-of-turn token)."""
        import torch

        pad = self.model.config.pad_token_id
        device = next(self.model.parameters()).device
        scores: list[float] = []
        for i in range(0, len(sequences), batch_size):
            chunk = sequences[i:i + batch_size]
            width = max(len(s) for s in chunk)
            ids = torch.tensor([s + [pad] * (width - len(s)) for s in chunk], device=device)
            mask = torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in chunk], device=device)
            with torch.no_grad():
                logits = self.model(input_ids=ids, attention_mask=mask).logits
            scores += logits[:, 0].float().tolist()
        return scores


def load_reward_model(path: str | Path, *, on_gpu: bool = False, field: str = "reward_model") -> RewardModel:
    """A reward model trained by stage rm: a run folder holding a LoRA adapter (+ score head) or a full model."""
    folder = Path(path)
    check_model_path(str(folder), field=field)
    run = RunDir(folder).run_config() if (folder / CONFIG_FILE).is_file() else None
    if run is not None and run.finetune.stage != "rm":
        raise UserError(f"is a run of stage {run.finetune.stage}, not a reward model (stage rm)", file=str(folder),
                        field=field)
    if (folder / "adapter_config.json").is_file():
        if run is None:
            raise UserError("holds an adapter but no tuneforge_config.yaml naming its base model", file=str(folder),
                            field=field)
        mc = ModelConfig(model_name_or_path=run.model.model_name_or_path, adapter_name_or_path=str(folder))
    else:
        mc = ModelConfig(model_name_or_path=str(folder))
    # The one loader (tokenizer from the run folder, resize, adapter kept separate), on a score-head base.
    loaded = load_with_adapters(mc, on_gpu=on_gpu, merge_last=False, load_base=lambda tokenizer: load_score_model(
        ModelConfig(model_name_or_path=mc.model_name_or_path), on_gpu=on_gpu, pad_token_id=tokenizer.pad_token_id,
        new_head=mc.adapter_name_or_path is not None))  # an adapter's base is the causal LM; the adapter has the head
    return RewardModel(loaded.model, loaded.tokenizer, run.data.template if run is not None else None)
