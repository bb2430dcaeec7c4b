"""Encoding whole data sets: rows longer than the tokenizer's model_max_length are cut to cutoff_len by the
encoders, so the tokenizer's own "Token indices sequence length is longer than …" warning would mislead (no
encoding path may trigger it); a large set shows its progress."""
from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from tuneforge.config.stages import ExampleKind
from tuneforge.data.example import Conversation, Origin, Text
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.batch import encode_examples
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
    (encoded,) = encode_examples([LONG], short_tokenizer, get_template(template) if template else None, options)
    assert len(encoded.input_ids) == 32 and encoded.truncated
    assert not short_tokenizer.deprecation_warnings.get(WARNED)


def test_text_longer_than_the_model_is_cut_without_the_tokenizer_warning(short_tokenizer):
    options = EncodeOptions(kind=ExampleKind.TEXT, cutoff_len=8)
    (encoded,) = encode_examples([Text(text="hello world " * 60, source=Origin("f.txt", 1))], short_tokenizer, None,
                                 options)
    assert len(encoded.input_ids) == 8
    assert not short_tokenizer.deprecation_warnings.get(WARNED)


def test_the_probe_sees_the_warning_when_it_happens(short_tokenizer):
    short_tokenizer("hello world " * 60)  # a plain call warns: the check above can fail
    assert short_tokenizer.deprecation_warnings.get(WARNED)


def test_encoding_a_large_set_shows_progress_with_rows_per_second(tiny_qwen, tmp_path, capsys):
    import json

    from tests.conftest import sft_config
    from tuneforge.config.load import load_run_config
    from tuneforge.data.load import load_raw
    from tuneforge.encode.dataset import PARALLEL_MIN_EXAMPLES, encode_dataset

    data = tmp_path / "rows.jsonl"
    count = PARALLEL_MIN_EXAMPLES + 200
    data.write_text("".join(json.dumps({"instruction": f"q {i}", "output": "a"}) + "\n" for i in range(count)))
    cfg = load_run_config(sft_config(tiny_qwen, tmp_path / "out", dataset=str(data)))
    raw = load_raw(cfg.data, stage=cfg.finetune.needs(), seed=0, folder=tmp_path / "raw").train
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen)
    options = EncodeOptions(kind=ExampleKind.CONVERSATION, cutoff_len=64)
    features, stats = encode_dataset(raw, tokenizer, get_template("qwen"), options, folder=tmp_path / "p",
                                     workers=2, batch_size=100)
    assert stats.sequences == count == len(features)
    serial = encode_dataset(raw, tokenizer, get_template("qwen"), options, folder=tmp_path / "s")[0]
    assert features.to_list() == serial.to_list()
    err = capsys.readouterr().err
    assert "encoding (num_proc=2): 100%" in err and f"{count}/{count}" in err and "examples/s" in err
