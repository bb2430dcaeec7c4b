"""Language-modelling recipe shared by pt and sft: the stages differ only in what the encoder trains on
(every token of plain text, or the assistant turns of conversations)."""
from __future__ import annotations

import platform
from pathlib import Path

from tuneforge.artifacts.run_dir import RunDir, mark_finished, prepare_output_dir, write_run_files
from tuneforge.config.run import RunConfig
from tuneforge.core.log import get_logger
from tuneforge.encode.collate import Collator
from tuneforge.model.adapters import apply_adapter
from tuneforge.model.load import load_model
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import train_until_done, with_atomic_checkpoints
from tuneforge.training.plot import plot_loss
from tuneforge.training.prepare import prepare_data
from tuneforge.templates.spec import stop_token_ids
from tuneforge.training.setup import (build_optimizer, main_process_first, training_arguments, use_gpu,
                                      uses_gradient_checkpointing, world_size)

log = get_logger()


def _run_info(cfg: RunConfig, prepared) -> dict:
    import torch
    import transformers

    return {"stage": cfg.finetune.stage, "finetuning_type": cfg.finetune.finetuning_type,
            "base_model": cfg.model.model_name_or_path, "template": cfg.data.template,
            "train_sequences": len(prepared.train),
            "train_stats": prepared.train_stats.__dict__ if prepared.train_stats else None,
            "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                         "python": platform.python_version()}, "finished": False}


def warn_if_too_big(cfg: RunConfig, on_gpu: bool) -> None:
    """A warning (never a failure: estimates err) when the memory estimate exceeds the device."""
    from tuneforge.model.estimate import device_memory_bytes, estimate_memory

    try:
        estimate = estimate_memory(cfg, on_gpu=on_gpu, world_size=world_size())
    except Exception as exc:  # an estimate must never stop a run; unusual configs may lack fields
        log.debug("no memory estimate: %s", exc)
        return
    available = device_memory_bytes(on_gpu)
    if available and estimate.total_bytes > available:
        log.warning("estimated peak memory %.1f GiB exceeds this %s's %.1f GiB; see `tuneforge estimate` for "
                    "the breakdown and what would fit", estimate.total_bytes / 2**30,
                    "GPU" if on_gpu else "machine", available / 2**30)


def _prepare(cfg: RunConfig, on_gpu: bool):
    """(prepared data or None when only encoding, checkpoint to resume from), done once across ranks."""
    out = Path(cfg.train.output_dir)
    only_encoding = bool(cfg.data.tokenized_path) and not Path(cfg.data.tokenized_path).exists()
    with main_process_first(cfg, on_gpu) as is_main:
        if only_encoding and not is_main:
            return None, None
        prepared = prepare_data(cfg)  # every data error before output_dir is touched
        if prepared.saved_to is None:
            resume = prepare_output_dir(str(out), overwrite=cfg.train.overwrite_output_dir,
                                        resume_from=cfg.train.resume_from_checkpoint, config=cfg.to_flat())
    if prepared.saved_to is not None:
        log.info("encoded dataset saved to %s; train with `tokenized_path: %s`", prepared.saved_to,
                 prepared.saved_to)
        return None, None
    return prepared, resume


def run(cfg: RunConfig) -> RunDir | None:
    from transformers import Trainer, set_seed

    on_gpu = use_gpu(cfg)
    prepared, resume = _prepare(cfg, on_gpu)
    if prepared is None:
        return None
    warn_if_too_big(cfg, on_gpu)
    out = Path(cfg.train.output_dir)
    if resume:
        log.info("resuming from %s", resume)
    tokenizer, template = prepared.tokenizer, prepared.template
    if template is not None:
        # Saved with the run, so chat/export/serve render exactly what training used.
        tokenizer.chat_template = template.export_chat_template()
    set_seed(cfg.train.seed)  # adapter initialisation must be reproducible, not only the data order
    model = load_model(cfg.model, on_gpu=on_gpu, scale=cfg.scale,
                       gradient_checkpointing=uses_gradient_checkpointing(cfg, on_gpu))
    if prepared.added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    # New token embeddings must train (and be saved with a LoRA adapter), or the new tokens mean nothing.
    model = apply_adapter(model, cfg.finetune, cfg.model,
                          train_embeddings=bool(prepared.added_tokens))
    model.generation_config.eos_token_id = stop_token_ids(tokenizer, template)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    args = training_arguments(cfg, on_gpu, has_eval=prepared.eval is not None, model=model)
    trainer_cls = with_atomic_checkpoints(Trainer)
    trainer = trainer_cls(model=model, args=args, train_dataset=prepared.train, eval_dataset=prepared.eval,
                          data_collator=Collator(tokenizer.pad_token_id), processing_class=tokenizer,
                          optimizers=build_optimizer(cfg, model),
                          callbacks=[JsonlLogCallback(out, resuming=resume is not None)])
    if trainer.is_world_process_zero():
        write_run_files(out, cfg.to_flat(), _run_info(cfg, prepared))
    if cfg.finetune.pissa_init and cfg.finetune.pissa_convert and resume is None:
        model.save_pretrained(out / "pissa_init")
    result = train_until_done(trainer, resume)
    trainer.save_model()
    if cfg.finetune.pissa_init and cfg.finetune.pissa_convert and trainer.is_world_process_zero():
        model.save_pretrained(out / "pissa_converted",
                              path_initial_model_for_weight_conversion=str(out / "pissa_init"))
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    trainer.save_state()
    if prepared.eval is not None and cfg.train.do_eval:
        metrics = trainer.evaluate()
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)
    if trainer.is_world_process_zero():
        if cfg.train.plot_loss:
            plot_loss(out)
        mark_finished(out, {"train_metrics": result.metrics})
    return RunDir(out)
