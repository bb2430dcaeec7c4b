"""Datasets → canonical examples for one training stage: check that each dataset suits the stage, read its
rows, sample them (num_samples, max_samples), validate every row through its format, and shape the result as
the kind of example the stage trains on (`StageNeeds.kind`: text → Text, conversation → Conversation, pair →
PreferencePair, kto → KTOExample). Only the kind decides; the stage's name appears in messages.
"""
from __future__ import annotations

import random
from collections.abc import Callable

from tuneforge.config.data import DataConfig
from tuneforge.config.stages import ExampleKind, StageNeeds, stages_taking
from tuneforge.core.errors import UserError
from tuneforge.core.registry import Registry
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import (
    Conversation,
    Example,
    KTOExample,
    Origin,
    PreferencePair,
    Text,
)
from tuneforge.data.formats import FORMATS, Parsed
from tuneforge.data.readers import RawRow, read_spec


def _text(parsed: Parsed, source: Origin) -> Text:
    # LLaMA-Factory pre-trains on the first prompt message only (its `_prompt[0]`), never on the answer.
    if parsed.text is not None:
        return Text(text=parsed.text, source=source)
    first = next(m for m in parsed.messages if m["role"] != "system")
    return Text(text=first["content"], source=source)


def _conversation(parsed: Parsed, source: Origin) -> Conversation:
    return Conversation(messages=parsed.messages, tools=parsed.tools, source=source)


def _pair(parsed: Parsed, source: Origin) -> PreferencePair:
    assert parsed.chosen is not None and parsed.rejected is not None  # guaranteed by the format converters
    return PreferencePair(prompt=parsed.messages, chosen=parsed.chosen, rejected=parsed.rejected,
                          tools=parsed.tools, source=source)


def _kto(parsed: Parsed, source: Origin) -> KTOExample:
    assert parsed.label is not None
    return KTOExample(messages=parsed.messages, label=parsed.label, tools=parsed.tools, source=source)


BUILDERS: Registry[Callable[[Parsed, Origin], Example]] = Registry("example kind", {
    ExampleKind.TEXT: _text, ExampleKind.CONVERSATION: _conversation, ExampleKind.PAIR: _pair,
    ExampleKind.KTO: _kto,
})
MEDIA_COLUMNS = ("images", "videos", "audios")
# Which column keys each formatting reads; dataset_info.json may name others, LLaMA-Factory ignores them.
READ_COLUMNS = {
    "alpaca": ("prompt", "query", "response", "history", "system", "tools", "chosen", "rejected", "kto_tag"),
    "sharegpt": ("messages", "system", "tools", "chosen", "rejected", "kto_tag"),
    "openai": ("messages", "system", "tools", "chosen", "rejected", "kto_tag"),
    "text": ("prompt",),
}
REQUIRED_COLUMNS = {"alpaca": ("prompt",), "sharegpt": ("messages",), "openai": ("messages",), "text": ("prompt",)}


def check_stage(spec: DatasetSpec, stage: StageNeeds) -> None:
    """Reject a dataset that cannot feed this stage, before reading any data."""
    kind = stage.kind

    def fail(message: str, key: str | None = None) -> UserError:
        return UserError(message, file=spec.info_file, field=f"{spec.name}.{key}" if key else spec.name)

    media = [k for k in MEDIA_COLUMNS if getattr(spec.columns, k)]
    if media:
        raise fail(f"{media[0]} are not supported yet (tuneforge trains on text only)", f"columns.{media[0]}")
    if spec.ranking and kind is not ExampleKind.PAIR:
        raise fail(f"dataset '{spec.name}' is a ranking dataset (chosen/rejected); stage {stage.name} cannot use "
                   f"it, only stages {'/'.join(stages_taking(ExampleKind.PAIR))}")
    if not spec.ranking and kind is ExampleKind.PAIR:
        raise fail(f"stage {stage.name} needs a ranking dataset (\"ranking\": true with chosen/rejected columns); "
                   f"dataset '{spec.name}' is not one")
    if spec.ranking and not (spec.columns.chosen and spec.columns.rejected):
        raise fail("a ranking dataset needs columns.chosen and columns.rejected", "columns")
    if kind is ExampleKind.KTO and not spec.columns.kto_tag:
        raise fail(f"stage {stage.name} needs a kto_tag column (true/false per row); dataset '{spec.name}' names "
                   f"none", "columns.kto_tag")
    # Text stages read only the prompt, so a labelled dataset is plain text to them.
    if spec.columns.kto_tag and kind not in (ExampleKind.KTO, ExampleKind.TEXT):
        raise fail(f"dataset '{spec.name}' is a KTO dataset (kto_tag); stage {stage.name} cannot use it, only "
                   f"{'/'.join(stages_taking(ExampleKind.KTO))}")
    if spec.formatting == "text" and kind is not ExampleKind.TEXT:
        raise fail(f"dataset '{spec.name}' is plain text; stage {stage.name} needs conversations, only "
                   f"{'/'.join(stages_taking(ExampleKind.TEXT))} can use it")


