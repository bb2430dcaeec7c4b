"""Everything before the model loads: template, data, tokenizer, encoding. `load_inputs` is the step every
stage that trains on examples and `tuneforge preview-data` go through (so the preview shows exactly what
training sees, and refuses what training refuses); `prepare_data` gives pt/sft their encoded features, from
the encoded-data cache when the same inputs were encoded before (then no data file is even read). All user
errors surface here, before any heavy work."""
from __future__ import annotations

import dataclasses
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.data.example import Example
from tuneforge.data.identity import data_identity
from tuneforge.data.load import Specs, load_data, load_raw, per_dataset, resolve_specs
from tuneforge.encode.cache import Encoded, EncodedCache, default_cache_root, encoding_key, eval_folder
from tuneforge.encode.dataset import EncodeStats, encode_dataset
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.storage import load_encoded, save_encoded
from tuneforge.encode.media import MediaEncoder, media_encoder
from tuneforge.model.load import check_model_path, load_tokenizer
from tuneforge.model.vision import media_tokens, run_processor
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec

log = get_logger()


@dataclass(frozen=True)
class Inputs:
    """A stage's checked inputs: the tokenizer (template tokens added, the template saved into it), the
    template, the encoding options and the raw examples."""
    tokenizer: object
    template: TemplateSpec | None
    options: EncodeOptions
    train: list[Example]
    eval: list[Example] | None
    added_tokens: tuple[str, ...]


@dataclass(frozen=True)
class PreparedData:
    tokenizer: object
    template: TemplateSpec | None
    options: EncodeOptions
    train: object  # a memory-mapped datasets.Dataset of input_ids/labels (position_ids when neat-packed)
    eval: object | None  # a Dataset, or a dict of them by dataset name (eval_on_each_dataset)
    train_stats: EncodeStats | None
    added_tokens: tuple[str, ...]
    media: MediaEncoder | None = None  # a vision-language model's processor, for encoding and batching


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


def _check_paths(cfg: RunConfig) -> None:
    check_model_path(cfg.model.model_name_or_path)
    for path in cfg.model.adapter_paths():
        check_model_path(path, field="adapter_name_or_path")


def _tokenizer_for(cfg: RunConfig, template: TemplateSpec | None) -> tuple[object, tuple[str, ...]]:
    """(tokenizer, tokens added to it): the template's missing tokens added when resize_vocab allows, and the
    template saved as its chat_template (TRL's trainers, and chat/export/serve reading the run, render through
    it; it renders the same text as the marked-up jinja that encoding uses)."""
    tokenizer = load_tokenizer(cfg.model)
    added: tuple[str, ...] = ()
    if template is not None:
        added = missing_template_tokens(tokenizer, template, cfg)
        if added:
            # Our own tokenizer instance: adding tokens here is the documented resize_vocab behaviour.
            tokenizer.add_tokens(list(added), special_tokens=True)
            log.info("added special tokens %s (embeddings will be resized)", ", ".join(added))
        tokenizer.chat_template = template.export_chat_template()
    elif cfg.finetune.needs().uses_template and not tokenizer.chat_template:
        raise UserError("no template given and the tokenizer has no chat_template; set `template:`",
                        field="template")
    return tokenizer, added


def media_for(cfg: RunConfig, tokenizer, options: EncodeOptions) -> MediaEncoder | None:
    """A vision-language model's processor around the run's own tokenizer (the template's tokens and
    chat_template, so the processor renders and saves what training renders); None for a text model."""
    tokens = media_tokens(cfg.model.model_name_or_path)
    if tokens is None:
        return None
    if cfg.data.streaming:
        raise UserError("streaming a vision-language model's data is not supported yet; set streaming: false",
                        field="streaming")
    processor = run_processor(cfg.model, tokenizer, own_template=stage_template(cfg) is None)
    return media_encoder(processor, tokens, options.media)


def load_inputs(cfg: RunConfig) -> Inputs:
    """Every stage's first step (and preview-data's): paths, template, data and tokenizer, every user error
    raised before anything heavy."""
    stage = cfg.finetune.needs()
    _check_paths(cfg)
    template = stage_template(cfg)
    splits = load_data(cfg.data, stage=stage, seed=cfg.train.seed)
    tokenizer, added = _tokenizer_for(cfg, template)
    return Inputs(tokenizer, template, EncodeOptions.from_config(cfg.data, stage), splits.train, splits.eval,
                  added)


def cache_for(cfg: RunConfig) -> EncodedCache:
    return EncodedCache(Path(cfg.model.cache_dir) / "tuneforge_encoded" if cfg.model.cache_dir
                        else default_cache_root())


def _encode(cfg: RunConfig, specs: Specs, tokenizer, template: TemplateSpec | None, options: EncodeOptions,
            cache: EncodedCache, key: str, media: MediaEncoder | None = None) -> Encoded:
    """Read the raw rows into a scratch folder, encode them into a new cache entry, commit it under `key`."""
    stage = cfg.finetune.needs()
    work, entry = cache.work_folder(), cache.new_entry()
    try:
        raw = load_raw(cfg.data, stage=stage, seed=cfg.train.seed, folder=work / "raw", specs=specs)

        def encode(data, name: str):
            return encode_dataset(data, tokenizer, template, options, folder=entry / name,
                                  workers=worker_count(cfg.data.preprocessing_num_workers),
                                  batch_size=cfg.data.preprocessing_batch_size, media=media)

        train, stats = encode(raw.train, "train")
        all_stats = {"train": dataclasses.asdict(stats), "eval": None}
        evaluation = None
        if raw.eval is not None and cfg.data.eval_on_each_dataset:
            parts = {name: encode(part, eval_folder(i)) for i, (name, part) in enumerate(per_dataset(raw.eval).items())}
            evaluation = {name: features for name, (features, _) in parts.items()}
            all_stats["eval_by_dataset"] = {name: dataclasses.asdict(s) for name, (_, s) in parts.items()}
        elif raw.eval is not None:
            evaluation, eval_stats = encode(raw.eval, "eval")
            all_stats["eval"] = dataclasses.asdict(eval_stats)
        return cache.commit(key, entry, train, evaluation, all_stats)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(entry, ignore_errors=True)  # only still there when encoding failed


