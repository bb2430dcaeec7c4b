"""`tuneforge make-tiny-model --extra-text FOLDER`: the tokenizer also learns the data folder's words (what lets
the tour's and the demo's tiny model learn the identity data in seconds); a path that is not there is one
clear error."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import DATA_DIR
from tuneforge.core.errors import UserError
from tuneforge.model.tiny import LEARNER, text_files, train_tokenizer

IDENTITY = "I am Forge, an AI assistant made by the tuneforge team."


def test_a_data_folder_teaches_the_tokenizer_its_words():
    assert {p.name for p in text_files([DATA_DIR])} >= {"identity.json", "alpaca_sample.json", "text_sample.jsonl"}
    plain = train_tokenizer(LEARNER.template, LEARNER.vocab_size)
    taught = train_tokenizer(LEARNER.template, LEARNER.vocab_size, [DATA_DIR])
    assert len(taught(IDENTITY).input_ids) < len(plain(IDENTITY).input_ids) * 0.6
    assert "tuneforge" in taught.convert_ids_to_tokens(taught("the tuneforge team").input_ids)[1]


def test_a_missing_extra_text_path_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match="no such file or folder"):
        text_files([tmp_path / "nope"])
    result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", "make-tiny-model", str(tmp_path / "m"),
                             "--extra-text", str(tmp_path / "nope")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {tmp_path / 'nope'}" in result.stderr and not (tmp_path / "m").exists()
