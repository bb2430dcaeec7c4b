"""RewardScorer: a reward model trained by stage rm → one scalar per conversation (higher = better answer).
Used by the API server's /v1/score/evaluation. A conversation is rendered exactly as the reward model saw its
training pairs: the template's rendering up to the end-of-turn token of the final assistant message."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.encode.pairwise import encode_answer
from tuneforge.model.reward import RewardModel, load_reward_model
from tuneforge.templates.registry import get_template
from tuneforge.templates.spec import TemplateSpec


@dataclass
class RewardScorer:
    reward: RewardModel
    template: TemplateSpec | None

    @classmethod
    def load(cls, run_dir: str | Path, template: str | None = None, on_gpu: bool = False) -> RewardScorer:
        reward = load_reward_model(run_dir, on_gpu=on_gpu, field="model_name_or_path")
        name = template or reward.template
        return cls(reward, get_template(name) if name else None)

    def encode(self, conversation: list[dict]) -> list[int]:
        if not conversation or conversation[-1].get("role") != "assistant":
            raise UserError("a conversation to score must end with an assistant message", field="messages")
        prompt, answer = encode_answer(self.reward.tokenizer, self.template, list(conversation[:-1]),
                                       conversation[-1])
        return prompt + answer

    def score(self, conversations: list[list[dict]], batch_size: int = 8) -> list[float]:
        return self.reward.score_ids([self.encode(c) for c in conversations], batch_size=batch_size)

    def score_texts(self, texts: list[str], max_length: int | None = None) -> list[float]:
        """Whole texts scored as given (LLaMA-Factory's request shape), cut to max_length tokens."""
        tokenizer = self.reward.tokenizer
        ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        if any(not row for row in ids):
            raise UserError("cannot score an empty text", field="messages")
        return self.reward.score_ids([row[:max_length] if max_length else row for row in ids])
