"""Golden renderings of the ChatML-family templates (families/chatml.py).
See golden.py for what each entry holds."""
from tests.templates.golden import Golden

GOLDEN = {
    "chatml_de": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "qwen3_5": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n")),
    "qwen3_5_nothink": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "qwen3_6": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n")),
    "cpm4": Golden(
        "<s><|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?"
        "<|im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n"
        "<|im_start|>assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "dbrx": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "falcon_h1": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "lfm2": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "opencoder": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "smollm": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "smollm2": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>"
        "assistant\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "sailor": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>question\nHello! What is 2+2?"
        "<|im_end|>\n<|im_start|>answer\n2+2 equals 4.<|im_end|>\n<|im_start|>question\nAnd 3+3?<|im_end|>\n"
        "<|im_start|>answer\n3+3 equals 6.<|im_end|>\n",
        ("2+2 equals 4.<|im_end|>\n", "3+3 equals 6.<|im_end|>\n")),
    "ernie": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n\n<|im_start|>user\nHello! What is 2+2?"
        "<|im_end|>\n\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n\n<|im_start|>user\nAnd 3+3?<|im_end|>\n\n"
        "<|im_start|>assistant\n3+3 equals 6.<|im_end|>\n\n",
        ("2+2 equals 4.<|im_end|>\n\n", "3+3 equals 6.<|im_end|>\n\n")),
    "mimo": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n<think>\n\n</think>\n\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?"
        "<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n",
        ("<think>\n\n</think>\n\n2+2 equals 4.<|im_end|>\n",
         "<think>\n\n</think>\n\n3+3 equals 6.<|im_end|>\n")),
    "mimo_v2": Golden(
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello! What is 2+2?<|im_end|>"
        "\n<|im_start|>assistant\n<think></think>2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n"
        "<|im_start|>assistant\n<think></think>3+3 equals 6.<|im_end|>\n",
        ("<think></think>2+2 equals 4.<|im_end|>\n", "<think></think>3+3 equals 6.<|im_end|>\n")),
    "moonlight": Golden(
        "<|im_system|>system<|im_middle|>You are a helpful assistant.<|im_end|><|im_user|>user<|im_middle|>Hello!"
        " What is 2+2?<|im_end|><|im_assistant|>assistant<|im_middle|>2+2 equals 4.<|im_end|><|im_user|>"
        "user<|im_middle|>And 3+3?<|im_end|><|im_assistant|>assistant<|im_middle|>3+3 equals 6.<|im_end|>",
        ("2+2 equals 4.<|im_end|>", "3+3 equals 6.<|im_end|>")),
}
