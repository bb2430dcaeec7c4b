"""`tuneforge preview-data`: the first examples exactly as training encodes them, with the trained tokens
highlighted, and statistics over the whole dataset (lengths, truncation, trained tokens)."""
from __future__ import annotations

from tuneforge.config.run import RunConfig
from tuneforge.config.stages import STAGE_NEEDS
from tuneforge.core.errors import UserError
from tuneforge.encode.batch import encode_examples
from tuneforge.encode.options import IGNORE_INDEX
from tuneforge.training.prepare import first_examples, prepare_data, reads_tokenized_path

_ON, _OFF = "\x1b[1;32m", "\x1b[0m"
_OPEN, _CLOSE = "⟦", "⟧"


def highlight(tokenizer, input_ids: list[int], labels: list[int], color: bool) -> str:
    """The decoded example with trained spans in green (terminal) or between ⟦ ⟧ (plain text)."""
    pieces, current, trained = [], [], None
    for tok, label in zip(input_ids, labels):
        is_trained = label != IGNORE_INDEX
        if trained is not None and is_trained != trained:
            pieces.append((trained, tokenizer.decode(current)))
            current = []
        current.append(tok)
        trained = is_trained
    if current:
        pieces.append((trained, tokenizer.decode(current)))
    on, off = (_ON, _OFF) if color else (_OPEN, _CLOSE)
    return "".join(f"{on}{text}{off}" if is_trained else text for is_trained, text in pieces)


def _example_lines(tokenizer, title: str, input_ids: list[int], labels: list[int], color: bool) -> list[str]:
    trained = sum(t != IGNORE_INDEX for t in labels)
    return [f"── {title} · {len(input_ids)} tokens · {trained} trained ──",
            highlight(tokenizer, input_ids, labels, color), ""]


def preview(cfg: RunConfig, n: int, color: bool = False) -> str:
    """The first `n` examples and the dataset's statistics, through training's own step, `prepare_data` (every
    check and refusal, template tokens added when resize_vocab allows, the same cache); or, when training
    would read tokenized_path, its first sequences."""
    # The stages that can read tokenized_path are exactly those whose data `prepare_data` encodes.
    if not cfg.finetune.needs().tokenized_path:
        shown = "/".join(need.name for need in STAGE_NEEDS.values() if need.tokenized_path)
        raise UserError(f"preview-data shows the data of stages {shown}; stage {cfg.finetune.stage}'s examples "
                        f"are tokenized by its trainer", field="stage")
    lines = []
    prepared = prepare_data(cfg)
    if reads_tokenized_path(cfg):
        for i in range(min(n, len(prepared.train))):
            feature = prepared.train[i]
            lines += _example_lines(prepared.tokenizer, f"{cfg.data.tokenized_path} sequence {i}",
                                    feature["input_ids"], feature["labels"], color)
    else:
        examples = first_examples(cfg, n)
        for example, encoded in zip(examples, encode_examples(examples, prepared.tokenizer, prepared.template,
                                                              prepared.options)):
            title = f"{example.source}{' · TRUNCATED' if encoded.truncated else ''}"
            lines += _example_lines(prepared.tokenizer, title, encoded.input_ids, encoded.labels, color)
    legend = "green" if color else f"{_OPEN}…{_CLOSE}"
    template = prepared.template
    lines.append(f"template: {template.name if template else 'tokenizer chat_template'}; trained tokens in "
                 f"{legend}; cutoff_len {prepared.options.cutoff_len}")
    if prepared.added_tokens:
        lines.append(f"added tokens (resize_vocab): {', '.join(prepared.added_tokens)}")
    if prepared.train_stats is not None:
        lines.append(f"dataset: {prepared.train_stats.summary()}")
    else:
        lines.append(f"dataset: {len(prepared.train)} encoded sequences read from {cfg.data.tokenized_path}")
    return "\n".join(lines)
