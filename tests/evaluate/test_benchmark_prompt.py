"""The few-shot prompt for a fixture subject equals a hand-written string, in English and Chinese, through the
chat template and as plain text (`template: fewshot`)."""
from __future__ import annotations

from pathlib import Path

from tuneforge.config.model import ModelConfig
from tuneforge.evaluate.benchmarks.prompt import FEWSHOT, answer_prefix, fewshot_text, prompt_ids
from tuneforge.evaluate.benchmarks.readers import LAYOUTS, read_questions
from tuneforge.model.load import load_tokenizer
from tuneforge.templates.registry import get_template

FIXTURES = Path(__file__).parent / "fixtures"


def _philosophy():
    dev = read_questions(LAYOUTS["mmlu"], FIXTURES / "mmlu", "philosophy", "dev")
    return read_questions(LAYOUTS["mmlu"], FIXTURES / "mmlu", "philosophy", "test")[0], dev[:2]


def _history():
    dev = read_questions(LAYOUTS["cmmlu"], FIXTURES / "cmmlu", "chinese_history", "dev")
    return read_questions(LAYOUTS["cmmlu"], FIXTURES / "cmmlu", "chinese_history", "test")[0], dev[:2]


EN_CHAT = (
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\nThe following are multiple choice questions (with answers) about philosophy.\n\n"
    "Who wrote the Republic?\nA. Aristotle\nB. Plato\nC. Kant\nD. Hume\nAnswer:<|im_end|>\n"
    "<|im_start|>assistant\nB<|im_end|>\n"
    "<|im_start|>user\nWhich branch of philosophy studies knowledge?\nA. ethics\nB. aesthetics\nC. epistemology\n"
    "D. logic\nAnswer:<|im_end|>\n"
    "<|im_start|>assistant\nC<|im_end|>\n"
    "<|im_start|>user\nWhich philosopher taught Alexander the Great?\nA. Socrates\nB. Plato\nC. Aristotle\n"
    "D. Zeno\nAnswer:<|im_end|>\n"
    "<|im_start|>assistant\n")

ZH_CHAT = (
    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
    "<|im_start|>user\n以下是中国关于中国历史考试的单项选择题，请选出其中的正确答案。\n\n"
    "秦朝的第一位皇帝是谁？\nA. 汉武帝\nB. 秦始皇\nC. 唐太宗\nD. 宋太祖\n答案：<|im_end|>\n"
    "<|im_start|>assistant\nB<|im_end|>\n"
    "<|im_start|>user\n唐朝的都城是哪里？\nA. 长安\nB. 南京\nC. 北京\nD. 杭州\n答案：<|im_end|>\n"
    "<|im_start|>assistant\nA<|im_end|>\n"
    "<|im_start|>user\n孔子是哪个学派的创始人？\nA. 儒家\nB. 道家\nC. 法家\nD. 墨家\n答案：<|im_end|>\n"
    "<|im_start|>assistant\n")

EN_TEXT = (
    "The following are multiple choice questions (with answers) about philosophy.\n\n"
    "Who wrote the Republic?\nA. Aristotle\nB. Plato\nC. Kant\nD. Hume\nAnswer: B\n\n"
    "Which branch of philosophy studies knowledge?\nA. ethics\nB. aesthetics\nC. epistemology\nD. logic\n"
    "Answer: C\n\n"
    "Which philosopher taught Alexander the Great?\nA. Socrates\nB. Plato\nC. Aristotle\nD. Zeno\nAnswer:")

ZH_TEXT = (
    "以下是中国关于中国历史考试的单项选择题，请选出其中的正确答案。\n\n"
    "秦朝的第一位皇帝是谁？\nA. 汉武帝\nB. 秦始皇\nC. 唐太宗\nD. 宋太祖\n答案：B\n\n"
    "唐朝的都城是哪里？\nA. 长安\nB. 南京\nC. 北京\nD. 杭州\n答案：A\n\n"
    "孔子是哪个学派的创始人？\nA. 儒家\nB. 道家\nC. 法家\nD. 墨家\n答案：")


def test_chat_prompts_equal_the_hand_written_strings(tiny_qwen):
    tokenizer = load_tokenizer(ModelConfig(model_name_or_path=str(tiny_qwen)))
    qwen = get_template("qwen")
    target, shots = _philosophy()
    ids = prompt_ids(tokenizer, qwen, "en", target, shots, "philosophy")
    assert tokenizer.decode(ids) == EN_CHAT
    target, shots = _history()
    assert tokenizer.decode(prompt_ids(tokenizer, qwen, "zh", target, shots, "中国历史")) == ZH_CHAT
    # template omitted: the tokenizer's own chat template (here the same qwen layout)
    assert prompt_ids(tokenizer, None, "zh", target, shots, "中国历史") == \
           prompt_ids(tokenizer, qwen, "zh", target, shots, "中国历史")


def test_fewshot_text_equals_the_hand_written_strings(tiny_qwen):
    target, shots = _philosophy()
    assert fewshot_text("en", target, shots, "philosophy", prefix=" ") == EN_TEXT
    target, shots = _history()
    assert fewshot_text("zh", target, shots, "中国历史", prefix="") == ZH_TEXT
    tokenizer = load_tokenizer(ModelConfig(model_name_or_path=str(tiny_qwen)))
    prefix = answer_prefix(FEWSHOT, tokenizer)
    # The space goes before the letter only where the tokenizer has " A".." D" as single tokens.
    assert prefix == ("" if any(len(tokenizer.encode(" " + x, add_special_tokens=False)) > 1 for x in "ABCD")
                      else " ")
    ids = prompt_ids(tokenizer, FEWSHOT, "zh", target, shots, "中国历史", prefix)
    assert tokenizer.decode(ids) == fewshot_text("zh", target, shots, "中国历史", prefix)
