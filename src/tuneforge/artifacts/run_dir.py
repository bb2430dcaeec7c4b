"""A run directory describes itself: the resolved config (flat YAML, loadable as-is), the template, the base
model and stage, so that chat/export/serve need no flags repeated. This module also owns the rules that
protect a user's outputs: never write into a non-empty folder unasked; resume from its newest complete
checkpoint, or start the same run again when it stopped before its first one."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.artifacts.checkpoints import is_complete, last_checkpoint, remove_partial_checkpoints
from tuneforge.config.run import RunConfig
from tuneforge.core.errors import UserError
from tuneforge.core.io import read_yaml, write_json_atomic, write_text_atomic
from tuneforge.core.log import get_logger

log = get_logger()
CONFIG_FILE = "tuneforge_config.yaml"
RUN_FILE = "tuneforge_run.json"
# Files and folders a run writes; overwrite_output_dir removes only these, never a user's other files.
_OWNED = re.compile(
    r"^(checkpoint-\d+|\.tmp-checkpoint-\d+|\.deleting-checkpoint-\d+|runs|adapter_model\.safetensors|"
    r"adapter_config\.json|model.*\.safetensors|model\.safetensors\.index\.json|config\.json|"
    r"generation_config\.json|tokenizer.*|special_tokens_map\.json|chat_template\.jinja|vocab\.json|merges\.txt|"
    r"trainer_log\.jsonl|trainer_state\.json|training_args\.bin|.*_results\.json|training_.*\.png|eval_.*\.png|"
    r"tuneforge_.*|README\.md|pissa_init|pissa_converted|value_head\.safetensors|ref)$")
# Keys that say how to start a run, not what it trains: a re-run that differs only in these is the same run.
_CONTROL_KEYS = {"overwrite_output_dir", "resume_from_checkpoint"}


def prepare_output_dir(output_dir: str, *, overwrite: bool, resume_from: str | None,
                       config: dict[str, Any]) -> Path | None:
    """Make output_dir safe to train into; returns the checkpoint to resume from (or None: start at step 0).

    `config` is the flat config about to run: a folder whose own run of that config crashed before its first
    checkpoint starts again from step 0 instead of being refused.
    """
    out = Path(output_dir)
    if resume_from:
        if not is_complete(Path(resume_from)):
            raise UserError("not a complete checkpoint folder (no trainer_state.json)", file=resume_from,
                            field="resume_from_checkpoint")
        return Path(resume_from)
    if not out.exists() or not any(out.iterdir()):
        return None
    if overwrite:
        for child in out.iterdir():
            if _OWNED.match(child.name):
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        return None
    run_file = out / RUN_FILE
    if run_file.is_file() and json.loads(run_file.read_text()).get("finished"):
        raise UserError("already holds a finished run; choose another output_dir or set overwrite_output_dir",
                        file=str(out), field="output_dir")
    resume = last_checkpoint(out)
    changed = _changed_keys(out, config)
    if resume is None and not ((out / CONFIG_FILE).is_file() and not changed):
        raise UserError("output_dir is not empty and has no checkpoint to resume from; choose another folder or "
                        "set overwrite_output_dir: true", file=str(out), field="output_dir")
    removed = remove_partial_checkpoints(out)
    if removed:
        log.info("removed %d incomplete checkpoint folder(s) left by an interrupted save: %s", len(removed),
                 ", ".join(p.name for p in removed))
    if resume is None:
        log.info("%s holds this same run, stopped before its first checkpoint; starting again from step 0", out)
    elif changed:
        log.warning("resuming %s with a changed config (%s)", resume, ", ".join(changed))
    return resume


def _changed_keys(out: Path, config: dict[str, Any]) -> list[str]:
    """Keys whose value differs between the config about to run and the one the folder's run saved."""
    import yaml

    if not (out / CONFIG_FILE).is_file():
        return []
    saved = read_yaml(out / CONFIG_FILE) or {}
    # Through YAML and back, so that both sides hold the same types (tuples → lists, …).
    current = yaml.safe_load(yaml.safe_dump(config, allow_unicode=True)) or {}
    return sorted(k for k in set(saved) | set(current)
                  if k not in _CONTROL_KEYS and saved.get(k) != current.get(k))


def write_run_files(output_dir: str | Path, flat_config: dict[str, Any], info: dict[str, Any]) -> None:
    import yaml

    out = Path(output_dir)
    header = "# Resolved configuration of this run; `tuneforge train` accepts this file as it is.\n"
    write_text_atomic(out / CONFIG_FILE, header + yaml.safe_dump(flat_config, sort_keys=False,
                                                                 allow_unicode=True))
    write_json_atomic(out / RUN_FILE, info)


def mark_finished(output_dir: str | Path, extra: dict[str, Any]) -> None:
    out = Path(output_dir)
    info = json.loads((out / RUN_FILE).read_text()) if (out / RUN_FILE).is_file() else {}
    info.update(extra, finished=True)
    write_json_atomic(out / RUN_FILE, info)


@dataclass(frozen=True)
class RunDir:
    """A finished (or running) training output folder."""
    path: Path

    def run_config(self) -> RunConfig:
        """The run's resolved config, typed, through the config loader (checked as a chat would need it: the
        data it trained on may have moved since)."""
        from tuneforge.config.load import load_run_config

        return load_run_config(self.path / CONFIG_FILE, command="chat")

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.path / RUN_FILE).read_text())

    @property
    def is_adapter(self) -> bool:
        return (self.path / "adapter_config.json").is_file()

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        p = Path(path)
        if not (p / CONFIG_FILE).is_file():
            raise UserError(f"not a tuneforge run folder (no {CONFIG_FILE})", file=str(p))
        return cls(p)


def inference_keys(path: str | Path) -> dict[str, Any]:
    """The keys that load what a run folder holds: its base plus its adapter, or its full model, with the
    template it was trained with, its rope scaling, and the generation keys its config set (those it left unset
    follow the model's generation_config.json) — so `tuneforge chat saves/run1` needs no other flag."""
    run = RunDir.open(path)
    config = run.run_config()
    keys: dict[str, Any] = {k: v for k, v in dataclasses.asdict(config.generation).items() if v is not None}
    keys.update(template=config.data.template, trust_remote_code=config.model.trust_remote_code)
    if config.model.rope_scaling:  # the positions it was trained on (a full model's config.json has them too)
        keys.update(rope_scaling=config.model.rope_scaling, cutoff_len=config.data.cutoff_len)
    if run.is_adapter:
        earlier = config.model.adapter_paths()
        if earlier and not config.finetune.create_new_adapter:
            earlier = earlier[:-1]  # that adapter was trained further: this folder holds its new state
        keys.update(model_name_or_path=config.model.model_name_or_path, finetuning_type="lora",
                    adapter_name_or_path=",".join([*earlier, str(run.path)]))
    else:
        keys.update(model_name_or_path=str(run.path), finetuning_type=config.finetune.finetuning_type)
    return keys
