"""Encoding a whole list of examples: in parallel, cached by content, with statistics and the refusals that
protect a run (nothing would be trained; the end-of-turn token would never be learned)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from tuneforge.config.stages import ExampleKind
from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.data.example import Conversation, Example, Text
from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
from tuneforge.encode.packing import pack
from tuneforge.encode.pretrain import encode_text, group_blocks
from tuneforge.encode.supervised import Encoded, encode_conversation
from tuneforge.templates.render import closing_token_ids
from tuneforge.templates.spec import TemplateSpec

log = get_logger()
CACHE_VERSION = "1"


@dataclass(frozen=True)
class EncodeStats:
    examples: int
    dropped_no_labels: int
    truncated: int
    sequences: int
    max_tokens: int
    mean_tokens: float
    label_tokens: int

    def summary(self) -> str:
        return (f"{self.examples} examples → {self.sequences} sequences (mean {self.mean_tokens:.0f}, max "
                f"{self.max_tokens} tokens); {self.label_tokens} trained tokens; {self.truncated} truncated to "
                f"cutoff_len; {self.dropped_no_labels} dropped with nothing to train")


def encode_one(example: Example, tokenizer, template: TemplateSpec | None, options: EncodeOptions) -> Encoded:
    if isinstance(example, Text):
        return encode_text(example, tokenizer, options.cutoff_len, options.packing)
    if isinstance(example, Conversation):
        return encode_conversation(example, tokenizer, template, options)
    raise UserError(f"{type(example).__name__} examples are not encoded as sequences (this encoder takes text "
                    f"and conversations, not {options.kind.value} examples)")


def _encode_located(example: Example, tokenizer, template, options) -> Encoded:
    """encode_one, with any user error re-raised at the example's file and row."""
    try:
        return encode_one(example, tokenizer, template, options)
    except UserError as exc:
        raise example.source.locate(exc) from None


def _encode_chunk(args: tuple) -> list[Encoded]:
    examples, tokenizer, template, options = args
    return [_encode_located(e, tokenizer, template, options) for e in examples]


# Below this many examples, starting worker processes costs more than it saves.
PARALLEL_MIN_EXAMPLES = 1000


# Rows per unit of work: small enough for a live progress bar, large enough that handing chunks to worker
# processes costs little.
CHUNK_ROWS = 2000


def _progress(total: int):
    """A bar with rows/s on stderr, for data sets big enough to take a while (the demo's stay silent)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="encoding", unit=" rows", disable=total < PARALLEL_MIN_EXAMPLES)


def _encode_rows(examples: list[Example], tokenizer, template, options, workers: int) -> list[Encoded]:
    parallel = workers > 1 and len(examples) >= PARALLEL_MIN_EXAMPLES
    size = min(CHUNK_ROWS, -(-len(examples) // (workers * 4))) if parallel else CHUNK_ROWS
    chunks = [(examples[i:i + size], tokenizer, template, options) for i in range(0, len(examples), size)]
    out: list[Encoded] = []
    with _progress(len(examples)) as bar:
        if not parallel:
            for chunk in chunks:
                out += _encode_chunk(chunk)
                bar.update(len(chunk[0]))
            return out
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: workers inherit the loaded libraries instead of importing them again.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for encoded in pool.map(_encode_chunk, chunks):  # in order, as each chunk is done
                out += encoded
                bar.update(len(encoded))
    return out


def _fingerprint(examples: list[Example], tokenizer, template: TemplateSpec | None,
                 options: EncodeOptions) -> str:
    digest = hashlib.sha256()
    backend = getattr(tokenizer, "backend_tokenizer", None)
    parts = [CACHE_VERSION, json.dumps(dataclasses.asdict(options), sort_keys=True),
             backend.to_str() if backend is not None else repr(tokenizer.get_vocab()),
             template.chat_template if template else (tokenizer.chat_template or "")]
    for part in parts:
        digest.update(part.encode("utf-8"))
    for example in examples:
        digest.update(json.dumps(dataclasses.asdict(example), sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()[:24]


def default_cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tuneforge" / "encoded"


def _stop_token_ids(tokenizer, template: TemplateSpec | None) -> set[int]:
    if template is None:  # the tokenizer's own template: any of its special tokens may close a turn
        return closing_token_ids(tokenizer)
    return set(template.stop_token_ids(tokenizer))


def _check_trainable(features: list[dict], tokenizer, template, options: EncodeOptions) -> None:
    if not features:
        raise UserError("no example has a token to train on (all were empty or cut away); check cutoff_len "
                        "and the data", field="dataset")
    if options.kind is ExampleKind.CONVERSATION and not options.train_on_prompt:
        stops = _stop_token_ids(tokenizer, template)
        if stops and not any(tok in stops for f in features for tok in f["labels"] if tok != IGNORE_INDEX):
            names = ", ".join(tokenizer.convert_ids_to_tokens(sorted(stops)))
            raise UserError(f"the end-of-turn token ({names}) is never trained, so the model would not learn "
                            f"to stop; check the template and cutoff_len", field="template")


def encode_dataset(examples: list[Example], tokenizer, template: TemplateSpec | None, options: EncodeOptions,
                   *, workers: int = 1, cache_root: Path | None = None,
                   overwrite_cache: bool = False) -> tuple[list[dict], EncodeStats]:
    """Training features for `examples` (packed/grouped as the options say) and what happened to them."""
    cache_file = None
    if cache_root is not None:
        cache_file = Path(cache_root) / f"{_fingerprint(examples, tokenizer, template, options)}.json"
        if cache_file.is_file() and not overwrite_cache:
            cached = json.loads(cache_file.read_text())
            log.info("using cached encoding %s", cache_file)
            return cached["features"], EncodeStats(**cached["stats"])
    encoded = _encode_rows(examples, tokenizer, template, options, workers)
    kept = [{"input_ids": e.input_ids, "labels": e.labels} for e in encoded
            if any(t != IGNORE_INDEX for t in e.labels)]
    _check_trainable(kept, tokenizer, template, options)
    if options.kind is ExampleKind.TEXT and options.packing:
        features = group_blocks(kept, options.cutoff_len)
    elif options.packing:
        features = pack(kept, options.cutoff_len, neat=options.neat_packing)
    else:
        features = kept
    lengths = [len(f["input_ids"]) for f in features]
    stats = EncodeStats(examples=len(examples), dropped_no_labels=len(encoded) - len(kept),
                        truncated=sum(e.truncated for e in encoded), sequences=len(features),
                        max_tokens=max(lengths), mean_tokens=sum(lengths) / len(lengths),
                        label_tokens=sum(t != IGNORE_INDEX for f in features for t in f["labels"]))
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"features": features, "stats": dataclasses.asdict(stats)}))
        os.replace(tmp, cache_file)
    return features, stats
