"""`tuneforge preview-data`: the first examples exactly as training encodes them, with the trained tokens
highlighted, and statistics over the whole dataset (lengths, truncation, trained tokens)."""
from __future__ import annotations

from tuneforge.config.run import RunConfig
from tuneforge.encode.dataset import encode_dataset, encode_one
from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
from tuneforge.training.prepare import load_inputs, worker_count

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


def preview(cfg: RunConfig, n: int, color: bool = False) -> str:
    tokenizer, template, splits = load_inputs(cfg)
    options = EncodeOptions.from_config(cfg.data, cfg.finetune.needs())
    lines = []
    for example in splits.train[:n]:
        encoded = encode_one(example, tokenizer, template, options)
        trained = sum(t != IGNORE_INDEX for t in encoded.labels)
        lines.append(f"── {example.source} · {len(encoded.input_ids)} tokens · {trained} trained"
                     f"{' · TRUNCATED' if encoded.truncated else ''} ──")
        lines.append(highlight(tokenizer, encoded.input_ids, encoded.labels, color))
        lines.append("")
    _, stats = encode_dataset(splits.train, tokenizer, template, options,
                              workers=worker_count(cfg.data.preprocessing_num_workers))
    legend = "green" if color else f"{_OPEN}…{_CLOSE}"
    lines.append(f"template: {template.name if template else 'tokenizer chat_template'}; trained tokens in "
                 f"{legend}; cutoff_len {options.cutoff_len}")
    lines.append(f"dataset: {stats.summary()}")
    return "\n".join(lines)
