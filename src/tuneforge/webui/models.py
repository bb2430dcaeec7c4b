"""Reading what the UI offers to choose from: datasets in a dataset_info.json, past runs, and the template
that fits a model folder (from what the folder says about itself)."""
from __future__ import annotations

import json
from pathlib import Path

from tuneforge.artifacts.run_dir import CONFIG_FILE
from tuneforge.core.io import read_yaml

# config.json model_type → our template name, for filling the template box from a model folder.
MODEL_TYPE_TEMPLATES = {"qwen2": "qwen", "qwen3": "qwen3", "llama": "llama3", "mistral": "mistral",
                        "mixtral": "mixtral", "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma3",
                        "gemma3_text": "gemma3", "phi3": "phi", "glm4": "glm4", "chatglm": "glm4",
                        "internlm2": "intern2", "baichuan": "baichuan2", "cohere": "cohere", "falcon": "falcon",
                        "deepseek_v3": "deepseek3", "yi": "yi"}


def dataset_names(dataset_dir: Path) -> list[str]:
    info = dataset_dir / "dataset_info.json"
    if not info.is_file():
        return []
    try:
        return sorted(json.loads(info.read_text()))
    except json.JSONDecodeError:
        return []


def past_runs(output_root: Path) -> list[str]:
    """Run folders (holding tuneforge_config.yaml) below output_root, newest first."""
    if not output_root.is_dir():
        return []
    runs = [p.parent for p in output_root.rglob(CONFIG_FILE) if ".webui-jobs" not in p.parts]
    return [str(p) for p in sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)]


def run_settings(run: Path) -> dict:
    return read_yaml(run / CONFIG_FILE) or {}


def guess_template(model: str) -> str | None:
    folder = Path(model)
    tiny = folder / "tuneforge_tiny.json"
    if tiny.is_file():
        return json.loads(tiny.read_text()).get("template")
    if (folder / CONFIG_FILE).is_file():
        return run_settings(folder).get("template")
    config = folder / "config.json"
    if config.is_file():
        return MODEL_TYPE_TEMPLATES.get(json.loads(config.read_text()).get("model_type", ""))
    name = model.lower()
    for key, template in (("qwen3", "qwen3"), ("qwen", "qwen"), ("llama-3", "llama3"), ("mistral", "mistral"),
                          ("gemma-3", "gemma3"), ("gemma", "gemma"), ("phi-3", "phi"), ("glm-4", "glm4")):
        if key in name:
            return template
    return None
