"""Golden renderings of the generic-format templates (families/generic.py).
See golden.py for what each entry holds."""
from tests.templates.golden import Golden

GOLDEN = {
    "fewshot": Golden(
        "You are a helpful assistant.Hello! What is 2+2?2+2 equals 4.\n\n</s>And 3+3?3+3 equals 6.\n\n</s>",
        ("2+2 equals 4.\n\n</s>", "3+3 equals 6.\n\n</s>")),
    "solar": Golden(
        "### System:\nYou are a helpful assistant.\n\n### User:\nHello! What is 2+2?\n\n### Assistant:\n2+2 equals 4."
        "</s>### User:\nAnd 3+3?\n\n### Assistant:\n3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "xuanyuan": Golden(
        "You are a helpful assistant.Human: Hello! What is 2+2? Assistant:2+2 equals 4.</s>Human: And 3+3?"
        " Assistant:3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "olmo": Golden(
        "<|endoftext|>You are a helpful assistant.<|user|>\nHello! What is 2+2?<|assistant|>\n2+2 equals 4."
        "<|endoftext|><|user|>\nAnd 3+3?<|assistant|>\n3+3 equals 6.<|endoftext|>",
        ("2+2 equals 4.<|endoftext|>", "3+3 equals 6.<|endoftext|>")),
    "starchat": Golden(
        "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello! What is 2+2?<|end|>\n<|assistant|>"
        "2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>3+3 equals 6.<|end|>\n",
        ("2+2 equals 4.<|end|>\n", "3+3 equals 6.<|end|>\n")),
    "index": Golden(
        "<unk>You are a helpful assistant.reserved_0Hello! What is 2+2?reserved_12+2 equals 4.</s>reserved_0And 3+3?"
        "reserved_13+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "telechat2": Golden(
        "<_system>You are a helpful assistant.<_user>Hello! What is 2+2?<_bot>2+2 equals 4.<_end><_user>And 3+3?"
        "<_bot>3+3 equals 6.<_end>",
        ("2+2 equals 4.<_end>", "3+3 equals 6.<_end>")),
}
