"""Named crash points for the crash tests. With `TUNEFORGE_FAILPOINT=<name>` in the environment the process
kills itself with SIGKILL when it reaches the point of that name — the only way to land a real kill inside a
window of a few milliseconds (between flushing and renaming a checkpoint, in the middle of a rotation) on
every run. Without the variable a failpoint is a dictionary lookup."""
from __future__ import annotations

import os
import signal

ENV = "TUNEFORGE_FAILPOINT"


def failpoint(name: str) -> None:
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
