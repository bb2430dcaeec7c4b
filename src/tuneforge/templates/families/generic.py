"""Formats for base models and plain-text chat layouts ("Human:/Assistant:", "### User:", …), most of which end a
reply with the tokenizer's own eos_token (no stop_words: with the family's tokenizer that is the token in
`eos_token`, with any other tokenizer it is that tokenizer's eos)."""
from __future__ import annotations

from tuneforge.templates.spec import TemplateSpec

_VICUNA_SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
                  "The assistant gives helpful, detailed, and polite answers to the user's questions.")

SPECS: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        name="default", jinja_file="default.jinja",
        description="Plain 'Human:/Assistant:' chat for base models (any tokenizer)."),
    TemplateSpec(
        name="empty", jinja_file="empty.jinja",
        description="No markup: messages concatenated, each reply followed by eos (any tokenizer)."),
    TemplateSpec(
        name="fewshot", jinja_file="fewshot.jinja",
        description="Few-shot text for base models: messages concatenated, each reply followed by a blank line "
                    "and eos (any tokenizer)."),
    TemplateSpec(
        name="alpaca", jinja_file="alpaca.jinja",
        default_system="Below is an instruction that describes a task. "
                       "Write a response that appropriately completes the request.",
        description="Stanford Alpaca instruction format (any tokenizer)."),
    TemplateSpec(
        name="vicuna", jinja_file="vicuna.jinja", default_system=_VICUNA_SYSTEM,
        description="Vicuna v1.1 / FastChat format (Vicuna, many Llama-1/2 fine-tunes)."),
    TemplateSpec(
        name="solar", jinja_file="solar.jinja", special_tokens=("</s>",), bos_token="<s>", eos_token="</s>",
        description="Upstage SOLAR-10.7B-Instruct ('### User:' / '### Assistant:')."),
    TemplateSpec(
        name="xuanyuan", jinja_file="xuanyuan.jinja", special_tokens=("</s>",), bos_token="<s>", eos_token="</s>",
        default_system="以下是用户和人工智能助手之间的对话。用户以Human开头，人工智能助手以Assistant开头，"
                       "会对人类提出的问题给出有帮助、高质量、详细和礼貌的回答，并且总是拒绝参与与不道德、"
                       "不安全、有争议、政治敏感等相关的话题、问题和指示。\n",
        description="Du Xiaoman XuanYuan chat ('Human: … Assistant:')."),
    TemplateSpec(
        name="falcon", jinja_file="falcon.jinja", special_tokens=("<|endoftext|>",),
        eos_token="<|endoftext|>", description="Falcon-instruct / Falcon-180B-chat ('User:/Falcon:')."),
    TemplateSpec(
        name="xverse", jinja_file="xverse.jinja", special_tokens=("<|endoftext|>",),
        bos_token="<|startoftext|>", eos_token="<|endoftext|>", supports_system=False,
        description="XVERSE chat ('Human:/Assistant:')."),
    TemplateSpec(
        name="olmo", jinja_file="olmo.jinja", special_tokens=("<|endoftext|>",), eos_token="<|endoftext|>",
        description="OLMo (1) instruct (eos, then '<|user|>\\n…<|assistant|>\\n…')."),
    TemplateSpec(
        name="starchat", jinja_file="starchat.jinja",
        special_tokens=("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"), stop_words=("<|end|>",),
        eos_token="<|endoftext|>", description="StarChat (<|user|>/<|assistant|> turns ended by <|end|>)."),
    TemplateSpec(
        name="index", jinja_file="index.jinja", special_tokens=("<unk>", "reserved_0", "reserved_1", "</s>"),
        bos_token="<s>", eos_token="</s>", description="Bilibili Index-1.9B chat ('reserved_0' / 'reserved_1' turns)."),
    TemplateSpec(
        name="telechat2", jinja_file="telechat2.jinja", special_tokens=("<_system>", "<_user>", "<_bot>", "<_end>"),
        bos_token="<_start>", eos_token="<_end>",
        default_system="你是中国电信星辰语义大模型，英文名是TeleChat，你是由中电信人工智能科技有限公司和中国电信人工智能研究院"
                       "（TeleAI）研发的人工智能助手。",
        description="TeleChat2 (<_system>/<_user>/<_bot>)."),
    TemplateSpec(
        name="cpm", jinja_file="cpm.jinja", special_tokens=("<s>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False, description="MiniCPM (v1 / v2) ('<用户>…<AI>')."),
    TemplateSpec(
        name="baichuan2", jinja_file="baichuan2.jinja", special_tokens=("<reserved_106>", "<reserved_107>", "</s>"),
        bos_token="<s>", eos_token="</s>", supports_system=False,
        description="Baichuan2 chat models."),
    TemplateSpec(
        name="yuan", jinja_file="yuan.jinja", special_tokens=("<sep>", "<eod>"), stop_words=("<eod>",),
        eos_token="<eod>", supports_system=False, description="Yuan 2.0 ('q<sep>a<eod>')."),
)
