"""Pre-training encoding: text + EOS; with packing, all texts are concatenated and cut into cutoff_len blocks
(the usual causal-LM recipe), otherwise each text is cut to cutoff_len on its own."""
from __future__ import annotations

from tuneforge.data.example import Text
from tuneforge.encode.supervised import Encoded


def encode_text(example: Text, tokenizer, cutoff_len: int, packing: bool) -> Encoded:
    # verbose=False: cut to cutoff_len (or grouped) here, so "longer than model_max_length" would mislead.
    ids = tokenizer(example.text, add_special_tokens=True, verbose=False)["input_ids"] + [tokenizer.eos_token_id]
    truncated = False
    if not packing and len(ids) > cutoff_len:
        ids, truncated = ids[:cutoff_len], True
    return Encoded(ids, list(ids), truncated)


def group_blocks(features: list[dict], cutoff_len: int) -> list[dict]:
    """Concatenate every text and cut into full blocks of cutoff_len (a short tail block is kept only if it
    is the only block, so tiny datasets still train)."""
    stream = [tok for feature in features for tok in feature["input_ids"]]
    blocks = [stream[i:i + cutoff_len] for i in range(0, len(stream), cutoff_len)]
    if len(blocks) > 1 and len(blocks[-1]) < cutoff_len:
        blocks.pop()
    return [{"input_ids": block, "labels": list(block)} for block in blocks]