def check_columns(spec: DatasetSpec, rows: list[RawRow], kind: ExampleKind) -> None:
    """Every column the entry names must exist in the data: a typo in dataset_info.json fails here, on the
    first row, instead of as 'missing' on every row."""
    keys = (set(spec.explicit_columns) | set(REQUIRED_COLUMNS[spec.formatting])) & set(READ_COLUMNS[spec.formatting])
    if kind is ExampleKind.TEXT:
        keys -= {"response", "chosen", "rejected", "kto_tag"}
    elif spec.formatting == "alpaca" and not spec.ranking:
        keys.add("response")
    if kind is not ExampleKind.KTO:
        keys.discard("kto_tag")
    present = {key for row in rows for key in row.data}
    first = rows[0]
    for key in sorted(keys):
        column = getattr(spec.columns, key)
        if column and column not in present:
            named = "named by" if key in spec.explicit_columns else "the default for"
            raise UserError(f"column not found in the data ({named} columns.{key} in dataset_info.json); "
                            f"the rows have: "
                            f"{', '.join(sorted(map(str, present)))}", file=first.file, row=first.row, field=column)


def sample_rows(rows: list[RawRow], spec: DatasetSpec, max_samples: int | None, seed: int) -> list[RawRow]:
    """num_samples (a seeded random subset, repeating rows when it exceeds the data, as LLaMA-Factory does),
    then max_samples (the first N)."""
    if spec.num_samples is not None:
        rng = random.Random(seed)
        picked = rng.sample(range(len(rows)), min(spec.num_samples, len(rows)))
        picked += [rng.randrange(len(rows)) for _ in range(spec.num_samples - len(picked))]
        rows = [rows[i] for i in picked]
    return rows[:max_samples] if max_samples is not None else rows


def convert_rows(spec: DatasetSpec, rows: list[RawRow], kind: ExampleKind) -> list[Example]:
    """Validate and convert rows; the first bad row raises a UserError naming file, row and field."""
    convert = FORMATS.get_or_raise(spec.formatting, field=f"{spec.name}.formatting", file=spec.info_file)
    build = BUILDERS[kind]
    return [build(convert(raw, spec, kind), Origin(str(raw.file), raw.row)) for raw in rows]


def load_dataset_examples(spec: DatasetSpec, cfg: DataConfig, *, stage: StageNeeds, seed: int) -> list[Example]:
    """One dataset → validated examples of the kind `stage` trains on."""
    check_stage(spec, stage)
    rows = read_spec(spec)
    check_columns(spec, rows, stage.kind)
    return convert_rows(spec, sample_rows(rows, spec, cfg.max_samples, seed), stage.kind)


def load_each(specs: list[DatasetSpec], cfg: DataConfig, *, stage: StageNeeds, seed: int) -> list[list[Example]]:
    """Examples per dataset, in order (for mixing). Every dataset is checked against the stage first, so a
    wrong dataset fails before any file is read."""
    for spec in specs:
        check_stage(spec, stage)
    return [load_dataset_examples(spec, cfg, stage=stage, seed=seed) for spec in specs]


def load_examples(specs: list[DatasetSpec], cfg: DataConfig, *, stage: StageNeeds, seed: int) -> list[Example]:
    """All datasets' examples for `stage`, concatenated in order."""
    return [example for examples in load_each(specs, cfg, stage=stage, seed=seed) for example in examples]
