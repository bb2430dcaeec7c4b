"""The registry of chat templates: name → `TemplateSpec`. Names are LLaMA-Factory's `template:` names.

Adding a template = one jinja file in `templates/jinja/` + one entry here (see docs/templates.md).
"""
from __future__ import annotations

from tuneforge.core.registry import Registry
from tuneforge.templates.spec import TemplateSpec

_IM = ("<|im_start|>", "<|im_end|>")
_QWEN_TOOLS = ("<tool_call>", "</tool_call>")
_QWEN3_TOOLS = (*_QWEN_TOOLS, "<tool_response>", "</tool_response>")
_DS_BOS, _DS_EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"

TEMPLATES: Registry[TemplateSpec] = Registry("template", {
    # Generic formats for base models. No stop_words: these (like llama2, mistral, zephyr, …) end a reply with
    # the tokenizer's own eos_token.
    "default": TemplateSpec(
        name="default", jinja_file="default.jinja",
        description="Plain 'Human:/Assistant:' chat for base models (any tokenizer)."),
    "empty": TemplateSpec(
        name="empty", jinja_file="empty.jinja",
        description="No markup: messages concatenated, each reply followed by eos (any tokenizer)."),
    "alpaca": TemplateSpec(
        name="alpaca", jinja_file="alpaca.jinja",
        default_system="Below is an instruction that describes a task. "
                       "Write a response that appropriately completes the request.",
        description="Stanford Alpaca instruction format (any tokenizer)."),
    "vicuna": TemplateSpec(
        name="vicuna", jinja_file="vicuna.jinja",
        default_system="A chat between a curious user and an artificial intelligence assistant. "
                       "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        description="Vicuna v1.1 / FastChat format (Vicuna, many Llama-1/2 fine-tunes)."),
    # Model families.
    "chatml": TemplateSpec(
        name="chatml", jinja_file="chatml.jinja", special_tokens=_IM, stop_words=("<|im_end|>",),
        eos_token="<|im_end|>", description="Plain ChatML (<|im_start|>role … <|im_end|>)."),
    "qwen": TemplateSpec(
        name="qwen", jinja_file="qwen.jinja", special_tokens=(*_IM, *_QWEN_TOOLS), stop_words=("<|im_end|>",),
        eos_token="<|im_end|>", tool_format="qwen",
        default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
        verified_against=("Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-Math-72B-Instruct (given a system message)"),
        description="Qwen2 / Qwen2.5 Instruct (ChatML + Hermes-style tool calls)."),
    "qwen3": TemplateSpec(
        name="qwen3", jinja_file="qwen3.jinja", special_tokens=(*_IM, *_QWEN3_TOOLS, "<think>", "</think>"),
        stop_words=("<|im_end|>",), eos_token="<|im_end|>", tool_format="qwen", thinking=True,
        verified_against=("Qwen/Qwen3-4B",),
        description="Qwen3 hybrid thinking models (<think> kept after the last user message)."),
    "qwen3_nothink": TemplateSpec(
        name="qwen3_nothink", jinja_file="qwen3_nothink.jinja", special_tokens=(*_IM, *_QWEN3_TOOLS),
        stop_words=("<|im_end|>",), eos_token="<|im_end|>", tool_format="qwen",
        description="Qwen3 without thinking (Qwen3-Instruct-2507 and non-reasoning Qwen3 fine-tunes)."),
    "llama2": TemplateSpec(
        name="llama2", jinja_file="llama2.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", description="Llama-2-chat ([INST] <<SYS>> … [/INST])."),
    "llama3": TemplateSpec(
        name="llama3", jinja_file="llama3.jinja",
        special_tokens=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
        stop_words=("<|eot_id|>", "<|eom_id|>"), bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
        tool_format="llama3",
        verified_against=("meta-llama/Llama-3.2-3B-Instruct (date_string='26 Jul 2024')",),
        description="Llama 3 / 3.1 / 3.2 Instruct (system header with knowledge date; JSON tool calls)."),
    "mistral": TemplateSpec(
        name="mistral", jinja_file="mistral.jinja",
        special_tokens=("<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
                        "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]"),
        bos_token="<s>", eos_token="</s>", supports_system=False, tool_format="mistral",
        verified_against=("mistralai/Mistral-7B-Instruct-v0.3 (revision without tool support)",),
        description="Mistral-7B-Instruct v0.3 ([INST] … [/INST], v3 tool-call tokens)."),
    "mixtral": TemplateSpec(
        name="mixtral", jinja_file="mixtral.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False,
        verified_against=("mistralai/Mixtral-8x7B-Instruct-v0.1",),
        description="Mixtral-8x7B-Instruct v0.1 and Mistral-7B-Instruct v0.1/v0.2 ([INST] as plain text)."),
    "gemma": TemplateSpec(
        name="gemma", jinja_file="gemma.jinja", special_tokens=("<bos>", "<start_of_turn>", "<end_of_turn>"),
        stop_words=("<end_of_turn>",), bos_token="<bos>", eos_token="<eos>", supports_system=False,
        verified_against=("google/gemma-2b-it",), description="Gemma and Gemma 2 instruction-tuned models."),
    "gemma3": TemplateSpec(
        name="gemma3", jinja_file="gemma3.jinja", special_tokens=("<bos>", "<start_of_turn>", "<end_of_turn>"),
        stop_words=("<end_of_turn>",), bos_token="<bos>", eos_token="<end_of_turn>", supports_system=False,
        verified_against=("Gemma 3 (gemma3_text)",), description="Gemma 3 (text) instruction-tuned models."),
    # Vision-language models (docs/multimodal.md): the text layout of their family; each <image>/<video> is
    # written as the model's own media tokens and expanded by its processor.
    "qwen2_vl": TemplateSpec(
        name="qwen2_vl", jinja_file="qwen2_vl.jinja", special_tokens=_IM, stop_words=("<|im_end|>",),
        eos_token="<|im_end|>", vision=True, default_system="You are a helpful assistant.",
        verified_against=("Qwen/Qwen2-VL-7B-Instruct",),
        description="Qwen2-VL / Qwen2.5-VL Instruct (images and video)."),
    "qwen3_vl": TemplateSpec(
        name="qwen3_vl", jinja_file="qwen3.jinja", special_tokens=(*_IM, *_QWEN3_TOOLS, "<think>", "</think>"),
        stop_words=("<|im_end|>",), eos_token="<|im_end|>", tool_format="qwen", thinking=True, vision=True,
        description="Qwen3-VL Thinking models (the Qwen3 layout; images and video)."),
    "qwen3_vl_nothink": TemplateSpec(
        name="qwen3_vl_nothink", jinja_file="qwen3_nothink.jinja", special_tokens=(*_IM, *_QWEN3_TOOLS),
        stop_words=("<|im_end|>",), eos_token="<|im_end|>", tool_format="qwen", vision=True,
        description="Qwen3-VL Instruct models (the Qwen3 layout without thinking; images and video)."),
    "llava": TemplateSpec(
        name="llava", jinja_file="llava.jinja", vision=True,
        default_system="A chat between a curious user and an artificial intelligence assistant. "
                       "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        description="LLaVA-1.5 (Vicuna layout with <image>, as LLaMA-Factory trains it)."),
    "llava_next": TemplateSpec(
        name="llava_next", jinja_file="llava.jinja", vision=True,
        default_system="A chat between a curious user and an artificial intelligence assistant. "
                       "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        description="LLaVA-NeXT (Vicuna layout with <image>; image tokens per resolution tile)."),
    "glm4": TemplateSpec(
        name="glm4", jinja_file="glm4.jinja",
        special_tokens=("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"),
        stop_words=("<|user|>", "<|observation|>"), eos_token="<|endoftext|>", tool_format="glm4",
        description="GLM-4-9B-chat and GLM-4-0414 chat models."),
    "chatglm3": TemplateSpec(
        name="chatglm3", jinja_file="chatglm3.jinja",
        special_tokens=("[gMASK]", "sop", "<|system|>", "<|user|>", "<|assistant|>"),
        stop_words=("<|user|>", "<|observation|>"), eos_token="</s>", description="ChatGLM3-6B."),
    "phi": TemplateSpec(
        name="phi", jinja_file="phi.jinja",
        special_tokens=("<|system|>", "<|user|>", "<|assistant|>", "<|end|>", "<|endoftext|>"),
        stop_words=("<|end|>",), bos_token="<s>", eos_token="<|endoftext|>",
        verified_against=("microsoft/Phi-3.5-mini-instruct",),
        description="Phi-3 / Phi-3.5 mini & medium instruct."),
    "phi4": TemplateSpec(
        name="phi4", jinja_file="phi4.jinja", special_tokens=("<|im_start|>", "<|im_sep|>", "<|im_end|>"),
        stop_words=("<|im_end|>",), bos_token="<|endoftext|>", eos_token="<|im_end|>",
        description="Phi-4 (14B)."),
    "yi": TemplateSpec(
        name="yi", jinja_file="yi.jinja", special_tokens=_IM, stop_words=("<|im_end|>",),
        bos_token="<|startoftext|>", eos_token="<|im_end|>", description="Yi / Yi-1.5 chat (ChatML)."),
    "deepseek": TemplateSpec(
        name="deepseek", jinja_file="deepseek.jinja", special_tokens=(_DS_BOS, _DS_EOS),
        bos_token=_DS_BOS, eos_token=_DS_EOS, description="DeepSeek LLM 7B/67B chat ('User:/Assistant:')."),
    "deepseek3": TemplateSpec(
        name="deepseek3", jinja_file="deepseek3.jinja",
        special_tokens=(_DS_BOS, _DS_EOS, "<｜User｜>", "<｜Assistant｜>"), stop_words=(_DS_EOS,),
        bos_token=_DS_BOS, eos_token=_DS_EOS, description="DeepSeek-V2.5 / V3 chat."),
    "deepseekr1": TemplateSpec(
        name="deepseekr1", jinja_file="deepseekr1.jinja",
        special_tokens=(_DS_BOS, _DS_EOS, "<｜User｜>", "<｜Assistant｜>", "<think>", "</think>"),
        stop_words=(_DS_EOS,), bos_token=_DS_BOS, eos_token=_DS_EOS, thinking=True,
        verified_against=("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",),
        description="DeepSeek-R1 and R1-Distill (reasoning kept after the last user message)."),
    "baichuan2": TemplateSpec(
        name="baichuan2", jinja_file="baichuan2.jinja", special_tokens=("<reserved_106>", "<reserved_107>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False,
        description="Baichuan2 chat models."),
    "intern2": TemplateSpec(
        name="intern2", jinja_file="intern2.jinja", special_tokens=("<s>", *_IM), stop_words=("<|im_end|>",),
        bos_token="<s>", eos_token="</s>", verified_against=("internlm/internlm2-chat-7b",),
        description="InternLM2 / InternLM2.5 chat."),
    "cpm": TemplateSpec(
        name="cpm", jinja_file="cpm.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False, description="MiniCPM (v1 / v2) ('<用户>…<AI>')."),
    "cohere": TemplateSpec(
        name="cohere", jinja_file="cohere.jinja",
        special_tokens=("<BOS_TOKEN>", "<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>", "<|SYSTEM_TOKEN|>",
                        "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>"),
        stop_words=("<|END_OF_TURN_TOKEN|>",), bos_token="<BOS_TOKEN>", eos_token="<|END_OF_TURN_TOKEN|>",
        description="Cohere Command-R / Command-R+ / Aya."),
    "falcon": TemplateSpec(
        name="falcon", jinja_file="falcon.jinja", special_tokens=("<|endoftext|>",),
        eos_token="<|endoftext|>", description="Falcon-instruct / Falcon-180B-chat ('User:/Falcon:')."),
    "xverse": TemplateSpec(
        name="xverse", jinja_file="xverse.jinja", special_tokens=("<|endoftext|>",),
        bos_token="<|startoftext|>", eos_token="<|endoftext|>", supports_system=False,
        description="XVERSE chat ('Human:/Assistant:')."),
    "yuan": TemplateSpec(
        name="yuan", jinja_file="yuan.jinja", special_tokens=("<sep>", "<eod>"), stop_words=("<eod>",),
        eos_token="<eod>", supports_system=False, description="Yuan 2.0 ('q<sep>a<eod>')."),
    "zephyr": TemplateSpec(
        name="zephyr", jinja_file="zephyr.jinja", special_tokens=("</s>",),
        bos_token="<s>", eos_token="</s>", verified_against=("HuggingFaceH4/zephyr-7b-beta",),
        description="Zephyr (<|user|>/<|assistant|> turns ended by </s>)."),
})


def get_template(name: str) -> TemplateSpec:
    """The template called `name`; an unknown name is a UserError that suggests the closest one."""
    return TEMPLATES.get_or_raise(name, field="template")
