"""Issue 18, definition of done 4: LLaMA Pro — `tuneforge expand-blocks` inserts identity blocks, so the
expanded model computes what the original did; `use_llama_pro` then trains only the new blocks."""
from __future__ import annotations

import pytest

from tests.conftest import sft_config


@pytest.fixture(scope="module")
def four_layer_llama(tmp_path_factory):
    from tuneforge.model.tiny import TinyModelSpec, make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "llama4",
                           TinyModelSpec(arch="llama", template="llama3", hidden_size=64, intermediate_size=128,
                                         num_layers=4, num_heads=4, num_kv_heads=2))


def test_expanded_model_equals_the_original_and_only_new_blocks_train(four_layer_llama, tmp_path, capsys):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    import tuneforge
    from tuneforge.cli.main import main

    expanded = tmp_path / "pro"
    assert main(["expand-blocks", str(four_layer_llama), str(expanded), "--num-expand", "2"]) == 0
    assert "new ones [2, 5]" in capsys.readouterr().out
    ids = torch.randint(5, 300, (1, 40))
    with torch.no_grad():
        before = AutoModelForCausalLM.from_pretrained(str(four_layer_llama)).eval()(input_ids=ids).logits
        after = AutoModelForCausalLM.from_pretrained(str(expanded)).eval()(input_ids=ids).logits
    assert AutoModelForCausalLM.from_pretrained(str(expanded)).config.num_hidden_layers == 6
    assert torch.allclose(before, after, atol=1e-6)  # the new blocks add nothing until trained

    run = tuneforge.train(sft_config(expanded, tmp_path / "run", finetuning_type="freeze",
                                     use_llama_pro=True, freeze_trainable_layers=2, template="llama3",
                                     max_steps=4, learning_rate=1e-2)).path
    start, trained = load_file(str(expanded / "model.safetensors")), load_file(str(run / "model.safetensors"))
    changed = {name for name in start if not torch.equal(start[name], trained[name])}
    assert changed and all(name.startswith(("model.layers.2.", "model.layers.5.")) for name in changed), changed
    assert any(n.startswith("model.layers.2.") for n in changed) and any(n.startswith("model.layers.5.") for n in changed)


def test_llama_pro_needs_freeze_and_a_matching_block_count(four_layer_llama, tmp_path):
    from tuneforge.cli.main import main
    from tuneforge.config.load import load_run_config
    from tuneforge.core.errors import UserError

    with pytest.raises(UserError, match="use_llama_pro — needs finetuning_type freeze"):
        load_run_config(sft_config(four_layer_llama, tmp_path, use_llama_pro=True))
    assert main(["expand-blocks", str(four_layer_llama), str(tmp_path / "x"), "--num-expand", "3"]) == 2
