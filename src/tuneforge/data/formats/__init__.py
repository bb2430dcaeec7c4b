"""Source formats: `FORMATS` maps a dataset_info.json "formatting" to the converter that validates one raw row
and turns it into a `Parsed` row (one module per format; shared rules in `common.py`)."""
from __future__ import annotations

from tuneforge.core.registry import Registry
from tuneforge.data.formats import alpaca, openai, sharegpt, text
from tuneforge.data.formats.common import Converter, Parsed

FORMATS: Registry[Converter] = Registry("dataset formatting", {
    "alpaca": alpaca.convert,
    "sharegpt": sharegpt.convert,
    "openai": openai.convert,
    "text": text.convert,
})

__all__ = ["FORMATS", "Converter", "Parsed"]