def encode_cached(cfg: RunConfig, specs: Specs, tokenizer, template: TemplateSpec | None,
                  options: EncodeOptions, media: MediaEncoder | None = None) -> Encoded:
    """The pt/sft features of the run's data: from the cache when these inputs were encoded before (one log
    line says so), else encoded now and cached. One process encodes; others asking for the same key wait."""
    stage = cfg.finetune.needs()
    cache = cache_for(cfg)
    key = encoding_key(data_identity(cfg.data, *specs, stage, cfg.train.seed), tokenizer, template, options)
    with cache.lock(key):
        hit = None if cfg.data.overwrite_cache else cache.load(key)
        if hit is not None:
            log.info("data: reusing the encoding cached in %s (%d train sequences); nothing re-encoded",
                     hit.folder, len(hit.train))
            return hit
        return _encode(cfg, specs, tokenizer, template, options, cache, key, media)


def _streamed(cfg: RunConfig, specs: Specs, tokenizer, template: TemplateSpec | None, options: EncodeOptions,
              added: tuple[str, ...]) -> PreparedData:
    """streaming: every row checked first (a bad row stops the run here, by file:row), then a train stream
    encoded as the Trainer reads it; the eval rows (val_size of them, or eval_dataset) encoded now."""
    from datasets import Dataset

    from tuneforge.data.stream import check_streamable, load_streams, validate_streams
    from tuneforge.encode.stream import encode_stream

    stage = cfg.finetune.needs()
    check_streamable(specs)
    checked = validate_streams(cfg.data, specs, stage=stage, workers=worker_count(cfg.data.preprocessing_num_workers))
    streams = load_streams(cfg.data, specs, stage=stage, seed=cfg.train.seed, buffer_size=cfg.data.buffer_size)
    batch = cfg.data.preprocessing_batch_size
    train = encode_stream(streams.train, tokenizer, template, options, batch)
    evaluation = None
    if streams.eval is not None:
        rows = list(encode_stream(streams.eval, tokenizer, template, options, batch))
        evaluation = Dataset.from_list(rows) if rows else None
    log.info("streaming: %d rows checked; the training stream is encoded as it is read (shuffle buffer %d rows)",
             checked, cfg.data.buffer_size)
    return PreparedData(tokenizer, template, options, train, evaluation, None, added)


def first_examples(cfg: RunConfig, n: int) -> list[Example]:
    """The first `n` training examples, in training's order (previews)."""
    return load_data(cfg.data, stage=cfg.finetune.needs(), seed=cfg.train.seed, limit=n).train


def reads_tokenized_path(cfg: RunConfig) -> bool:
    """Whether training reads the encoded copy in tokenized_path instead of the datasets."""
    return bool(cfg.data.tokenized_path) and Path(cfg.data.tokenized_path).exists()


def _from_tokenized_path(cfg: RunConfig) -> PreparedData:
    _check_paths(cfg)
    template = stage_template(cfg)
    train, evaluation = load_encoded(cfg.data.tokenized_path)
    log.info("loaded %d encoded sequences from %s (dataset keys are ignored)", len(train), cfg.data.tokenized_path)
    # The same tokenizer as the run that encoded it: tokens it added get the same ids again.
    tokenizer, added = _tokenizer_for(cfg, template)
    options = EncodeOptions.from_config(cfg.data, cfg.finetune.needs())
    return PreparedData(tokenizer, template, options, train, evaluation, None, added,
                        media_for(cfg, tokenizer, options))


def prepare_data(cfg: RunConfig) -> PreparedData:
    """The encoded training data of a pt/sft run: from tokenized_path when it exists, else `load_inputs`
    encoded (and saved to tokenized_path on its first run, `training.encode_only`)."""
    if reads_tokenized_path(cfg):
        return _from_tokenized_path(cfg)
    stage = cfg.finetune.needs()
    _check_paths(cfg)
    template = stage_template(cfg)
    specs = resolve_specs(cfg.data, stage)  # unknown datasets, dataset/stage mismatches before the tokenizer loads
    tokenizer, added = _tokenizer_for(cfg, template)
    options = EncodeOptions.from_config(cfg.data, stage)
    media = media_for(cfg, tokenizer, options)
    if cfg.data.streaming:
        return _streamed(cfg, specs, tokenizer, template, options, added)
    encoded = encode_cached(cfg, specs, tokenizer, template, options, media)
    stats = EncodeStats(**encoded.stats["train"])
    log.info("train data: %s", stats.summary())
    if encoded.stats.get("eval"):
        log.info("eval data: %s", EncodeStats(**encoded.stats["eval"]).summary())
    for name, eval_stats in (encoded.stats.get("eval_by_dataset") or {}).items():
        log.info("eval data %s: %s", name, EncodeStats(**eval_stats).summary())
    if cfg.data.tokenized_path:
        save_encoded(cfg.data.tokenized_path, encoded.train, encoded.eval)
    return PreparedData(tokenizer, template, options, encoded.train, encoded.eval, stats, added, media)
