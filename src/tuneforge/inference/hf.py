"""Hugging Face engine: base model (+ LoRA adapter, unmerged) + template → replies.

A run folder is enough to chat with: its tuneforge_config.yaml names the base model and template, and the
folder itself holds the adapter (or the full model) and the tokenizer saved with the template.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuneforge.artifacts.run_dir import CONFIG_FILE, RunDir
from tuneforge.config.model import ModelConfig
from tuneforge.model.load import load_model, load_tokenizer
from tuneforge.templates.registry import get_template
from tuneforge.templates.render import render_prompt
from tuneforge.templates.spec import TemplateSpec


@dataclass
class HFEngine:
    model: object
    tokenizer: object
    template: TemplateSpec | None

    @classmethod
    def load(cls, path: str | Path, template: str | None = None) -> HFEngine:
        """From a run folder (adapter or full model) or a plain model folder."""
        path = Path(path)
        if (path / CONFIG_FILE).is_file():
            run = RunDir.open(path)
            config = run.config
            template = template or config.get("template")
            if run.is_adapter:
                from peft import PeftModel

                base = load_model(ModelConfig(model_name_or_path=config["model_name_or_path"]), on_gpu=False,
                                  for_training=False)
                tokenizer = load_tokenizer(ModelConfig(model_name_or_path=str(path)))
                if len(tokenizer) != base.get_input_embeddings().num_embeddings:
                    base.resize_token_embeddings(len(tokenizer))
                model = PeftModel.from_pretrained(base, str(path))
                return cls(model.eval(), tokenizer, get_template(template) if template else None)
        mc = ModelConfig(model_name_or_path=str(path))
        model = load_model(mc, on_gpu=False, for_training=False)
        return cls(model.eval(), load_tokenizer(mc), get_template(template) if template else None)

    def stop_token_ids(self) -> list[int]:
        """The template's end-of-turn tokens (generation must stop there, whatever the base model says)."""
        words = self.template.stop_words if self.template else ()
        ids = [self.tokenizer.convert_tokens_to_ids(w) for w in words]
        ids = [i for i in ids if i is not None and i != self.tokenizer.unk_token_id]
        return ids or [self.tokenizer.eos_token_id]

    def chat(self, messages: list[dict], *, max_new_tokens: int = 64, do_sample: bool = False) -> str:
        import torch

        ids = render_prompt(self.tokenizer, messages, template=self.template)
        with torch.no_grad():
            output = self.model.generate(input_ids=torch.tensor([ids]), max_new_tokens=max_new_tokens,
                                         do_sample=do_sample, pad_token_id=self.tokenizer.pad_token_id,
                                         eos_token_id=self.stop_token_ids())
        return self.tokenizer.decode(output[0, len(ids):], skip_special_tokens=True).strip()
