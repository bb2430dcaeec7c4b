"""Multi-process launching: `tuneforge train` re-executes itself under torchrun when more than one process
is asked for. Until that lands, every run is a single process (or whatever torchrun/accelerate the user
started us under)."""
from __future__ import annotations

from tuneforge.config.run import RunConfig


def relaunch_if_distributed(argv: list[str], cfg: RunConfig) -> int | None:
    """The exit code of a relaunched multi-process run, or None to run in this process."""
    return None
