"""Encoding a stream on the fly: the same batch encoder as loaded data (`encode.batch`), run by the
IterableDataset's map as the Trainer pulls batches; packing, when asked, packs within each batch of
`preprocessing_batch_size` rows (first-fit for conversations, full cutoff_len blocks for text, as
LLaMA-Factory's streaming does). A bad row stops the run with its file:row (the rows were validated before
training, so this is a file changed underneath)."""
from __future__ import annotations

from tuneforge.config.stages import ExampleKind
from tuneforge.data.load import RawData
from tuneforge.encode.batch import BAD_ROW, KEPT, encode_batch, error_from_json
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.packing import pack, packed_features
from tuneforge.encode.pretrain import iter_blocks


def _features_batch(batch: dict[str, list], *, specs, tokenizer, template, options: EncodeOptions) -> dict:
    out = encode_batch(batch, specs=specs, tokenizer=tokenizer, template=template, options=options)
    for status, error in zip(out["_status"], out["_error"]):
        if status == BAD_ROW:
            raise error_from_json(error)
    rows = [{"input_ids": ids, "labels": labels}
            for ids, labels, status in zip(out["input_ids"], out["labels"], out["_status"]) if status == KEPT]
    if options.packing and options.kind is ExampleKind.TEXT:
        blocks = [b for b in iter_blocks((r["input_ids"] for r in rows), options.cutoff_len)
                  if len(b) == options.cutoff_len]
        rows = [{"input_ids": b, "labels": list(b)} for b in blocks]
    elif options.packing:
        rows = pack(rows, options.cutoff_len, neat=options.neat_packing)
    keys = list(packed_features(options.neat_packing and options.kind is not ExampleKind.TEXT))
    return {key: [row[key] for row in rows] for key in keys}


def encode_stream(data: RawData, tokenizer, template, options: EncodeOptions, batch_size: int):
    """Training features of a raw-row stream, encoded as they are read."""
    neat = options.neat_packing and options.kind is not ExampleKind.TEXT
    return data.rows.map(_features_batch, batched=True, batch_size=batch_size,
                         fn_kwargs={"specs": data.specs, "tokenizer": tokenizer, "template": template,
                                    "options": options},
                         remove_columns=["_source", "_file", "_row", "_raw"], features=packed_features(neat))
