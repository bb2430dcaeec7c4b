"""Long jobs (train, eval, predict, export) as `tuneforge` subprocesses.

Each job has a folder under <output root>/.webui-jobs/ holding webui_job.json (command, pid, state, exit
code, the run's output folder) and webui_job.log; training progress is the run's own trainer_log.jsonl. A
reopened page, or another browser, reattaches by reading these files: nothing lives only in server memory.
(Job files never go into a run's output_dir: training refuses to write into a non-empty folder.)
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tuneforge.core.io import write_json_atomic

JOB_FILE = "webui_job.json"
LOG_FILE = "webui_job.log"


def _cli_value(value) -> str:
    """How `key=value` overrides spell a value: strings verbatim, booleans lower-case, None as null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def cli_argv(command: str, keys: dict, source: str | None = None) -> list[str]:
    """`tuneforge <command> [source] key=value …` as an argv list."""
    return ["tuneforge", command, *([source] if source else []), *(f"{k}={_cli_value(v)}" for k, v in keys.items())]


def shell_command(argv: list[str]) -> str:
    return shlex.join(argv)


@dataclass(frozen=True)
class JobStatus:
    state: str            # idle | running | aborting | finished | failed | aborted
    folder: Path | None
    returncode: int | None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:  # a child of this process that exited stays a zombie until reaped
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def read_job(folder: Path) -> dict:
    return json.loads((folder / JOB_FILE).read_text())


JOBS_DIR = ".webui-jobs"


def new_job_folder(output_root: Path, kind: str) -> Path:
    return output_root / JOBS_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}-{os.getpid()}-{time.time_ns() % 10**6}"


def latest_active_job(output_root: Path) -> Path | None:
    """The newest job still running, for reattaching a reopened page."""
    root = output_root / JOBS_DIR
    folders = sorted((p for p in root.iterdir() if (p / JOB_FILE).is_file()), reverse=True) if root.is_dir() else []
    for folder in folders:
        if status(folder).state in ("running", "aborting"):
            return folder
    return folders[0] if folders else None


def start(argv: list[str], folder: Path, output_dir: Path | None = None) -> None:
    """Run `argv` (tuneforge …) through webui.runner, which records the exit code when it ends."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json_atomic(folder / JOB_FILE, {"argv": argv, "pid": None, "state": "running", "started": time.time(),
                                          "returncode": None, "output_dir": str(output_dir) if output_dir else None})
    # Own process group, so Abort reaches the command and anything it started.
    process = subprocess.Popen([sys.executable, "-m", "tuneforge.webui.runner", str(folder), *argv[1:]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    job = read_job(folder)
    job["pid"] = process.pid
    write_json_atomic(folder / JOB_FILE, job)


def status(folder: Path | None) -> JobStatus:
    if folder is None or not (folder / JOB_FILE).is_file():
        return JobStatus("idle", folder, None)
    job = read_job(folder)
    if job["state"] in ("running", "aborting") and job.get("pid") and not _alive(job["pid"]):
        job["state"] = "failed" if job.get("returncode") is None else job["state"]  # runner died unrecorded
    return JobStatus(job["state"], folder, job.get("returncode"))


def abort(folder: Path, grace_s: float = 10.0) -> None:
    """SIGINT first (training finishes its step, saves a checkpoint there and exits), SIGKILL after grace_s.
    Checkpoints are complete or invisible (published by rename), so the last one stays usable either way."""
    job = read_job(folder)
    job["state"] = "aborting"
    write_json_atomic(folder / JOB_FILE, job)
    pid = job["pid"]
    if pid and _alive(pid):
        os.killpg(pid, signal.SIGINT)
        deadline = time.time() + grace_s
        while time.time() < deadline and _alive(pid):
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
    job = read_job(folder)
    job["state"] = "aborted"
    write_json_atomic(folder / JOB_FILE, job)


def tail(folder: Path, lines: int = 40) -> str:
    """The last lines of the job's output (progress-bar carriage returns become line breaks)."""
    path = folder / LOG_FILE
    if not path.is_file():
        return ""
    text = path.read_text(errors="replace").replace("\r", "\n")
    return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])


def progress(folder: Path) -> list[dict]:
    """The job's run's trainer_log.jsonl rows so far (a line being written right now is skipped)."""
    output_dir = read_job(folder).get("output_dir") if (folder / JOB_FILE).is_file() else None
    if not output_dir:
        return []
    path = Path(output_dir) / "trainer_log.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows
