"""Language-modelling recipe shared by pt and sft: the stages differ only in what the encoder trains on
(every token of plain text, or the assistant turns of conversations). The same skeleton as every stage:
prepare data → load model → build trainer → train → finish (stages/common.py)."""
from __future__ import annotations

from pathlib import Path

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.log import get_logger
from tuneforge.templates.spec import stop_token_ids
from tuneforge.training.prepare import PreparedData, prepare_data
from tuneforge.training.setup import (build_optimizer, check_machine, main_process_first, training_arguments,
                                      use_gpu, uses_gradient_checkpointing, world_size)

log = get_logger()


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


def _prepare(cfg: RunConfig) -> tuple[PreparedData, bool, Path | None]:
    """(encoded data, on_gpu, checkpoint to resume from): every data error before output_dir is touched.

    One process encodes before torch is imported (use_gpu imports it): the encoding workers fork from this
    process, and each would otherwise carry torch and the trainer libraries (~400 MB apiece). The machine's
    checks that need no torch come first; those that need to know the GPU (fp16, Liger) follow the
    encoding, and a config they refuse reruns from the cached encoding. Under torchrun the process group
    comes first, and the main process encodes while the others wait."""
    if world_size() <= 1:
        check_machine(cfg)
        prepared = prepare_data(cfg)
        on_gpu = use_gpu(cfg)
        return prepared, on_gpu, _start_output(cfg)
    on_gpu = use_gpu(cfg)
    with main_process_first(cfg, on_gpu):
        return prepare_data(cfg), on_gpu, _start_output(cfg)


def _start_output(cfg: RunConfig) -> Path | None:
    from tuneforge.training.stages.common import start_output  # imports the trainer libraries: after encoding

    return start_output(cfg)[1]


def run(cfg: RunConfig) -> RunDir:
    prepared, on_gpu, resume = _prepare(cfg)  # first: before the trainer libraries are imported (see there)
    from transformers import Trainer

    from tuneforge.training.callbacks import JsonlLogCallback
    from tuneforge.training.checkpointing import with_atomic_checkpoints
    from tuneforge.training.fast_path import flat_attention, step_parts
    from tuneforge.training.stages.common import finish_trainer_run, load_policy, write_run
    warn_if_too_big(cfg, on_gpu)
    out = Path(cfg.train.output_dir)
    tokenizer, template = prepared.tokenizer, prepared.template  # the template is its chat_template already
    model = load_policy(cfg, tokenizer, prepared.added_tokens, on_gpu,
                        gradient_checkpointing=uses_gradient_checkpointing(cfg, on_gpu))
    model.generation_config.eos_token_id = stop_token_ids(tokenizer, template)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    args = training_arguments(cfg, on_gpu, has_eval=prepared.eval is not None, model=model)
    trainer_cls = with_atomic_checkpoints(Trainer)
    if cfg.train.compute_accuracy:
        from tuneforge.training.accuracy import with_token_accuracy

        trainer_cls = with_token_accuracy(trainer_cls)
    step = step_parts(cfg, tokenizer.pad_token_id, model, prepared.media)
    loss_func, callbacks = step.compute_loss_func, [JsonlLogCallback(out, resuming=resume is not None)]
    if cfg.model.moe_aux_loss_coef:
        from tuneforge.training.moe_aux import AuxLoss, AuxLossLogCallback

        loss_func = AuxLoss(loss_func, model, cfg.model.moe_aux_loss_coef)
        callbacks.insert(0, AuxLossLogCallback(loss_func))  # before the JSONL writer reads the log line
    trainer = trainer_cls(model=model, args=args, train_dataset=prepared.train, eval_dataset=prepared.eval,
                          data_collator=step.collator, compute_loss_func=loss_func,
                          # a vision-language model's processor is saved with the run (chat, serve, export)
                          processing_class=prepared.media.processor if prepared.media else tokenizer,
                          optimizers=build_optimizer(cfg, model), callbacks=callbacks)
    stats = prepared.train_stats.__dict__ if prepared.train_stats else None
    sequences = None if cfg.data.streaming else len(prepared.train)  # a stream's length is not known
    write_run(trainer, cfg, out, stats["examples"] if stats else sequences, train_sequences=sequences,
              train_stats=stats)
    convert_pissa = None
    if cfg.finetune.pissa_init and cfg.finetune.pissa_convert:
        if resume is None and trainer.is_world_process_zero():
            model.save_pretrained(out / "pissa_init")

        def convert_pissa() -> None:
            model.save_pretrained(out / "pissa_converted",
                                  path_initial_model_for_weight_conversion=str(out / "pissa_init"))
    with flat_attention(cfg, model):
        return finish_trainer_run(trainer, cfg, out, resume, (), prepared.eval is not None,
                                  after_save=convert_pissa)
