"""Golden renderings of the other families' templates (families/others.py).
See golden.py for what each entry holds."""
from tests.templates.golden import Golden

GOLDEN = {
    "glm4_moe": Golden(
        "[gMASK]<sop><|system|>\nYou are a helpful assistant.<|user|>\nHello! What is 2+2?<|assistant|>\n<think>"
        "</think>\n2+2 equals 4.<|user|>\nAnd 3+3?<|assistant|>\n<think></think>\n3+3 equals 6.<|user|>",
        ("\n<think></think>\n2+2 equals 4.<|user|>", "\n<think></think>\n3+3 equals 6.<|user|>")),
    "glmz1": Golden(
        "[gMASK]<sop><|system|>\nYou are a helpful assistant.<|user|>\nHello! What is 2+2?<|assistant|><think>\n\n"
        "</think>\n\n\n2+2 equals 4.<|user|>\nAnd 3+3?<|assistant|><think>\n\n</think>\n\n\n3+3 equals 6.<|user|>",
        ("<think>\n\n</think>\n\n\n2+2 equals 4.<|user|>", "<think>\n\n</think>\n\n\n3+3 equals 6.<|user|>")),
    "glm4_7": Golden(
        "[gMASK]<sop><|system|>\nYou are a helpful assistant.<|user|>\nHello! What is 2+2?<|assistant|></think>\n"
        "2+2 equals 4.<|user|>\nAnd 3+3?<|assistant|></think>\n3+3 equals 6.<|user|>",
        ("</think>\n2+2 equals 4.<|user|>", "</think>\n3+3 equals 6.<|user|>")),
    "aeva": Golden(
        "[gMASK]<sop><|system|>\nYou are a helpful assistant.<|user|>\nHello! What is 2+2?<|assistant|></think>\n"
        "2+2 equals 4.<|user|>\nAnd 3+3?<|assistant|></think>\n3+3 equals 6.<|user|>",
        ("</think>\n2+2 equals 4.<|user|>", "</think>\n3+3 equals 6.<|user|>")),
    "deepseekcoder": Golden(
        "<｜begin▁of▁sentence｜>You are a helpful assistant.### Instruction:\nHello! What is 2+2?\n### Response:\n"
        "2+2 equals 4.\n<|EOT|>\n### Instruction:\nAnd 3+3?\n### Response:\n3+3 equals 6.\n<|EOT|>\n",
        ("\n2+2 equals 4.\n<|EOT|>\n", "\n3+3 equals 6.\n<|EOT|>\n")),
    "hunyuan": Golden(
        "<|startoftext|>You are a helpful assistant.<|extra_4|>Hello! What is 2+2?<|extra_0|>2+2 equals 4.<|eos|>"
        "And 3+3?<|extra_0|>3+3 equals 6.<|eos|>",
        ("2+2 equals 4.<|eos|>", "3+3 equals 6.<|eos|>")),
    "hunyuan_small": Golden(
        "<｜hy_begin▁of▁sentence｜>You are a helpful assistant.<｜hy_place▁holder▁no▁3｜><｜hy_User｜>Hello!"
        " What is 2+2?<｜hy_place▁holder▁no▁8｜>2+2 equals 4.<｜hy_place▁holder▁no▁2｜><｜hy_User｜>And 3+3?"
        "<｜hy_place▁holder▁no▁8｜>3+3 equals 6.<｜hy_place▁holder▁no▁2｜>",
        ("2+2 equals 4.<｜hy_place▁holder▁no▁2｜>", "3+3 equals 6.<｜hy_place▁holder▁no▁2｜>")),
    "hy3": Golden(
        "You are a helpful assistant.<｜hy_User｜>Hello! What is 2+2?<｜hy_Assistant｜><think></think>2+2 equals 4."
        "<｜hy_eos｜><｜hy_User｜>And 3+3?<｜hy_Assistant｜><think></think>3+3 equals 6.<｜hy_eos｜>",
        ("<think></think>2+2 equals 4.<｜hy_eos｜>", "<think></think>3+3 equals 6.<｜hy_eos｜>")),
    "youtu": Golden(
        "You are a helpful assistant.<|User|>Hello! What is 2+2?<|Assistant|><think>\n\n</think>\n\n2+2 equals 4."
        "<|end_of_text|><|User|>And 3+3?<|Assistant|><think>\n\n</think>\n\n3+3 equals 6.<|end_of_text|>",
        ("<think>\n\n</think>\n\n2+2 equals 4.<|end_of_text|>",
         "<think>\n\n</think>\n\n3+3 equals 6.<|end_of_text|>")),
    "bailing": Golden(
        "<role>SYSTEM</role>You are a helpful assistant.<role>HUMAN</role>Hello! What is 2+2?<role>ASSISTANT</role>"
        "2+2 equals 4.<|endoftext|><role>HUMAN</role>And 3+3?<role>ASSISTANT</role>3+3 equals 6.<|endoftext|>",
        ("2+2 equals 4.<|endoftext|>", "3+3 equals 6.<|endoftext|>")),
    "bailing_v2": Golden(
        "<role>SYSTEM</role>You are a helpful assistant.<|role_end|><role>HUMAN</role>Hello! What is 2+2?<|role_end|>"
        "<role>ASSISTANT</role>2+2 equals 4.<|role_end|><role>HUMAN</role>And 3+3?<|role_end|><role>ASSISTANT</role>"
        "3+3 equals 6.<|role_end|>",
        ("2+2 equals 4.<|role_end|>", "3+3 equals 6.<|role_end|>")),
    "ernie_nothink": Golden(
        "<|begin_of_sentence|>You are a helpful assistant.\nUser: Hello! What is 2+2?\nAssistant: 2+2 equals 4."
        "<|end_of_sentence|>User: And 3+3?\nAssistant: 3+3 equals 6.<|end_of_sentence|>",
        ("2+2 equals 4.<|end_of_sentence|>", "3+3 equals 6.<|end_of_sentence|>")),
    "exaone": Golden(
        "[|system|]You are a helpful assistant.[|endofturn|]\n[|user|]Hello! What is 2+2?\n[|assistant|]2+2 equals 4."
        "[|endofturn|]\n[|user|]And 3+3?\n[|assistant|]3+3 equals 6.[|endofturn|]\n",
        ("2+2 equals 4.[|endofturn|]\n", "3+3 equals 6.[|endofturn|]\n")),
    "granite3": Golden(
        "<|start_of_role|>system<|end_of_role|>You are a helpful assistant.<|end_of_text|>\n<|start_of_role|>"
        "user<|end_of_role|>Hello! What is 2+2?<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>"
        "2+2 equals 4.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>And 3+3?<|end_of_text|>\n<|start_of_role|>"
        "assistant<|end_of_role|>3+3 equals 6.<|end_of_text|>\n",
        ("2+2 equals 4.<|end_of_text|>\n", "3+3 equals 6.<|end_of_text|>\n")),
    "granite4": Golden(
        "<|start_of_role|>system<|end_of_role|>You are a helpful assistant.<|end_of_text|>\n<|start_of_role|>"
        "user<|end_of_role|>Hello! What is 2+2?<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>"
        "2+2 equals 4.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>And 3+3?<|end_of_text|>\n<|start_of_role|>"
        "assistant<|end_of_role|>3+3 equals 6.<|end_of_text|>\n",
        ("2+2 equals 4.<|end_of_text|>\n", "3+3 equals 6.<|end_of_text|>\n")),
    "minimax1": Golden(
        "<beginning_of_sentence>system ai_setting=assistant\nYou are a helpful assistant.<end_of_sentence>\n"
        "<beginning_of_sentence>user name=user\nHello! What is 2+2?<end_of_sentence>\n<beginning_of_sentence>"
        "ai name=assistant\n2+2 equals 4.<end_of_sentence>\n<beginning_of_sentence>user name=user\nAnd 3+3?"
        "<end_of_sentence>\n<beginning_of_sentence>ai name=assistant\n3+3 equals 6.<end_of_sentence>\n",
        ("2+2 equals 4.<end_of_sentence>\n", "3+3 equals 6.<end_of_sentence>\n")),
    "minimax2": Golden(
        "]~!b[]~b]system\nYou are a helpful assistant.[e~[\n]~b]user\nHello! What is 2+2?[e~[\n]~b]ai\n<think>\n\n"
        "</think>\n\n2+2 equals 4.[e~[\n]~b]user\nAnd 3+3?[e~[\n]~b]ai\n<think>\n\n</think>\n\n3+3 equals 6.[e~[\n",
        ("<think>\n\n</think>\n\n2+2 equals 4.[e~[\n", "<think>\n\n</think>\n\n3+3 equals 6.[e~[\n")),
    "phi_small": Golden(
        "<|endoftext|><|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nHello! What is 2+2?<|end|>\n"
        "<|assistant|>\n2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n3+3 equals 6.<|end|>\n",
        ("2+2 equals 4.<|end|>\n", "3+3 equals 6.<|end|>\n")),
    "phi4_mini": Golden(
        "<|system|>You are a helpful assistant.<|end|><|user|>Hello! What is 2+2?<|end|><|assistant|>2+2 equals 4."
        "<|end|><|user|>And 3+3?<|end|><|assistant|>3+3 equals 6.<|end|>",
        ("2+2 equals 4.<|end|>", "3+3 equals 6.<|end|>")),
    "seed_coder": Golden(
        "<[begin▁of▁sentence]>system\nYou are a helpful assistant.<[end▁of▁sentence]><[begin▁of▁sentence]>user\n"
        "Hello! What is 2+2?<[end▁of▁sentence]><[begin▁of▁sentence]>assistant\n2+2 equals 4.<[end▁of▁sentence]>"
        "<[begin▁of▁sentence]>user\nAnd 3+3?<[end▁of▁sentence]><[begin▁of▁sentence]>assistant\n3+3 equals 6."
        "<[end▁of▁sentence]>",
        ("2+2 equals 4.<[end▁of▁sentence]>", "3+3 equals 6.<[end▁of▁sentence]>")),
    "seed_oss": Golden(
        "<seed:bos>system\nYou are a helpful assistant.<seed:eos><seed:bos>user\nHello! What is 2+2?<seed:eos>"
        "<seed:bos>assistant\n<seed:think></seed:think>2+2 equals 4.<seed:eos><seed:bos>user\nAnd 3+3?<seed:eos>"
        "<seed:bos>assistant\n<seed:think></seed:think>3+3 equals 6.<seed:eos>",
        ("<seed:think></seed:think>2+2 equals 4.<seed:eos>",
         "<seed:think></seed:think>3+3 equals 6.<seed:eos>")),
    "gpt_oss": Golden(
        "<|start|>system<|message|>You are a helpful assistant.<|end|><|start|>user<|message|>Hello! What is 2+2?"
        "<|end|><|start|>assistant<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>"
        "2+2 equals 4.<|return|><|start|>user<|message|>And 3+3?<|end|><|start|>assistant<|channel|>"
        "analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>3+3 equals 6.<|return|>",
        ("<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>2+2 equals 4.<|return|>",
         "<|channel|>analysis<|message|><|end|><|start|>assistant<|channel|>final<|message|>3+3 equals 6.<|return|>")),
}
