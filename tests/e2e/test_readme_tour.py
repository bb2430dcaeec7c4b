"""The README's "A short tour", run as a newcomer would: its commands, parsed from README.md (so the two cannot
drift), in order, in a fresh folder holding copies of examples/ and data/. Every command must succeed except
the ones that wait for a person or need what a test machine lacks (named in SKIPPED); then the tour's claims
are checked: the tiny model learned (greedy predictions and the merged export answer "I am Forge…"), and the
override example trained into its own folder without touching the run the later steps use."""
from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.helpers import logged_losses

# Commands the test does not run, and why; the run folders they name must still be ones the tour made.
SKIPPED = {"chat": "interactive", "api": "a server that runs until stopped", "webui": "a server",
           "eval": "needs the benchmark files (or the hub)"}
IDENTITY = "I am Forge, an AI assistant made by the tuneforge team."


def tour_commands() -> list[list[str]]:
    """The tour block's commands, comments removed, `a; b` split, each as argv."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## A short tour"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = []
    for line in block.splitlines():
        line = re.sub(r"\s+#\s.*$", "", line).strip()
        commands += [shlex.split(part) for part in line.split(";") if part.strip()]
    return commands


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _finished(run: Path) -> bool:
    return json.loads((run / "tuneforge_run.json").read_text())["finished"]


def test_the_readme_tour_runs_and_the_model_learns(tmp_path):
    work = tmp_path / "tour"
    work.mkdir()
    for folder in ("examples", "data"):
        shutil.copytree(REPO / folder, work / folder)
    commands = tour_commands()
    names = [argv[1] for argv in commands if argv[0] == "tuneforge"]
    assert names[:3] == ["make-tiny-model", "preview-data", "train"] and {"predict", "export"} <= set(names)

    outputs, timings, skipped, run_digest = {}, [], [], None
    for argv in commands:
        if argv[0] != "tuneforge":  # an environment prefix: NPROC_PER_NODE=2 (DDP is tests/scale's)
            skipped.append(argv)
            continue
        if argv[1] in SKIPPED:
            skipped.append(argv)
            continue
        start = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "tuneforge.cli.main", *argv[1:]], cwd=work,
                                capture_output=True, text=True, timeout=600)
        timings.append((round(time.monotonic() - start, 1), shlex.join(argv)))
        assert result.returncode == 0, f"{shlex.join(argv)}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
        outputs[shlex.join(argv)] = result.stdout
        if argv[1:] == ["train", "examples/sft_lora.yaml"]:
            run_digest = _digest(work / "out/sft_lora/adapter_model.safetensors")
    print("\n".join(f"{seconds:6.1f}s  {command}" for seconds, command in timings))

    run = work / "out/sft_lora"
    assert _finished(run) and run_digest is not None
    losses = logged_losses(run)
    assert losses[-1] < losses[0] / 2, losses
    # The override example trained into its own folder; the run the later steps use is untouched.
    assert _finished(work / "out/sft_lora_2ep")
    assert _digest(run / "adapter_model.safetensors") == run_digest
    assert _finished(work / "out/dpo_lora")

    preview = next(text for command, text in outputs.items() if " preview-data " in command)
    assert preview.count("──") >= 6 and f"⟦{IDENTITY}<|im_end|>" in preview

    predictions = [json.loads(line) for line in (work / "out/pred/generated_predictions.jsonl").open()]
    assert len(predictions) == 20
    who = next(p for p in predictions if "user\nWho are you?<|im_end|>" in p["prompt"])
    assert who["predict"] == IDENTITY, who
    assert sum("Forge" in p["predict"] for p in predictions) >= 16, [p["predict"] for p in predictions]

    from tuneforge.inference.hf import HFEngine

    merged = HFEngine.load(work / "out/merged")  # greedy: the exported model learned too
    assert merged.chat([{"role": "user", "content": "Who are you?"}]) == IDENTITY
    assert list((work / "out/gguf").glob("*.gguf")) and (work / "out/gguf/Modelfile").is_file()

    # The commands not run here point at run folders the tour made.
    for argv in skipped:
        for arg in argv:
            if arg.startswith("out/") and "=" not in arg:
                assert _finished(work / arg), f"{shlex.join(argv)} names {arg}, which the tour did not train"
