"""Llama, Mistral and Gemma layouts and the models built on them (Llama 2/3/4, Mistral/Mixtral/Ministral, Gemma,
Zephyr, OpenChat, Breeze, LLaVA)."""
from __future__ import annotations

from tuneforge.templates.spec import TemplateSpec

_MISTRAL = ("<s>", "</s>", "[INST]", "[/INST]")
_GEMMA = ("<bos>", "<start_of_turn>", "<end_of_turn>")
_VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                  "The assistant gives helpful, detailed, and polite answers to the user's questions.")

SPECS: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        name="llama2", jinja_file="llama2.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", description="Llama-2-chat ([INST] <<SYS>> … [/INST])."),
    TemplateSpec(
        name="llama2_zh", jinja_file="llama2_zh.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", default_system="You are a helpful assistant. 你是一个乐于助人的助手。",
        description="Chinese Llama-2 chat fine-tunes (the llama2 layout, bilingual default system prompt)."),
    TemplateSpec(
        name="llama3", jinja_file="llama3.jinja",
        special_tokens=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
        stop_words=("<|eot_id|>", "<|eom_id|>"), bos_token="<|begin_of_text|>", eos_token="<|eot_id|>",
        tool_format="llama3",
        verified_against=("meta-llama/Llama-3.2-3B-Instruct (date_string='26 Jul 2024')",),
        description="Llama 3 / 3.1 / 3.2 Instruct (system header with knowledge date; JSON tool calls)."),
    TemplateSpec(
        name="llama4", jinja_file="llama4.jinja",
        special_tokens=("<|begin_of_text|>", "<|header_start|>", "<|header_end|>", "<|eot|>"),
        stop_words=("<|eot|>", "<|eom|>"), bos_token="<|begin_of_text|>", eos_token="<|eot|>",
        description="Llama 4 Scout / Maverick Instruct, text (<|header_start|>role<|header_end|> … <|eot|>)."),
    TemplateSpec(
        name="openchat-3.6", jinja_file="openchat-3.6.jinja",
        special_tokens=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
        stop_words=("<|eot_id|>",), bos_token="<|begin_of_text|>",
        description="OpenChat 3.6 (Llama 3 headers, 'GPT4 Correct User/Assistant' roles)."),
    TemplateSpec(
        name="mistral", jinja_file="mistral.jinja",
        special_tokens=(*_MISTRAL, "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_CALLS]", "[TOOL_RESULTS]",
                        "[/TOOL_RESULTS]"),
        bos_token="<s>", eos_token="</s>", supports_system=False, tool_format="mistral",
        verified_against=("mistralai/Mistral-7B-Instruct-v0.3 (revision without tool support)",),
        description="Mistral-7B-Instruct v0.3 ([INST] … [/INST], v3 tool-call tokens)."),
    TemplateSpec(
        name="mixtral", jinja_file="mixtral.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False,
        verified_against=("mistralai/Mixtral-8x7B-Instruct-v0.1",),
        description="Mixtral-8x7B-Instruct v0.1 and Mistral-7B-Instruct v0.1/v0.2 ([INST] as plain text)."),
    TemplateSpec(
        name="ministral", jinja_file="ministral.jinja", special_tokens=_MISTRAL, bos_token="<s>", eos_token="</s>",
        supports_system=False, description="Ministral-8B and tekken-tokenizer Mistral models ('[INST]q[/INST]a</s>')."),
    TemplateSpec(
        name="ministral3", jinja_file="ministral.jinja", special_tokens=_MISTRAL, bos_token="<s>", eos_token="</s>",
        supports_system=False, description="Ministral 3, text (the ministral layout; images are not supported)."),
    TemplateSpec(
        name="mistral_small", jinja_file="mistral_small.jinja",
        special_tokens=(*_MISTRAL, "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"), bos_token="<s>", eos_token="</s>",
        description="Mistral Small 3 / 3.1 / 3.2, text ([SYSTEM_PROMPT] … [/SYSTEM_PROMPT], '[INST]q[/INST]a</s>')."),
    TemplateSpec(
        name="breeze", jinja_file="breeze.jinja", special_tokens=("<s>", "</s>"), bos_token="<s>", eos_token="</s>",
        description="MediaTek Breeze-7B Instruct ('[INST] q [/INST] a</s>')."),
    TemplateSpec(
        name="openchat", jinja_file="openchat.jinja", special_tokens=("<s>", "<|end_of_turn|>"),
        bos_token="<s>", eos_token="<|end_of_turn|>",
        description="OpenChat 3.5 ('GPT4 Correct User: … GPT4 Correct Assistant: …')."),
    TemplateSpec(
        name="gemma", jinja_file="gemma.jinja", special_tokens=_GEMMA, stop_words=("<end_of_turn>",),
        bos_token="<bos>", eos_token="<eos>", supports_system=False, verified_against=("google/gemma-2b-it",),
        description="Gemma and Gemma 2 instruction-tuned models."),
    TemplateSpec(
        name="gemma2", jinja_file="gemma.jinja", special_tokens=_GEMMA, stop_words=("<end_of_turn>", "<eos>"),
        bos_token="<bos>", eos_token="<eos>", supports_system=False,
        verified_against=("google/gemma-2b-it (Gemma 2 ships the same template)",),
        description="Gemma 2 instruction-tuned models (the gemma layout; <eos> also stops)."),
    TemplateSpec(
        name="gemma3", jinja_file="gemma3.jinja", special_tokens=_GEMMA, stop_words=("<end_of_turn>",),
        bos_token="<bos>", eos_token="<end_of_turn>", supports_system=False,
        verified_against=("Gemma 3 (gemma3_text)",), description="Gemma 3 (text) instruction-tuned models."),
    TemplateSpec(
        name="zephyr", jinja_file="zephyr.jinja", special_tokens=("</s>",),
        bos_token="<s>", eos_token="</s>", verified_against=("HuggingFaceH4/zephyr-7b-beta",),
        description="Zephyr (<|user|>/<|assistant|> turns ended by </s>)."),
    TemplateSpec(
        name="llava", jinja_file="llava.jinja", vision=True, default_system=_VICUNA_SYSTEM,
        description="LLaVA-1.5 (Vicuna layout with <image>, as LLaMA-Factory trains it)."),
    TemplateSpec(
        name="llava_next", jinja_file="llava.jinja", vision=True, default_system=_VICUNA_SYSTEM,
        description="LLaVA-NeXT (Vicuna layout with <image>; image tokens per resolution tile)."),
)
