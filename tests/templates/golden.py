"""Golden renderings of the templates added after the first 35: for each, the exact text of a system message and
two user/assistant turns (`SYSTEM` + `TURNS` from support.py) and the text of each trained span, with a tiny
byte-level tokenizer holding the family's tokens (`tiny_tokenizer_for`).

They were derived from LLaMA-Factory 0.9.5's format definitions (`format_prefix` + `format_system` +
`format_user` → prompt, `format_assistant` → trained reply) with tuneforge's documented conventions applied:
- `efficient_eos` templates write their end-of-turn token after each reply and train it (LLaMA-Factory trains
  the tokenizer's eos there without writing it between turns): `<|endoftext|>` for bailing, eos_token for breeze,
  index, solar, fewshot and gpt_oss; GLM templates (glm4_moe, glmz1, glm4_7, aeva) train the `<|user|>` that opens
  the next turn, as glm4 does; bailing_v2 and gemma2 end with `<|role_end|>` / `<end_of_turn>\\n`;
- reasoning templates that follow LLaMA-Factory's ReasoningTemplate give a reply without a think block an empty
  one (trained); qwen3_5/qwen3_6 use Qwen3's official layout (an empty block only in the last turn) and
  glm4_moe GLM-4.5's official think block ("\\n<think></think>\\n");
- openchat trains the space after "GPT4 Correct Assistant:" (official layout); openchat-3.6 ends with
  <|eot_id|>; phi_small starts with its bos <|endoftext|>; llama2_zh is the llama2 layout.
The generation prompt for `SYSTEM + TURNS[:3]` is the golden text up to the last trained span.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Golden:
    text: str  # SYSTEM + TURNS rendered
    runs: tuple[str, ...]  # the text of each trained span, in order

    @property
    def prompt(self) -> str:
        return self.text[:self.text.rindex(self.runs[-1])]


def all_goldens() -> dict[str, Golden]:
    from tests.templates import golden_chatml, golden_generic, golden_llama, golden_others

    merged: dict[str, Golden] = {}
    for module in (golden_generic, golden_chatml, golden_llama, golden_others):
        assert not set(merged) & set(module.GOLDEN)
        merged |= module.GOLDEN
    return merged
