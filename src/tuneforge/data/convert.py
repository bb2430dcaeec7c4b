"""Raw rows → canonical examples for one training stage: check that each dataset suits the stage, sample its
rows (num_samples, max_samples), validate every row through its format, and shape the result as the kind of
example the stage trains on (`StageNeeds.kind`: text → Text, conversation → Conversation, pair →
PreferencePair, kto → KTOExample). Only the kind decides; the stage's name appears in messages.

Conversion runs batch by batch (`convert_batch`) over the Arrow table of raw rows, in the encoding map's
worker processes or here (`data.load.examples`); a bad row becomes its error in place, so one pass finds them.
"""
from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tuneforge.config.stages import ExampleKind, StageNeeds, stages_taking
from tuneforge.core.errors import UserError
from tuneforge.core.media import PLACEHOLDERS
from tuneforge.core.registry import Registry
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import (
    Conversation,
    Example,
    KTOExample,
    Origin,
    PreferencePair,
    Prompt,
    Text,
)
from tuneforge.data.formats import FORMATS, Parsed
from tuneforge.data.media import read_media
from tuneforge.data.readers import parse_row


def _text(parsed: Parsed, source: Origin) -> Text:
    # LLaMA-Factory pre-trains on the first prompt message only (its `_prompt[0]`), never on the answer.
    if parsed.text is not None:
        return Text(text=parsed.text, source=source)
    first = next(m for m in parsed.messages if m["role"] != "system")
    return Text(text=first["content"], source=source)


def _conversation(parsed: Parsed, source: Origin) -> Conversation:
    return Conversation(messages=parsed.messages, tools=parsed.tools, source=source, media=parsed.media)


def _pair(parsed: Parsed, source: Origin) -> PreferencePair:
    assert parsed.chosen is not None and parsed.rejected is not None  # guaranteed by the format converters
    return PreferencePair(prompt=parsed.messages, chosen=parsed.chosen, rejected=parsed.rejected,
                          tools=parsed.tools, source=source)


def _kto(parsed: Parsed, source: Origin) -> KTOExample:
    assert parsed.label is not None
    return KTOExample(messages=parsed.messages, label=parsed.label, tools=parsed.tools, source=source)


def _prompt(parsed: Parsed, source: Origin) -> Prompt:
    messages, reference = parsed.messages, parsed.reference
    if messages[-1]["role"] == "assistant":  # the row's own answer: the reference, unless a column names one
        answer, messages = messages[-1], messages[:-1]
        if reference is None:
            calls = answer.get("tool_calls")
            reference = json.dumps([c["function"] for c in calls], ensure_ascii=False) if calls else answer["content"]
    return Prompt(messages=messages, reference=reference, columns=dict(parsed.columns or {}), tools=parsed.tools,
                  source=source)


BUILDERS: Registry[Callable[[Parsed, Origin], Example]] = Registry("example kind", {
    ExampleKind.TEXT: _text, ExampleKind.CONVERSATION: _conversation, ExampleKind.PAIR: _pair,
    ExampleKind.KTO: _kto, ExampleKind.PROMPT: _prompt,
})
MEDIA_COLUMNS = tuple(PLACEHOLDERS)
MEDIA_STAGES = ("sft",)  # the stages whose encoders hand media to the model's processor (ppo's do not yet)
# Which column keys each formatting reads; dataset_info.json may name others, LLaMA-Factory ignores them.
READ_COLUMNS = {
    "alpaca": ("prompt", "query", "response", "history", "system", "tools", "chosen", "rejected", "kto_tag",
               "answer", *PLACEHOLDERS),
    "sharegpt": ("messages", "system", "tools", "chosen", "rejected", "kto_tag", "answer", *PLACEHOLDERS),
    "openai": ("messages", "system", "tools", "chosen", "rejected", "kto_tag", "answer", *PLACEHOLDERS),
    "text": ("prompt",),
}
REQUIRED_COLUMNS = {"alpaca": ("prompt",), "sharegpt": ("messages",), "openai": ("messages",), "text": ("prompt",)}


