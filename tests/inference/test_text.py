"""Reply decoding: stop ids and stop strings end a reply; streamed text never shows what a stop string or a
half UTF-8 character might still change."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def tokenizer(tiny_qwen):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_qwen)


def test_stop_string_tail_is_held_back_until_decided(tokenizer):
    from tuneforge.inference.text import IncrementalText

    ids = tokenizer("Hello world. END of text", add_special_tokens=False)["input_ids"]
    stream = IncrementalText(tokenizer, [], ["END"], True)
    pieces = [stream.push([i]) for i in ids]
    final = stream.finish()
    assert "".join(pieces) + stream.tail == final.text == "Hello world. "
    assert final.stopped


def test_half_characters_are_never_streamed(tokenizer):
    from tuneforge.inference.text import IncrementalText

    ids = tokenizer("你是谁？我是 Forge。", add_special_tokens=False)["input_ids"]
    stream = IncrementalText(tokenizer, [], [], True)
    pieces = [stream.push([i]) for i in ids]
    stream.finish()
    assert all("\ufffd" not in p for p in pieces)
    assert "".join(pieces) + stream.tail == "你是谁？我是 Forge。"


def test_stop_id_ends_reply_and_tool_markers_survive_skip_special_tokens(tokenizer):
    from tuneforge.inference.text import decode_reply
    from tuneforge.templates.tool_calls import marker_ids

    ids = tokenizer('ok<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call><|im_end|>tail',
                    add_special_tokens=False)["input_ids"]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    plain = decode_reply(tokenizer, ids, [im_end], [], True)
    assert plain.stopped and "tail" not in plain.text
    kept = decode_reply(tokenizer, ids, [im_end], [], True, frozenset(marker_ids(tokenizer, "qwen")))
    assert kept.text == 'ok<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>'
