"""Stage dpo: preference optimisation on chosen/rejected pairs with TRL, `pref_loss` picking the variant.

sigmoid (DPO), hinge, ipo → trl.DPOTrainer (its `loss_type` list; pref_ftx adds its "sft" loss, pref_bco_weight
its "bco_pair" loss). orpo → trl.experimental ORPOTrainer; simpo → trl.experimental CPOTrainer (loss simpo);
both are reference-free. kto_pair (removed from TRL's DPO losses) → the kto stage on the pairs, each pair unpaired
into a desirable and an undesirable example, as TRL's KTOTrainer does for paired data.
With LoRA and no ref_model the reference is the policy with its adapter disabled: no second model in memory.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.model import ModelConfig
from tuneforge.config.run import RunConfig
from tuneforge.core.log import get_logger
from tuneforge.encode.pairwise import check_trl_tokens, encode_pair, trl_pair_row
from tuneforge.model.load import check_model_path, load_model
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import with_atomic_checkpoints
from tuneforge.training.setup import build_optimizer, use_gpu
from tuneforge.training.stages import kto
from tuneforge.training.stages.common import (
    encode_located,
    finish_trainer_run,
    load_policy,
    load_stage_inputs,
    reference_by_disabling,
    start_output,
    trl_config,
    write_run,
)

log = get_logger()
METRICS = ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins")


@dataclass(frozen=True)
class LossSpec:
    build: Callable  # (cfg, on_gpu, has_eval) -> (trainer class, trainer config)
    uses_reference: bool
    description: str


def _dpo(loss: str) -> Callable:
    def build(cfg: RunConfig, on_gpu: bool, has_eval: bool):
        from trl import DPOConfig, DPOTrainer

        pref = cfg.preference
        losses, weights = [loss], [1.0]
        if pref.pref_bco_weight > 0:
            losses.append("bco_pair")
            weights.append(pref.pref_bco_weight)
        if pref.pref_ftx > 0:
            losses.append("sft")
            weights.append(pref.pref_ftx)
        args = trl_config(DPOConfig, cfg, on_gpu, has_eval, beta=pref.pref_beta, loss_type=losses,
                          loss_weights=weights, label_smoothing=pref.dpo_label_smoothing, ld_alpha=pref.ld_alpha,
                          max_length=cfg.data.cutoff_len, disable_dropout=True)
        return DPOTrainer, args
    return build


def _orpo(cfg: RunConfig, on_gpu: bool, has_eval: bool):
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    return ORPOTrainer, trl_config(ORPOConfig, cfg, on_gpu, has_eval, beta=cfg.preference.pref_beta,
                                   max_length=cfg.data.cutoff_len, disable_dropout=True)


def _simpo(cfg: RunConfig, on_gpu: bool, has_eval: bool):
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    pref = cfg.preference
    return CPOTrainer, trl_config(CPOConfig, cfg, on_gpu, has_eval, loss_type="simpo", beta=pref.pref_beta,
                                  simpo_gamma=pref.simpo_gamma, cpo_alpha=pref.pref_ftx,
                                  max_length=cfg.data.cutoff_len, disable_dropout=True)


LOSSES: dict[str, LossSpec] = {
    "sigmoid": LossSpec(_dpo("sigmoid"), True, "DPO (Rafailov et al.)"),
    "hinge": LossSpec(_dpo("hinge"), True, "SLiC hinge loss on the DPO log-ratio"),
    "ipo": LossSpec(_dpo("ipo"), True, "IPO squared loss"),
    "orpo": LossSpec(_orpo, False, "ORPO: NLL + odds-ratio term, no reference model"),
    "simpo": LossSpec(_simpo, False, "SimPO: length-normalised margin loss, no reference model"),
}


def _reference_model(cfg: RunConfig, on_gpu: bool):
    """The reference model when it is not the policy's own base: ref_model (+ ref_model_adapters)."""
    pref = cfg.preference
    if not pref.ref_model:
        return None
    check_model_path(pref.ref_model, field="ref_model")
    model = load_model(ModelConfig(model_name_or_path=pref.ref_model), on_gpu=on_gpu, for_training=False)
    for path in [p.strip() for p in (pref.ref_model_adapters or "").split(",") if p.strip()]:
        from peft import PeftModel

        check_model_path(path, field="ref_model_adapters")
        model = PeftModel.from_pretrained(model, path).merge_and_unload()
    return model.eval()


def _check_tokens(trl_rows, inputs, n: int = 4) -> None:
    """TRL tokenised the first rows itself: they must agree with our (untruncated) encoding."""
    whole = replace(inputs.options, cutoff_len=10**9)
    for row, pair in zip(trl_rows.select(range(min(n, len(trl_rows)))), inputs.train):
        check_trl_tokens(row, encode_pair(pair, inputs.tokenizer, inputs.template, whole))


def run(cfg: RunConfig) -> RunDir:
    from datasets import Dataset

    if cfg.trains_kto():  # kto_pair: the pairs unpaired into KTO examples
        return kto.run(cfg)
    spec = LOSSES[cfg.preference.pref_loss]
    inputs = load_stage_inputs(cfg)
    for examples in (inputs.train, inputs.eval or []):
        encode_located(encode_pair, examples, inputs)  # every user error before the model loads
    rows = [trl_pair_row(p, inputs.options, inputs.tokenizer) for p in inputs.train]
    eval_rows = [trl_pair_row(p, inputs.options, inputs.tokenizer) for p in inputs.eval] if inputs.eval else None
    on_gpu = use_gpu(cfg)
    out, resume = start_output(cfg)
    model = load_policy(cfg, inputs.tokenizer, inputs.added_tokens, on_gpu)
    extra = {}
    if spec.uses_reference:
        ref_model = _reference_model(cfg, on_gpu)
        if ref_model is None:
            model, peft_config = reference_by_disabling(model, cfg, inputs.added_tokens)
            extra["peft_config"] = peft_config
        extra["ref_model"] = ref_model
    trainer_cls, args = spec.build(cfg, on_gpu, eval_rows is not None)
    trainer_cls = with_atomic_checkpoints(trainer_cls)
    trainer = trainer_cls(model=model, args=args, train_dataset=Dataset.from_list(rows),
                          eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
                          processing_class=inputs.tokenizer, optimizers=build_optimizer(cfg, model),
                          callbacks=[JsonlLogCallback(out, resuming=resume is not None)], **extra)
    if spec.uses_reference and len(trainer.train_dataset) == len(rows):  # TRL drops rows whose prompt fills
        _check_tokens(trainer.train_dataset, inputs)                       # max_length: then rows shift
    write_run(trainer, cfg, out, len(rows))
    return finish_trainer_run(trainer, cfg, out, resume, METRICS, eval_rows is not None)
