"""One logger for the package; only the main process talks in distributed runs."""
from __future__ import annotations

import logging
import os


def get_logger(name: str = "tuneforge") -> logging.Logger:
    return logging.getLogger(name)


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0 and int(os.environ.get("LOCAL_RANK", "0")) == 0


def setup_logging(verbose: bool = False) -> None:
    level = logging.DEBUG if verbose else (logging.INFO if is_main_process() else logging.WARNING)
    logging.basicConfig(level=level, format="[tuneforge] %(message)s")
