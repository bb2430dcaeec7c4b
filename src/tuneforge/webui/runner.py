"""`python -m tuneforge.webui.runner FOLDER ARGS…`: runs `tuneforge ARGS…`, sends its output to
FOLDER/webui_job.log, and records the exit code and final state in FOLDER/webui_job.json."""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tuneforge.core.io import write_json_atomic
from tuneforge.webui.jobs import JOB_FILE, LOG_FILE, read_job


def main() -> int:
    folder, args = Path(sys.argv[1]), sys.argv[2:]
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Abort signals the group: the command stops, we record it
    with (folder / LOG_FILE).open("w", encoding="utf-8") as log:
        code = subprocess.call([sys.executable, "-m", "tuneforge.cli.main", *args], stdout=log,
                               stderr=subprocess.STDOUT)
    job = read_job(folder)
    job["returncode"] = code
    job["state"] = "aborted" if job["state"] in ("aborting", "aborted") else ("finished" if code == 0 else "failed")
    write_json_atomic(folder / JOB_FILE, job)
    return code


if __name__ == "__main__":
    sys.exit(main())
