"""Encoding whole data sets: rows longer than the tokenizer's model_max_length are cut to cutoff_len by the
encoders, so the tokenizer's own "Token indices sequence length is longer than …" warning would mislead (no
encoding path may trigger it); a large set shows its progress."""
from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from tuneforge.config.stages import ExampleKind
from tuneforge.data.example import Conversation, Origin, Text
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.pretrain import encode_text
from tuneforge.encode.supervised import encode_conversation
from tuneforge.templates.registry import get_template

# transformers records here that it has warned about an over-long sequence (it warns once per tokenizer).
WARNED = "sequence-length-is-longer-than-the-specified-maximum"
LONG = Conversation(messages=({"role": "user", "content": "hi " * 60}, {"role": "assistant", "content": "yo " * 60}),
                    tools=None, source=Origin("f.json", 1))


@pytest.fixture
def short_tokenizer(tiny_qwen):
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen)
    tokenizer.model_max_length = 16
    return tokenizer


@pytest.mark.parametrize("template", ["qwen", None], ids=["template", "tokenizer-template"])
def test_conversations_longer_than_the_model_are_cut_without_the_tokenizer_warning(short_tokenizer, template):
    options = EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=32)
    encoded = encode_conversation(LONG, short_tokenizer, get_template(template) if template else None, options)
    assert len(encoded.input_ids) == 32 and encoded.truncated
    assert not short_tokenizer.deprecation_warnings.get(WARNED)


def test_text_longer_than_the_model_is_cut_without_the_tokenizer_warning(short_tokenizer):
    encoded = encode_text(Text(text="hello world " * 60, source=Origin("f.txt", 1)), short_tokenizer, 8, False)
    assert len(encoded.input_ids) == 8
    assert not short_tokenizer.deprecation_warnings.get(WARNED)


def test_the_probe_sees_the_warning_when_it_happens(short_tokenizer):
    short_tokenizer("hello world " * 60)  # a plain call warns: the check above can fail
    assert short_tokenizer.deprecation_warnings.get(WARNED)


def test_encoding_a_large_set_shows_progress_with_rows_per_second(tiny_qwen, capsys):
    from tuneforge.encode.dataset import PARALLEL_MIN_EXAMPLES, encode_dataset

    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen)
    rows = [Conversation(messages=({"role": "user", "content": f"q {i}"}, {"role": "assistant", "content": "a"}),
                         tools=None, source=Origin("f.json", i)) for i in range(PARALLEL_MIN_EXAMPLES + 200)]
    options = EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=64)
    features, stats = encode_dataset(rows, tokenizer, get_template("qwen"), options, workers=2)
    assert stats.sequences == len(rows) == len(features)
    assert features == encode_dataset(rows, tokenizer, get_template("qwen"), options)[0]  # serial = parallel
    err = capsys.readouterr().err
    assert "encoding: 100%" in err and f"{len(rows)}/{len(rows)}" in err and "rows/s" in err
