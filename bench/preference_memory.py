"""Peak memory (RSS) of DPO with LoRA — the reference is the policy with its adapter disabled — against full-model
DPO, where TRL keeps a separate reference copy. Each run is a fresh subprocess; its peak RSS is VmHWM (not
ru_maxrss, which exec carries over from the parent). Usage: python bench/preference_memory.py [--hidden 768 --layers 6 --steps 3]"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys
sys.path.insert(0, {repo!r})
import tuneforge
from tests.training.test_preference_data import pref_config
from tests.scale.rss_probe import peak_rss
cfg = pref_config({model!r}, {data!r}, {out!r}, "dpo", finetuning_type={kind!r}, max_steps={steps},
                  per_device_train_batch_size=4, learning_rate=1e-5)
tuneforge.train(cfg)
print("PEAK_RSS_KB", peak_rss() // 1024)
"""


def peak_rss_mb(kind: str, model: Path, data: Path, out: Path, steps: int) -> float:
    code = CHILD.format(repo=str(REPO), model=str(model), data=str(data), out=str(out / kind), kind=kind,
                        steps=steps)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("PEAK_RSS_KB"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", type=int, default=768)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from tests.training.test_preference_data import write_preference_data
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        model = make_tiny_model(root / "model", TinyModelSpec(arch="qwen2", template="qwen", hidden_size=args.hidden,
                                                              intermediate_size=args.hidden * 4,
                                                              num_layers=args.layers, num_heads=8, num_kv_heads=4))
        data = write_preference_data(root / "data", n=16)
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(model)
        params = (config.vocab_size * config.hidden_size * 2 + config.num_hidden_layers *
                  (4 * config.hidden_size ** 2 + 3 * config.hidden_size * config.intermediate_size)) / 1e6
        figures = {kind: peak_rss_mb(kind, model, data, root / "out", args.steps) for kind in ("lora", "full")}
    print(json.dumps({"model_params_millions_approx": round(params, 1), "peak_rss_mb": figures,
                      "full_over_lora_mb": round(figures["full"] - figures["lora"], 1)}, indent=1))


if __name__ == "__main__":
    main()
