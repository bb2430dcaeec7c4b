"""`python -m tuneforge.cli.torchrun ARGS`: torchrun itself (`torch.distributed.run`, same arguments), except for
how a failed run ends. torchrun reports a failed process with its own ChildFailedError traceback; here the
process has already printed what went wrong (a user error is one `error:` line), so this only passes its exit
code on — 2 stays 2 — with one line for a failure that printed no user error."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    try:
        run(parse_args(argv))
    except ChildFailedError as exc:
        rank, failure = exc.get_first_failure()
        code = failure.exitcode if failure.exitcode > 0 else 128 - failure.exitcode  # -N: killed by signal N
        if code not in (2, 130):  # a user error or an interrupted run already said so
            print(f"error: process {rank} of the run failed with exit code {code} (see its output above)",
                  file=sys.stderr)
        return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
