"""Definition of done 3: after training on the identity set, greedy generation answers "who are you" with the
trained name; the base model did not."""
from __future__ import annotations

import tuneforge
from tests.conftest import sft_config


def test_identity_finetune_changes_the_answer(learner_qwen, tmp_path):
    from tuneforge.inference.hf import HFEngine

    question = [{"role": "user", "content": "Who are you?"}]
    before = HFEngine.load(learner_qwen, template="qwen").chat(question, max_new_tokens=24)
    assert "Forge" not in before
    run = tuneforge.train(sft_config(learner_qwen, tmp_path / "identity", dataset="identity", lora_rank=16,
                                     learning_rate=5e-3, num_train_epochs=25, lr_scheduler_type="cosine"))
    after = HFEngine.load(run.path).chat(question, max_new_tokens=24)
    assert "Forge" in after, after
    chinese = HFEngine.load(run.path).chat([{"role": "user", "content": "你是谁？"}], max_new_tokens=24)
    assert "Forge" in chinese, chinese
