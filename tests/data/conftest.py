"""Shared helpers for the data tests: the LLaMA-Factory fixture folder and tiny dataset folders in tmp_path."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing_fixture

LF_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "llamafactory"


@pytest.fixture
def lf_dir() -> Path:
    if not (LF_DIR / "dataset_info.json").is_file():
        missing_fixture(f"LLaMA-Factory fixtures not found at {LF_DIR}")
    return LF_DIR


@pytest.fixture
def make_data(tmp_path: Path):
    """make_data(info={name: entry} | None, files={name: rows | str}) → the dataset_dir. Rows (a list) are
    written as JSON (.json) or JSON lines (.jsonl); a str is written verbatim."""
    def make(info: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> Path:
        if info is not None:
            (tmp_path / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                text = content
            elif name.endswith(".jsonl"):
                text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in content)
            else:
                text = json.dumps(content, indent=2, ensure_ascii=False)
            path.write_text(text, encoding="utf-8")
        return tmp_path
    return make

