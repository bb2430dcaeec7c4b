"""Plain-text rows → `Parsed(text=...)` for pre-training: the column named by `columns.prompt` ("text" by
default). A `.txt` file arrives here as one row per non-empty line (see `readers.py`)."""
from __future__ import annotations

from tuneforge.config.stages import ExampleKind
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.formats.common import Parsed, text_value
from tuneforge.data.readers import RawRow


def convert(raw: RawRow, spec: DatasetSpec, kind: ExampleKind) -> Parsed:
    return Parsed(text=text_value(raw, spec.columns.prompt or "text", required=True))
