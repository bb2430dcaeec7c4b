"""Training imports only what training uses: no web UI, server, client or evaluation stacks, so a run starts
fast and its resident memory holds the trainer alone."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import DATA_DIR

NOT_AT_TRAIN_TIME = ("gradio", "fastapi", "uvicorn", "starlette", "openai", "jieba", "nltk", "rouge_chinese",
                     "matplotlib", "llama_cpp", "gguf")


def test_a_training_run_imports_no_ui_server_or_evaluation_stack(tiny_qwen, tmp_path):
    config = {"model_name_or_path": str(tiny_qwen), "stage": "sft", "finetuning_type": "lora",
              "dataset": "alpaca_sample", "dataset_dir": str(DATA_DIR), "template": "qwen", "cutoff_len": 64,
              "max_steps": 1, "output_dir": str(tmp_path / "out"), "report_to": "none", "disable_tqdm": True}
    script = ("import json, sys, tuneforge; tuneforge.train(json.loads(sys.argv[1])); "
              "print('MODULES', json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", script, json.dumps(config)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("MODULES "))
    loaded = set(json.loads(line[len("MODULES "):]))
    assert "torch" in loaded and "transformers" in loaded  # it did train
    assert not loaded & set(NOT_AT_TRAIN_TIME), sorted(loaded & set(NOT_AT_TRAIN_TIME))