def prompt_columns(raw, spec: DatasetSpec) -> dict:
    """A prompt row's reference answer (its `answer` column, when dataset_info names one) and the columns the
    format does not read, by name, for reward functions."""
    used = {getattr(spec.columns, key) for key in READ_COLUMNS[spec.formatting]}
    columns = {name: value for name, value in raw.data.items() if name not in used}
    reference = None
    if spec.columns.answer:
        value = raw.data.get(spec.columns.answer)
        if value is None or isinstance(value, (dict, list)):
            raise UserError("expected the reference answer as text or a number" if value is not None else
                            "missing", file=raw.file, row=raw.row, field=spec.columns.answer)
        reference = str(value)
    return {"reference": reference, "columns": columns}


def check_stage(spec: DatasetSpec, stage: StageNeeds) -> None:
    """Reject a dataset that cannot feed this stage, before reading any data."""
    kind = stage.kind

    def fail(message: str, key: str | None = None) -> UserError:
        return UserError(message, file=spec.info_file, field=f"{spec.name}.{key}" if key else spec.name)

    media = [k for k in MEDIA_COLUMNS if getattr(spec.columns, k)]
    if media and stage.name not in MEDIA_STAGES:
        raise fail(f"dataset '{spec.name}' has {media[0]}; stage {stage.name} trains on text only (multimodal "
                   f"rows train with stage {'/'.join(MEDIA_STAGES)})", f"columns.{media[0]}")
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


def checked_columns(spec: DatasetSpec, kind: ExampleKind) -> tuple[str, ...]:
    """The column keys (`Columns` attributes) whose data columns must exist: every key the entry names, and
    the ones its format requires, among those the format reads for this kind of example."""
    keys = (set(spec.explicit_columns) | set(REQUIRED_COLUMNS[spec.formatting])) & set(READ_COLUMNS[spec.formatting])
    if kind is ExampleKind.TEXT:
        keys -= {"response", "chosen", "rejected", "kto_tag"}
    elif spec.formatting == "alpaca" and not spec.ranking and kind is not ExampleKind.PROMPT:
        keys.add("response")
    if kind is not ExampleKind.KTO:
        keys.discard("kto_tag")
    if kind is not ExampleKind.PROMPT:
        keys.discard("answer")
    return tuple(sorted(k for k in keys if getattr(spec.columns, k)))


def column_bits(data: dict, spec: DatasetSpec, keys: tuple[str, ...]) -> int:
    """Which of `keys`' columns a row has, as bits (ORed over all rows, then checked: `check_columns`)."""
    return sum(1 << i for i, key in enumerate(keys) if getattr(spec.columns, key) in data)


def check_columns(spec: DatasetSpec, kind: ExampleKind, seen: int, rows) -> None:
    """Every column the entry names must exist in the data: a typo in dataset_info.json fails here, naming
    the first row, instead of as 'missing' on every row. `seen`: the ORed `column_bits` of the rows that were
    converted (max_samples may have left some out); `rows`: all of the dataset's raw rows, read again only
    when a column was not seen, to tell a typo from a column only later rows have."""
    keys = checked_columns(spec, kind)
    missing = [key for i, key in enumerate(keys) if not seen >> i & 1]
    if not missing:
        return
    present: set[str] = set()
    first = None
    for batch in rows.iter(batch_size=1000):
        for file, row, text in zip(batch["_file"], batch["_row"], batch["_raw"]):
            try:
                raw = parse_row(file, row, text)
            except UserError:
                continue
            first = first or raw
            present |= set(map(str, raw.data))
    missing = [key for key in missing if getattr(spec.columns, key) not in present]
    if not missing:
        return
    key = missing[0]
    named = "named by" if key in spec.explicit_columns else "the default for"
    raise UserError(f"column not found in the data ({named} columns.{key} in dataset_info.json); the rows have: "
                    f"{', '.join(sorted(present))}", file=first.file if first else spec.path,
                    row=first.row if first else None, field=getattr(spec.columns, key))


