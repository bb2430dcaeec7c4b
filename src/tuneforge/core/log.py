"""One logger for the package; only the main process talks in distributed runs. Also where library messages
that are not the user's business are dropped, each by its own logger or warning origin, so everything else
those libraries say still shows."""
from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager


def get_logger(name: str = "tuneforge") -> logging.Logger:
    return logging.getLogger(name)


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0 and int(os.environ.get("LOCAL_RANK", "0")) == 0


VERBOSITY_ENV = "TUNEFORGE_VERBOSITY"  # like LLaMA-Factory's LLAMAFACTORY_VERBOSITY: DEBUG, INFO, WARNING, ERROR


def setup_logging(verbose: bool = False) -> None:
    """INFO on the main process, WARNING on the other ranks (one copy of each line); TUNEFORGE_VERBOSITY sets
    the level on every rank."""
    asked = os.environ.get(VERBOSITY_ENV, "").strip().upper()
    if asked in ("DEBUG", "INFO", "WARNING", "WARN", "ERROR"):
        level = logging.getLevelName("WARNING" if asked == "WARN" else asked)
    else:
        level = logging.DEBUG if verbose else (logging.INFO if is_main_process() else logging.WARNING)
    logging.basicConfig(level=level, format="[tuneforge] %(message)s")
    quiet_library_noise()


class _DropStartingWith(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


# On CPUs with AVX512-BF16, importing bitsandbytes tries to fetch an optional faster 4-bit CPU kernel from the hub
# through the `kernels` package and warns when that is not installed; the built-in kernel is used instead. peft
# imports bitsandbytes whenever it is installed, so every command printed it, quantized or not.
_BNB_HUB_KERNEL = _DropStartingWith("Failed to load CPU gemm_4bit_forward from kernels-community")


def quiet_library_noise() -> None:
    """Before the libraries are imported (the bitsandbytes message is logged at import). Idempotent."""
    logging.getLogger("bitsandbytes.backends.cpu.ops").addFilter(_BNB_HUB_KERNEL)
    # transformers 5 deprecated `is_gradient_checkpointing`; peft's PeftModel (0.21) still reads it on every
    # adapter it wraps. Only that warning, attributed to the module that issues it.
    warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning,
                            module=r"transformers\.modeling_utils")


@contextmanager
def held_back(logger_name: str, marker: str) -> Iterator[list[logging.LogRecord]]:
    """Hold back the records of `logger_name` whose message contains `marker` while the block runs; they are
    emitted when it ends unless the block cleared the list (having judged them expected). An exception in the
    block emits them too."""
    logger = logging.getLogger(logger_name)
    held: list[logging.LogRecord] = []

    class _Hold(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            if marker in str(record.msg):
                held.append(record)
                return False
            return True

    hold = _Hold()
    logger.addFilter(hold)
    try:
        yield held
    finally:
        logger.removeFilter(hold)
        for record in held:
            logger.handle(record)
