"""Stage rm: a reward model trained on chosen/rejected pairs with TRL's RewardTrainer (Bradley-Terry loss).

The model is the base with a one-output score head; with LoRA the head trains fully and is saved with the
adapter, so the run folder loads back as a scorer (`inference.reward.RewardScorer`, PPO's `reward_model`).
Pairs are tokenised by our encoder (prompt + answer up to its end-of-turn token, exactly as chat renders them);
RewardTrainer takes those ids as they are.
"""
from __future__ import annotations

from dataclasses import replace

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.encode.pairwise import encode_pair
from tuneforge.model.adapters import apply_adapter
from tuneforge.model.reward import load_score_model, reward_lora_config
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import with_atomic_checkpoints
from tuneforge.training.setup import build_optimizer, use_gpu
from tuneforge.training.stages.common import (
    encode_located,
    finish_trainer_run,
    load_stage_inputs,
    start_output,
    trl_config,
    write_run,
)

METRICS = ("accuracy", "margin", "mean_reward")


def _rows(encoded) -> list[dict]:
    return [{"chosen_ids": e.prompt_ids + e.chosen_ids, "rejected_ids": e.prompt_ids + e.rejected_ids}
            for e in encoded]


def _trainable(model, cfg: RunConfig):
    """LoRA (score head saved with the adapter), or freeze/full with the score head always trained."""
    ft = cfg.finetune
    if ft.finetuning_type == "lora":
        from peft import get_peft_model

        return get_peft_model(model, reward_lora_config(ft))
    if ft.finetuning_type == "freeze":
        extra = ",".join(filter(None, [ft.freeze_extra_modules, "score"]))
        return apply_adapter(model, replace(ft, freeze_extra_modules=extra), cfg.model)
    return apply_adapter(model, ft, cfg.model)


def run(cfg: RunConfig) -> RunDir:
    from datasets import Dataset
    from transformers import set_seed
    from trl import RewardConfig, RewardTrainer

    inputs = load_stage_inputs(cfg)
    train = _rows(encode_located(encode_pair, inputs.train, inputs))
    evaluation = _rows(encode_located(encode_pair, inputs.eval, inputs)) if inputs.eval else None
    on_gpu = use_gpu(cfg)
    out, resume = start_output(cfg)
    set_seed(cfg.train.seed)
    model = load_score_model(cfg.model, on_gpu=on_gpu, pad_token_id=inputs.tokenizer.pad_token_id)
    if inputs.added_tokens:
        model.resize_token_embeddings(len(inputs.tokenizer))
    model = _trainable(model, cfg)
    args = trl_config(RewardConfig, cfg, on_gpu, evaluation is not None, max_length=None, disable_dropout=True)
    trainer_cls = with_atomic_checkpoints(RewardTrainer)
    trainer = trainer_cls(model=model, args=args, train_dataset=Dataset.from_list(train),
                          eval_dataset=Dataset.from_list(evaluation) if evaluation else None,
                          processing_class=inputs.tokenizer, optimizers=build_optimizer(cfg, model),
                          callbacks=[JsonlLogCallback(out, resuming=resume is not None)])
    write_run(trainer, cfg, out, len(train))
    return finish_trainer_run(trainer, cfg, out, resume, METRICS, evaluation is not None)