def sample_rows(rows, spec: DatasetSpec, max_samples: int | None, seed: int):
    """num_samples (a seeded random subset, repeating rows when it exceeds the data, as LLaMA-Factory does),
    then max_samples (the first N); `rows` is a Dataset, the result a view of it (an index, no copy)."""
    picked: list[int] | range = range(len(rows))
    if spec.num_samples is not None:
        rng = random.Random(seed)
        picked = rng.sample(range(len(rows)), min(spec.num_samples, len(rows)))
        picked += [rng.randrange(len(rows)) for _ in range(spec.num_samples - len(picked))]
    if max_samples is not None:
        picked = picked[:max_samples]
    return rows if picked == range(len(rows)) else rows.select(picked)


@dataclass(frozen=True)
class Converted:
    """One batch of raw rows, converted: an Example or the row's UserError per row, and the ORed column bits
    per dataset (`_source`)."""
    examples: list[Example | UserError]
    seen: dict[int, int]


def _parsed_only(parsed: Parsed, source: Origin) -> Parsed:
    return parsed


def convert_batch(batch: dict[str, list], specs: tuple[DatasetSpec, ...], kind: ExampleKind, *,
                  build: bool = True) -> Converted:
    """Validate and convert a batch of raw rows (columns `_source`, `_file`, `_row`, `_raw`); a bad row gives
    its UserError (naming file, row and field) in its place, so one pass finds every bad row. build=False
    only validates (the rows come back as `Parsed`, not shaped as examples: a quarter less work)."""
    build = BUILDERS[kind] if build else _parsed_only
    converters = [FORMATS.get_or_raise(s.formatting, field=f"{s.name}.formatting", file=s.info_file) for s in specs]
    keys = [checked_columns(s, kind) for s in specs]
    out: list[Example | UserError] = []
    seen: dict[int, int] = {}
    for source, file, row, text in zip(batch["_source"], batch["_file"], batch["_row"], batch["_raw"]):
        spec = specs[source]
        try:
            raw = parse_row(file, row, text)
            seen[source] = seen.get(source, 0) | column_bits(raw.data, spec, keys[source])
            parsed = converters[source](raw, spec, kind)
            if kind is ExampleKind.CONVERSATION:
                parsed = dataclasses.replace(parsed, media=read_media(raw, spec, parsed.messages))
            elif kind is ExampleKind.PROMPT:
                parsed = dataclasses.replace(parsed, **prompt_columns(raw, spec))
            out.append(build(parsed, Origin(file, row)))
        except UserError as exc:
            out.append(exc)
    return Converted(out, seen)


@dataclass
class BadRows:
    """What a pass over raw rows found: how many rows were read and bad, the first bad rows' errors, and the
    ORed column bits per dataset. Passes over pieces of the data (worker processes, batches) are `merge`d."""
    rows: int = 0
    bad: int = 0
    errors: list[UserError] = field(default_factory=list)
    seen: dict[int, int] = field(default_factory=dict)

    KEEP = 4  # errors kept: the first is reported, the next ones located

    def add(self, converted: Converted) -> None:
        errors = [item for item in converted.examples if isinstance(item, UserError)]
        self.merge(BadRows(len(converted.examples), len(errors), errors[:self.KEEP], converted.seen))

    def merge(self, other: BadRows) -> None:
        self.rows += other.rows
        self.bad += other.bad
        self.errors.extend(other.errors[:self.KEEP - len(self.errors)])
        for source, bits in other.seen.items():
            self.seen[source] = self.seen.get(source, 0) | bits


def first_errors(errors: list[UserError], total: int) -> UserError:
    """The first bad row's error, saying how many more rows are bad and where the next ones are."""
    first = errors[0]
    if total <= 1:
        return first
    more = ", ".join(f"{e.file}:{e.row}" for e in errors[1:4])
    return UserError(f"{first.message} ({total - 1} more bad rows: {more}{', …' if total > 4 else ''})",
                     file=first.file, row=first.row, field=first.field)
