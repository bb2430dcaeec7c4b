"""Everything before the model loads: template, data, tokenizer, encoding. Shared by training and
`tuneforge preview-data`, so the preview shows exactly what training will see. All user errors surface here,
before any heavy work."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.data.load import DataSplits, load_data
from tuneforge.encode.dataset import EncodeStats, default_cache_root, encode_dataset
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.storage import load_encoded, save_encoded
from tuneforge.model.load import check_model_path, load_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec

log = get_logger()


@dataclass(frozen=True)
class PreparedData:
    tokenizer: object
    template: TemplateSpec | None
    options: EncodeOptions
    train: list[dict]
    eval: list[dict] | None
    train_stats: EncodeStats | None
    added_tokens: tuple[str, ...]


def missing_template_tokens(tokenizer, template: TemplateSpec, cfg: RunConfig) -> tuple[str, ...]:
    """Special tokens the template needs but the tokenizer lacks; added only when resize_vocab allows it."""
    vocab = tokenizer.get_vocab()
    wanted = list(template.stop_words[:1])
    if cfg.model.resize_vocab:
        wanted += list(template.special_tokens)
    extra = [t.strip() for t in (cfg.model.new_special_tokens or "").split(",") if t.strip()]
    missing = tuple(dict.fromkeys(t for t in wanted + extra if t not in vocab))
    needs_resize = [t for t in missing if t not in extra]
    if needs_resize and not cfg.model.resize_vocab:
        raise UserError(f"the tokenizer has no token {', '.join(needs_resize)} that template "
                        f"'{template.name}' ends turns with; pick the model's own template, or set "
                        f"resize_vocab: true to add it", field="template")
    return missing


def worker_count(requested: int | None) -> int:
    return max(1, min(requested or 1, os.cpu_count() or 1))


def stage_template(cfg: RunConfig) -> TemplateSpec | None:
    """The template the stage renders through; None for text stages or when the tokenizer's own is used."""
    return get_template(cfg.data.template) if cfg.data.template and cfg.finetune.needs().uses_template else None


def load_inputs(cfg: RunConfig) -> tuple[object, TemplateSpec | None, DataSplits]:
    """(tokenizer, template, raw data splits), every user error raised before anything heavy."""
    stage = cfg.finetune.needs()
    check_model_path(cfg.model.model_name_or_path)
    for path in cfg.model.adapter_paths():
        check_model_path(path, field="adapter_name_or_path")
    template = stage_template(cfg)
    splits = load_data(cfg.data, stage=stage, seed=cfg.train.seed)
    return load_tokenizer(cfg.model), template, splits


def _from_tokenized_path(cfg: RunConfig) -> PreparedData:
    check_model_path(cfg.model.model_name_or_path)
    train, evaluation = load_encoded(cfg.data.tokenized_path)
    log.info("loaded %d encoded sequences from %s (dataset keys are ignored)", len(train), cfg.data.tokenized_path)
    return PreparedData(load_tokenizer(cfg.model), stage_template(cfg),
                        EncodeOptions.from_config(cfg.data, cfg.finetune.needs()), train, evaluation, None, ())


def prepare_data(cfg: RunConfig) -> PreparedData:
    stage = cfg.finetune.needs()
    if cfg.data.tokenized_path and Path(cfg.data.tokenized_path).exists():
        return _from_tokenized_path(cfg)
    tokenizer, template, splits = load_inputs(cfg)
    added: tuple[str, ...] = ()
    if template is not None:
        added = missing_template_tokens(tokenizer, template, cfg)
        if added:
            # Our own tokenizer instance: adding tokens here is the documented resize_vocab behaviour.
            tokenizer.add_tokens(list(added), special_tokens=True)
            log.info("added special tokens %s (embeddings will be resized)", ", ".join(added))
    elif stage.uses_template and not tokenizer.chat_template:
        raise UserError("no template given and the tokenizer has no chat_template; set `template:`",
                        field="template")
    options = EncodeOptions.from_config(cfg.data, stage)
    cache_root = Path(cfg.model.cache_dir) / "tuneforge_encoded" if cfg.model.cache_dir else default_cache_root()
    workers = worker_count(cfg.data.preprocessing_num_workers)
    train, stats = encode_dataset(splits.train, tokenizer, template, options, workers=workers,
                                  cache_root=cache_root, overwrite_cache=cfg.data.overwrite_cache)
    log.info("train data: %s", stats.summary())
    evaluation = None
    if splits.eval:
        evaluation, eval_stats = encode_dataset(splits.eval, tokenizer, template, options, workers=workers,
                                                cache_root=cache_root, overwrite_cache=cfg.data.overwrite_cache)
        log.info("eval data: %s", eval_stats.summary())
    if cfg.data.tokenized_path:  # the first run of a tokenized_path config (training.encode_only)
        save_encoded(cfg.data.tokenized_path, train, evaluation)
    return PreparedData(tokenizer, template, options, train, evaluation, stats, added)
