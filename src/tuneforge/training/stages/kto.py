"""Stage kto: Kahneman-Tversky optimisation on examples labelled desirable / undesirable (`kto_tag`), with TRL's
KTOTrainer. kto_chosen_weight / kto_rejected_weight weigh the two kinds (to balance unequal counts). Also runs
`pref_loss: kto_pair` of stage dpo: each pair becomes a desirable (chosen) and an undesirable (rejected) example.
With LoRA the reference is the policy with its adapter disabled."""
from __future__ import annotations

import random
from dataclasses import replace

from tuneforge.artifacts.run_dir import RunDir
from tuneforge.config.run import RunConfig
from tuneforge.core.log import get_logger
from tuneforge.data.example import KTOExample, PreferencePair
from tuneforge.encode.kto import encode_kto, trl_kto_row
from tuneforge.training.callbacks import JsonlLogCallback
from tuneforge.training.checkpointing import with_atomic_checkpoints
from tuneforge.training.setup import build_optimizer, use_gpu
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
METRICS = ("rewards/chosen", "rewards/rejected", "rewards/margins", "kl")


def unpair(examples: list) -> list[KTOExample]:
    """Preference pairs → one desirable and one undesirable example each; KTO examples pass through."""
    out: list[KTOExample] = []
    for e in examples:
        if isinstance(e, PreferencePair):
            out += [KTOExample((*e.prompt, e.chosen), True, e.tools, e.source),
                    KTOExample((*e.prompt, e.rejected), False, e.tools, e.source)]
        else:
            out.append(e)
    return out


def _device_batches(cfg: RunConfig) -> tuple[int, int]:
    """The configured batch × accumulation, or (for a batch of one, which TRL's KL estimate cannot use) the same
    examples per update in batches of two; config.rules refused the configurations that cannot be regrouped."""
    batches = cfg.device_batches()
    assert batches is not None
    asked = (cfg.train.per_device_train_batch_size, cfg.train.gradient_accumulation_steps)
    if batches != asked:
        log.info("kto: TRL estimates the KL term from the other answers in a device batch, so %d × %d accumulated "
                 "runs as %d × %d (the same %d examples per update)", *asked, *batches, asked[0] * asked[1])
    return batches


def run(cfg: RunConfig) -> RunDir:
    from datasets import Dataset
    from trl import KTOConfig, KTOTrainer

    inputs = load_stage_inputs(cfg)
    inputs = replace(inputs, train=unpair(inputs.train), eval=unpair(inputs.eval) if inputs.eval else None)
    for examples in (inputs.train, inputs.eval or []):
        encode_located(encode_kto, examples, inputs)  # every user error before the model loads
    rows = [trl_kto_row(e, inputs.options, inputs.tokenizer) for e in inputs.train]
    random.Random(cfg.train.seed).shuffle(rows)
    eval_rows = [trl_kto_row(e, inputs.options, inputs.tokenizer) for e in inputs.eval] if inputs.eval else None
    on_gpu = use_gpu(cfg)
    out, resume = start_output(cfg)
    model = load_policy(cfg, inputs.tokenizer, inputs.added_tokens, on_gpu)
    model, peft_config = reference_by_disabling(model, cfg, inputs.added_tokens)
    pref = cfg.preference
    batch, steps = _device_batches(cfg)
    args = trl_config(KTOConfig, cfg, on_gpu, eval_rows is not None, beta=pref.pref_beta,
                      per_device_train_batch_size=batch, gradient_accumulation_steps=steps,
                      desirable_weight=pref.kto_chosen_weight, undesirable_weight=pref.kto_rejected_weight,
                      max_length=cfg.data.cutoff_len, disable_dropout=True,
                      # TRL pairs each completion with its batch neighbour's for the KL estimate, so the order is
                      # fixed: the rows are shuffled once, with the run's seed, instead of every epoch.
                      train_sampling_strategy="sequential")
    trainer_cls = with_atomic_checkpoints(KTOTrainer)
    trainer = trainer_cls(model=model, args=args, train_dataset=Dataset.from_list(rows),
                          eval_dataset=Dataset.from_list(eval_rows) if eval_rows else None,
                          processing_class=inputs.tokenizer, optimizers=build_optimizer(cfg, model),
                          callbacks=[JsonlLogCallback(out, resuming=resume is not None)], peft_config=peft_config)
    write_run(trainer, cfg, out, len(rows))
    return finish_trainer_run(trainer, cfg, out, resume, METRICS, eval_rows is not None)
