"""One batch of raw rows → training features: the function the encoding map runs in its worker processes
(and streaming runs on the fly). Rows are converted (`data.convert.convert_batch`), conversations rendered in
one batched template call (`templates.render.render_batch`), texts tokenised in one tokenizer call; a bad row
becomes an error in its place, so one pass over the data finds every bad row.

Output columns, one row per input row: `input_ids`, `labels` (empty unless kept), `_status` (KEPT,
NOTHING_TRAINED or BAD_ROW), `_truncated`, `_error` (a bad row's error as JSON), `_source` and `_seen` (the
ORed column bits of the row's dataset in this batch, for the missing-column check), `_trained` (how many
labels are trained) and `_closes` (whether a trained label is one of `stops`, the end-of-turn ids): the
statistics and refusals after the map read these small columns, never the token columns.
"""
from __future__ import annotations

import dataclasses
import json

from tuneforge.config.stages import ExampleKind
from tuneforge.core.errors import UserError
from tuneforge.data.convert import convert_batch
from tuneforge.data.example import Conversation, Text
from tuneforge.encode.media import MEDIA_FEATURES, MediaEncoder, expand, media_token_ids
from tuneforge.encode.options import IGNORE_INDEX, EncodeOptions
from tuneforge.encode.supervised import Encoded, from_rendered, render_input
from tuneforge.templates.media import with_media_tokens
from tuneforge.templates.render import render, render_batch, render_text

KEPT, NOTHING_TRAINED, BAD_ROW = 0, 1, 2


def encoded_features(media: bool = False):
    """The map's output columns; with `media`, also each row's media paths (MEDIA_FEATURES)."""
    from datasets import Features, Sequence, Value

    columns = {"input_ids": Sequence(Value("int32")), "labels": Sequence(Value("int32")),
               "_status": Value("int8"), "_truncated": Value("bool"), "_error": Value("string"),
               "_source": Value("int32"), "_seen": Value("int64"), "_trained": Value("int32"),
               "_closes": Value("bool")}
    if media:
        columns |= {key: Sequence(Value("string")) for key in MEDIA_FEATURES}
    return Features(columns)


def error_json(error: UserError) -> str:
    return json.dumps([error.message, error.file, error.row, error.field])


def error_from_json(text: str) -> UserError:
    message, file, row, field = json.loads(text)
    return UserError(message, file=file, row=row, field=field)


def _texts(examples: list[Text], tokenizer, options: EncodeOptions) -> list[Encoded]:
    # verbose=False: cut to cutoff_len (or grouped) here, so "longer than model_max_length" would mislead.
    ids = tokenizer([e.text for e in examples], add_special_tokens=True, verbose=False)["input_ids"]
    out = []
    for row in ids:
        row = list(row) + [tokenizer.eos_token_id]
        truncated = not options.packing and len(row) > options.cutoff_len
        if truncated:
            row = row[:options.cutoff_len]
        out.append(Encoded(row, list(row), truncated))
    return out


def _conversations(examples: list[Conversation], tokenizer, template, options: EncodeOptions,
                   media: MediaEncoder | None = None) -> list[Encoded | UserError]:
    with_media = [i for i, e in enumerate(examples) if e.media]
    out: list[Encoded | UserError | None] = [None] * len(examples)
    for i in with_media:
        try:
            out[i] = _media_conversation(examples[i], tokenizer, template, options, media)
        except UserError as exc:
            out[i] = exc
    text = [i for i in range(len(examples)) if out[i] is None]
    inputs = [render_input(examples[i], options) for i in text]
    rendered = render_batch(tokenizer, [m for m, _ in inputs], template=template, tools=[t for _, t in inputs])
    for i, r in zip(text, rendered):
        out[i] = r if isinstance(r, UserError) else from_rendered(r, options)
    return out  # type: ignore[return-value]


def _media_conversation(example: Conversation, tokenizer, template, options: EncodeOptions,
                        media: MediaEncoder | None) -> Encoded:
    """A conversation with images/videos: rendered, expanded by the processor (encode/media.py), cut. A cut
    that would split an image's tokens from its pixels keeps nothing to train (the row is dropped)."""
    messages, tools = render_input(example, options)
    messages = with_media_tokens(messages, media.tokens if media else None, example.media.counts(),
                                 as_parts=template is None)
    if example.media.audios:
        raise UserError("audio rows are not encoded yet (images and videos are)", field="audios")
    rendered = render(tokenizer, messages, template=template, tools=tools)
    text = render_text(tokenizer, messages, template=template, tools=tools)
    expanded = expand(media, text, rendered, example.media)
    encoded = from_rendered(expanded, options)
    if encoded.truncated:
        kept = media_token_ids(media)
        if sum(i in kept for i in encoded.input_ids) != sum(i in kept for i in expanded.input_ids):
            return Encoded(encoded.input_ids, [IGNORE_INDEX] * len(encoded.input_ids), True)
    return dataclasses.replace(encoded, media=example.media)


def encode_examples(examples: list, tokenizer, template, options: EncodeOptions,
                    media: MediaEncoder | None = None) -> list[Encoded | UserError]:
    """Encoded features of converted examples (each user error placed at its example's file and row)."""
    if options.kind is ExampleKind.TEXT:
        encoded: list = _texts(examples, tokenizer, options)
    elif options.kind is ExampleKind.CONVERSATION:
        encoded = _conversations(examples, tokenizer, template, options, media)
    else:
        raise UserError(f"{options.kind.value} examples are not encoded as sequences (this encoder takes text and "
                        f"conversations)")
    return [e.source.locate(r) if isinstance(r, UserError) else r for e, r in zip(examples, encoded)]


def encode_batch(batch: dict[str, list], *, specs, tokenizer, template, options: EncodeOptions,
                 stops: frozenset[int] = frozenset(), media: MediaEncoder | None = None) -> dict[str, list]:
    """The encoding map's function (batched): raw rows in, one feature row (or its error) per row out. With
    `media` (a vision-language model's processor), also each row's media paths."""
    converted = convert_batch(batch, specs, options.kind)
    good = [i for i, item in enumerate(converted.examples) if not isinstance(item, UserError)]
    results: list = list(converted.examples)
    for i, encoded in zip(good, encode_examples([results[i] for i in good], tokenizer, template, options, media)):
        results[i] = encoded
    out: dict[str, list] = {"input_ids": [], "labels": [], "_status": [], "_truncated": [], "_error": [],
                            "_source": list(batch["_source"]),
                            "_seen": [converted.seen.get(s, 0) for s in batch["_source"]], "_trained": [],
                            "_closes": []}
    for item in results:
        if isinstance(item, UserError):
            status, ids, labels, truncated, error = BAD_ROW, [], [], False, error_json(item)
            count, closes = 0, False
        else:
            learned = [t for t in item.labels if t != IGNORE_INDEX]
            count, closes = len(learned), bool(stops) and not stops.isdisjoint(learned)
            trained = count > 0
            status = KEPT if trained else NOTHING_TRAINED
            ids, labels = (item.input_ids, item.labels) if trained else ([], [])
            truncated, error = item.truncated, None
        out["input_ids"].append(ids)
        out["labels"].append(labels)
        out["_status"].append(status)
        out["_truncated"].append(truncated)
        out["_error"].append(error)
        out["_trained"].append(count)
        out["_closes"].append(closes)
        if media is not None:
            for key in MEDIA_FEATURES:
                kept = isinstance(item, Encoded) and status == KEPT
                out.setdefault(key, []).append(list(getattr(item.media, key)) if kept else [])
    return out
