"""Golden renderings of the Llama / Mistral / Gemma-family templates (families/llama.py).
See golden.py for what each entry holds."""
from tests.templates.golden import Golden

GOLDEN = {
    "llama2_zh": Golden(
        "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! What is 2+2? [/INST] 2+2 equals 4. </s>"
        "<s>[INST] And 3+3? [/INST] 3+3 equals 6. </s>",
        (" 2+2 equals 4. </s>", " 3+3 equals 6. </s>")),
    "llama4": Golden(
        "<|begin_of_text|><|header_start|>system<|header_end|>\n\nYou are a helpful assistant.<|eot|><|header_start|>"
        "user<|header_end|>\n\nHello! What is 2+2?<|eot|><|header_start|>assistant<|header_end|>\n\n2+2 equals 4."
        "<|eot|><|header_start|>user<|header_end|>\n\nAnd 3+3?<|eot|><|header_start|>assistant<|header_end|>\n\n"
        "3+3 equals 6.<|eot|>",
        ("2+2 equals 4.<|eot|>", "3+3 equals 6.<|eot|>")),
    "openchat-3.6": Golden(
        "<|begin_of_text|>You are a helpful assistant.<|start_header_id|>GPT4 Correct User<|end_header_id|>\n\nHello!"
        " What is 2+2?<|eot_id|><|start_header_id|>GPT4 Correct Assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|>"
        "<|start_header_id|>GPT4 Correct User<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>"
        "GPT4 Correct Assistant<|end_header_id|>\n\n3+3 equals 6.<|eot_id|>",
        ("2+2 equals 4.<|eot_id|>", "3+3 equals 6.<|eot_id|>")),
    "ministral": Golden(
        "<s>[INST]You are a helpful assistant.\n\nHello! What is 2+2?[/INST]2+2 equals 4.</s>[INST]And 3+3?"
        "[/INST]3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "ministral3": Golden(
        "<s>[INST]You are a helpful assistant.\n\nHello! What is 2+2?[/INST]2+2 equals 4.</s>[INST]And 3+3?"
        "[/INST]3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "mistral_small": Golden(
        "<s>[SYSTEM_PROMPT]You are a helpful assistant.[/SYSTEM_PROMPT][INST]Hello! What is 2+2?[/INST]2+2 equals 4."
        "</s>[INST]And 3+3?[/INST]3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "breeze": Golden(
        "<s>You are a helpful assistant.[INST] Hello! What is 2+2? [/INST] 2+2 equals 4.</s>[INST] And 3+3?"
        " [/INST] 3+3 equals 6.</s>",
        ("2+2 equals 4.</s>", "3+3 equals 6.</s>")),
    "openchat": Golden(
        "<s>You are a helpful assistant.GPT4 Correct User: Hello! What is 2+2?<|end_of_turn|>"
        "GPT4 Correct Assistant: 2+2 equals 4.<|end_of_turn|>GPT4 Correct User: And 3+3?<|end_of_turn|>"
        "GPT4 Correct Assistant: 3+3 equals 6.<|end_of_turn|>",
        (" 2+2 equals 4.<|end_of_turn|>", " 3+3 equals 6.<|end_of_turn|>")),
    "gemma2": Golden(
        "<bos><start_of_turn>user\nYou are a helpful assistant.\n\nHello! What is 2+2?<end_of_turn>\n<start_of_turn>"
        "model\n2+2 equals 4.<end_of_turn>\n<start_of_turn>user\nAnd 3+3?<end_of_turn>\n<start_of_turn>model\n"
        "3+3 equals 6.<end_of_turn>\n",
        ("2+2 equals 4.<end_of_turn>\n", "3+3 equals 6.<end_of_turn>\n")),
}
