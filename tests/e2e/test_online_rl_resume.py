"""Definition of done 5 of online RL: `tuneforge train` of stage grpo or ppo, killed with SIGKILL mid-run and
run again with the same command, resumes from the last complete checkpoint and ends with the weights of a
run that was never interrupted (CPU, fixed seed): the sampled completions, the rewards, the value head and
PPO's adaptive KL coefficient all continue where the checkpoint left them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from safetensors.torch import load_file

from tests.e2e.test_crash_resume import _kill_when, _logged_steps, _run, _start
from tests.training.rl_support import reward_file, rl_config

pytestmark = pytest.mark.slow
STEPS, SAVE_EVERY = 12, 4


def _weights(out: Path) -> dict:
    tensors = load_file(str(out / "adapter_model.safetensors"))
    if (out / "value_head.safetensors").is_file():
        tensors.update({f"value_head.{k}": v for k, v in load_file(str(out / "value_head.safetensors")).items()})
    return tensors


@pytest.mark.parametrize("stage, extra", [("grpo", {"num_iterations": 2, "beta": 0.05}),
                                          ("ppo", {"ppo_epochs": 2, "gradient_accumulation_steps": 2,
                                                   "per_device_train_batch_size": 4})])
def test_sigkill_then_rerun_ends_with_the_uninterrupted_weights(tiny_qwen, tmp_path, stage, extra):
    rewards_py = reward_file(tmp_path / "rewards")
    configs = {}
    for name in ("reference", "crashed"):
        cfg = rl_config(tiny_qwen, tmp_path / name, stage, f"{rewards_py}:e_share", max_steps=STEPS,
                        save_steps=SAVE_EVERY, lr_scheduler_type="cosine", warmup_steps=2, **extra)
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(cfg))
    assert _run(configs["reference"], tmp_path / "reference.log") == 0, (tmp_path / "reference.log").read_text()[-3000:]

    out, log = tmp_path / "crashed", tmp_path / "crashed.log"
    proc = _start(configs["crashed"], log)
    _kill_when(proc, lambda: _logged_steps(out) >= SAVE_EVERY + 2, f"step {SAVE_EVERY + 2} was logged")
    assert (out / f"checkpoint-{SAVE_EVERY}" / "trainer_state.json").is_file()
    assert not (out / "adapter_model.safetensors").exists()  # it really stopped mid-run
    assert _run(configs["crashed"], log) == 0, log.read_text()[-3000:]
    assert f"checkpoint-{SAVE_EVERY}" in log.read_text()

    a, b = _weights(tmp_path / "reference"), _weights(out)
    assert a.keys() == b.keys()
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst <= 1e-5, f"the resumed {stage} run differs from the uninterrupted one by {worst}"
