"""The few-shot prompt: a subject header, `n_shot` solved dev questions, then the question to answer.

Each example reads `question\\nA. ..\\nB. ..\\nC. ..\\nD. ..\\nAnswer:` (`\\n答案：` in Chinese) and its answer is
the letter. With a chat template the examples become alternating user/assistant turns (the header opens the
first user turn, as LLaMA-Factory does) and the prompt ends with the assistant header, so the letter is the
reply's first token. With `template: fewshot` (base models) nothing is chat-formatted: examples are joined by a
blank line and each answer is written ` A` after `Answer:`, as the original MMLU harness does — so the scored
tokens are then " A".." D" rather than "A".."D" (when the tokenizer has single tokens for " A".." D"; otherwise
the letter follows `Answer:` directly, as in LLaMA-Factory's fewshot template).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tuneforge.evaluate.benchmarks.readers import LETTERS, Question
from tuneforge.templates.render import render_prompt
from tuneforge.templates.spec import TemplateSpec

FEWSHOT = "fewshot"  # `template:` value meaning: plain text, no chat formatting


@dataclass(frozen=True)
class EvalTemplate:
    system: str  # formatted with {subject}
    choice: str  # formatted with {letter}, {content}
    answer: str

    def body(self, q: Question) -> str:
        """The question with its options and the answer cue, without the answer."""
        options = "".join(self.choice.format(letter=letter, content=text) for letter, text in zip(LETTERS,
                                                                                                  q.choices))
        return q.question + options + self.answer


EVAL_TEMPLATES: dict[str, EvalTemplate] = {
    "en": EvalTemplate("The following are multiple choice questions (with answers) about {subject}.\n\n",
                       "\n{letter}. {content}", "\nAnswer:"),
    "zh": EvalTemplate("以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案。\n\n",
                       "\n{letter}. {content}", "\n答案："),
}


def fewshot_messages(lang: str, target: Question, shots: Sequence[Question], subject: str) -> list[dict[str, str]]:
    """User/assistant turns: each shot with its answer, then the target question (no answer)."""
    template = EVAL_TEMPLATES[lang]
    messages: list[dict[str, str]] = []
    for shot in shots:
        messages += [{"role": "user", "content": template.body(shot)},
                     {"role": "assistant", "content": shot.answer}]
    messages.append({"role": "user", "content": template.body(target)})
    messages[0] = {"role": "user", "content": template.system.format(subject=subject) + messages[0]["content"]}
    return messages


def fewshot_text(lang: str, target: Question, shots: Sequence[Question], subject: str, prefix: str = " ") -> str:
    """The same prompt as plain text for base models (`template: fewshot`); `prefix` goes before each answer."""
    template = EVAL_TEMPLATES[lang]
    solved = "".join(f"{template.body(shot)}{prefix}{shot.answer}\n\n" for shot in shots)
    return template.system.format(subject=subject) + solved + template.body(target)


def answer_prefix(chat: TemplateSpec | str | None, tokenizer: Any) -> str:
    """What precedes the letter in the model's reply: nothing in a chat reply; in plain text a space when
    " A".." D" are single tokens (a base model's natural continuation of `Answer:`)."""
    if chat != FEWSHOT:
        return ""
    spaced = all(len(tokenizer.encode(" " + letter, add_special_tokens=False)) == 1 for letter in LETTERS)
    return " " if spaced else ""


def prompt_ids(tokenizer: Any, chat: TemplateSpec | str | None, lang: str, target: Question,
               shots: Sequence[Question], subject: str, prefix: str = "") -> list[int]:
    """Token ids of the prompt, ready for the next-token distribution over the answer letters."""
    if isinstance(chat, str):  # FEWSHOT
        text = fewshot_text(lang, target, shots, subject, prefix)
        return list(tokenizer(text, add_special_tokens=True)["input_ids"])
    return render_prompt(tokenizer, fewshot_messages(lang, target, shots, subject), template=chat)
