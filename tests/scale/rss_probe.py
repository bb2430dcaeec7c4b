"""Run one training job in this (fresh) process and print its memory as JSON: the resident set after the
libraries are imported (baseline) and the peak resident set (VmHWM). Used by the estimate tests and the
benchmark: `python -m tests.scale.rss_probe '<config json>'`.

Not ru_maxrss: Linux carries it across exec, so a probe spawned by a large pytest process would report the
parent's resident set as its own peak (every case then measured the same ~1.1 GB late in the suite)."""
from __future__ import annotations

import json
import sys


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return 0


def current_rss() -> int:
    return _status_bytes("VmRSS")


def peak_rss() -> int:
    """The high-water mark of this process's own address space (reset by exec, unlike ru_maxrss)."""
    return _status_bytes("VmHWM")


def main() -> None:
    config = json.loads(sys.argv[1])
    import peft  # noqa: F401  everything training imports, so the baseline holds the libraries
    import torch  # noqa: F401
    import transformers  # noqa: F401
    from transformers import Trainer  # noqa: F401

    import tuneforge
    from tuneforge.training.stages import lm  # noqa: F401

    baseline = current_rss()
    tuneforge.train(config)
    peak = peak_rss()
    print(json.dumps({"baseline": baseline, "peak": peak}))


if __name__ == "__main__":
    main()
