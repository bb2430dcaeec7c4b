"""Definition of done 1–3 on the synthetic polite/rude preference data and the hidden-256 learner model:
rm reaches pairwise accuracy ≥ 0.9 (≈ chance before); dpo (sigmoid), ipo, orpo and simpo raise the reward
margin and the policy's log-prob of chosen over rejected answers; kto moves rewards in the right directions.
Each run also leaves the SFT outputs (adapter, tokenizer + template, trainer_log.jsonl with the stage's
metrics, plots, tuneforge_config.yaml, finished mark)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import tuneforge
from tests.training.test_preference_data import pref_config, write_preference_data
from tuneforge.config.data import DataConfig
from tuneforge.config.model import ModelConfig
from tuneforge.config.stages import ExampleKind, stage_needs
from tuneforge.data.load import load_data
from tuneforge.encode.options import EncodeOptions
from tuneforge.encode.pairwise import encode_pair
from tuneforge.model.load import load_model, load_tokenizer
from tuneforge.templates.registry import get_template


@pytest.fixture(scope="module")
def pref_data(tmp_path_factory) -> Path:
    return write_preference_data(tmp_path_factory.mktemp("prefdata"), n=32)


def logged(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "trainer_log.jsonl").read_text().splitlines()]


def series(run_dir: Path, key: str) -> list[float]:
    return [row[key] for row in logged(run_dir) if key in row and "train_runtime" not in row]


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def encoded_pairs(model: Path, data: Path) -> tuple[object, list]:
    tokenizer = load_tokenizer(ModelConfig(model_name_or_path=str(model)))
    pairs = load_data(DataConfig(dataset="polite_pairs", dataset_dir=str(data)), stage=stage_needs("dpo"), seed=0).train
    options = EncodeOptions(kind=ExampleKind.PAIR, cutoff_len=128)
    return tokenizer, [encode_pair(p, tokenizer, get_template("qwen"), options) for p in pairs]


def logp_gap(model, encoded) -> float:
    """Mean over pairs of log π(chosen) − log π(rejected), summed over answer tokens."""
    import torch

    def logp(prompt, answer):
        ids = torch.tensor([prompt + answer])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, len(prompt) - 1:-1]
        return torch.log_softmax(logits.float(), -1).gather(-1, torch.tensor(answer)[:, None]).sum().item()

    return mean(logp(e.prompt_ids, e.chosen_ids) - logp(e.prompt_ids, e.rejected_ids) for e in encoded)


def assert_sft_like_outputs(run_dir: Path, metrics: tuple[str, ...]) -> None:
    assert (run_dir / "adapter_model.safetensors").is_file()
    assert "im_start" in (run_dir / "chat_template.jinja").read_text()  # template saved with the tokenizer
    assert (run_dir / "training_loss.png").is_file()
    for key in metrics:
        assert series(run_dir, key), key
        assert (run_dir / f"training_{key.replace('/', '_')}.png").is_file()
    run = tuneforge.artifacts.run_dir.RunDir.open(run_dir)
    assert run.info["finished"] is True and run.run_config().finetune.stage in ("rm", "dpo", "kto")


def test_rm_pairwise_accuracy(learner_qwen, pref_data, tmp_path):
    from tuneforge.inference.reward import RewardScorer
    from tuneforge.model.reward import RewardModel, load_score_model

    tokenizer, encoded = encoded_pairs(learner_qwen, pref_data)

    def accuracy(reward: RewardModel) -> float:
        chosen = reward.score_ids([e.prompt_ids + e.chosen_ids for e in encoded])
        rejected = reward.score_ids([e.prompt_ids + e.rejected_ids for e in encoded])
        return mean(c > r for c, r in zip(chosen, rejected))

    import transformers
    transformers.set_seed(0)
    untrained = RewardModel(load_score_model(ModelConfig(model_name_or_path=str(learner_qwen)), on_gpu=False,
                                             pad_token_id=tokenizer.pad_token_id).eval(), tokenizer, "qwen")
    before = accuracy(untrained)
    run = tuneforge.train(pref_config(learner_qwen, pref_data, tmp_path / "rm", "rm", max_steps=10,
                                      per_device_train_batch_size=4, plot_loss=True))
    scorer = RewardScorer.load(run.path)
    after = accuracy(scorer.reward)
    print(f"rm pairwise accuracy: before {before:.2f}, after {after:.2f}")
    assert after >= 0.9 and after > before
    assert_sft_like_outputs(run.path, ("accuracy",))
    polite, rude = scorer.score([[{"role": "user", "content": "Can you help me with a poem?"},
                                  {"role": "assistant", "content": content}]
                                 for content in ("Sure, glad to help with a poem!", "No. Go away.")])
    assert polite > rude


@pytest.mark.parametrize("loss,lr", [("sigmoid", 2e-3), ("ipo", 2e-3), ("orpo", 5e-3), ("simpo", 5e-3)])
def test_dpo_family_raises_margin_and_chosen_logp(learner_qwen, pref_data, tmp_path, loss, lr):
    from peft import PeftModel

    run = tuneforge.train(pref_config(learner_qwen, pref_data, tmp_path / loss, "dpo", pref_loss=loss,
                                      learning_rate=lr, max_steps=8, per_device_train_batch_size=4,
                                      plot_loss=loss == "sigmoid"))
    margins = series(run.path, "rewards/margins")
    print(loss, "margins", [round(m, 3) for m in margins])
    assert mean(margins[-3:]) > mean(margins[:3]) and margins[-1] > 0
    _, encoded = encoded_pairs(learner_qwen, pref_data)
    base = load_model(ModelConfig(model_name_or_path=str(learner_qwen)), on_gpu=False, for_training=False).eval()
    before = logp_gap(base, encoded)
    after = logp_gap(PeftModel.from_pretrained(base, str(run.path)).eval(), encoded)
    print(loss, f"log-prob gap chosen - rejected: before {before:.2f}, after {after:.2f}")
    assert after > before + 1.0
    if loss == "sigmoid":
        assert_sft_like_outputs(run.path, ("rewards/chosen", "rewards/rejected", "rewards/accuracies",
                                           "rewards/margins"))
        assert not (run.path / "ref").exists()  # the reference was the adapter disabled, not a copy


def test_kto_moves_rewards_apart(learner_qwen, pref_data, tmp_path):
    run = tuneforge.train(pref_config(learner_qwen, pref_data, tmp_path / "kto", "kto", learning_rate=2e-3,
                                      max_steps=6, plot_loss=True))
    chosen, rejected = series(run.path, "rewards/chosen"), series(run.path, "rewards/rejected")
    print("kto chosen", [round(c, 3) for c in chosen], "rejected", [round(r, 3) for r in rejected])
    assert mean(chosen[-2:]) > 0 > mean(rejected[-2:])
    assert chosen[-1] > chosen[0] and rejected[-1] < rejected[0]
    assert_sft_like_outputs(run.path, ("rewards/chosen", "rewards/rejected"))


@pytest.mark.parametrize("loss,metric", [("hinge", "rewards/margins"), ("kto_pair", "kl")])
def test_other_pref_losses_run(tiny_qwen, pref_data, tmp_path, loss, metric):
    """hinge (a DPOTrainer loss) and kto_pair (pairs unpaired into KTO) run and log their metrics."""
    run = tuneforge.train(pref_config(tiny_qwen, pref_data, tmp_path / loss, "dpo", pref_loss=loss, max_steps=2,
                                      per_device_train_batch_size=4))
    assert len(series(run.path, metric)) == 2
    assert run.info["finished"] is True and run.run_config().preference.pref_loss == loss
