"""Run one training job in this (fresh) process and print its memory as JSON: the resident set after the
libraries are imported (baseline) and the peak resident set (ru_maxrss). Used by the estimate tests and the
benchmark: `python -m tests.scale.rss_probe '<config json>'`."""
from __future__ import annotations

import json
import resource
import sys


def current_rss() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"baseline": baseline, "peak": peak}))


if __name__ == "__main__":
    main()
