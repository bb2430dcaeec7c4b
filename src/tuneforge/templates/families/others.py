"""The other model families: GLM, DeepSeek, Tencent Hunyuan / Youtu, Ling, ERNIE, EXAONE, Granite, MiniMax, Phi, Cohere,
ByteDance Seed, gpt-oss."""
from __future__ import annotations

from tuneforge.templates.spec import TemplateSpec

_DS_BOS, _DS_EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"
_GLM = ("[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>")
_GLM_STOP = ("<|user|>", "<|observation|>")
_THINK = ("<think>", "</think>")
_PHI = ("<|system|>", "<|user|>", "<|assistant|>", "<|end|>")
_GRANITE = ("<|start_of_role|>", "<|end_of_role|>", "<|end_of_text|>")
_SEED_BOS, _SEED_EOS = "<seed:bos>", "<seed:eos>"

SPECS: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        name="glm4", jinja_file="glm4.jinja", special_tokens=(*_GLM, "<|observation|>"), stop_words=_GLM_STOP,
        eos_token="<|endoftext|>", tool_format="glm4", description="GLM-4-9B-chat and GLM-4-0414 chat models."),
    TemplateSpec(
        name="glm4_moe", jinja_file="glm4_moe.jinja", special_tokens=(*_GLM, *_THINK), stop_words=_GLM_STOP,
        eos_token="<|endoftext|>", thinking=True,
        description="GLM-4.5 / GLM-4.6 (GLM-4.5's think block; no tools)."),
    TemplateSpec(
        name="glmz1", jinja_file="glmz1.jinja", special_tokens=(*_GLM, *_THINK), stop_words=_GLM_STOP,
        eos_token="<|endoftext|>", thinking=True, description="GLM-Z1-0414 reasoning models (no tools)."),
    TemplateSpec(
        name="glm4_7", jinja_file="glm4_7.jinja", special_tokens=(*_GLM, *_THINK), stop_words=_GLM_STOP,
        eos_token="<|endoftext|>", thinking=True, description="GLM-4.7 (an empty think block is '</think>'; no tools)."),
    TemplateSpec(
        name="aeva", jinja_file="aeva.jinja", special_tokens=(*_GLM, *_THINK), stop_words=_GLM_STOP,
        eos_token="<|endoftext|>", thinking=True,
        default_system="You are an AI assistant named Aeva created by Zongzhi Lou. "
                       "Your answer should be friendly, unbiased, faithful, informative and detailed.",
        description="Aeva (the glm4_7 layout with Aeva's default system prompt)."),
    TemplateSpec(
        name="chatglm3", jinja_file="chatglm3.jinja",
        special_tokens=("[gMASK]", "sop", "<|system|>", "<|user|>", "<|assistant|>"),
        stop_words=_GLM_STOP, eos_token="</s>", description="ChatGLM3-6B."),
    TemplateSpec(
        name="deepseek", jinja_file="deepseek.jinja", special_tokens=(_DS_BOS, _DS_EOS),
        bos_token=_DS_BOS, eos_token=_DS_EOS, description="DeepSeek LLM 7B/67B chat ('User:/Assistant:')."),
    TemplateSpec(
        name="deepseekcoder", jinja_file="deepseekcoder.jinja", special_tokens=(_DS_BOS, "<|EOT|>"),
        stop_words=("<|EOT|>",), bos_token=_DS_BOS, eos_token="<|EOT|>",
        default_system="You are an AI programming assistant, utilizing the DeepSeek Coder model, "
                       "developed by DeepSeek Company, and you only answer questions related to computer science. "
                       "For politically sensitive questions, security and privacy issues, "
                       "and other non-computer science questions, you will refuse to answer.\n",
        description="DeepSeek Coder Instruct ('### Instruction:' / '### Response:', ends with <|EOT|>)."),
    TemplateSpec(
        name="deepseek3", jinja_file="deepseek3.jinja",
        special_tokens=(_DS_BOS, _DS_EOS, "<｜User｜>", "<｜Assistant｜>"), stop_words=(_DS_EOS,),
        bos_token=_DS_BOS, eos_token=_DS_EOS, description="DeepSeek-V2.5 / V3 chat."),
    TemplateSpec(
        name="deepseekr1", jinja_file="deepseekr1.jinja",
        special_tokens=(_DS_BOS, _DS_EOS, "<｜User｜>", "<｜Assistant｜>", *_THINK),
        stop_words=(_DS_EOS,), bos_token=_DS_BOS, eos_token=_DS_EOS, thinking=True,
        verified_against=("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",),
        description="DeepSeek-R1 and R1-Distill (reasoning kept after the last user message)."),
    TemplateSpec(
        name="hunyuan", jinja_file="hunyuan.jinja",
        special_tokens=("<|startoftext|>", "<|extra_4|>", "<|extra_0|>", "<|eos|>"), stop_words=("<|eos|>",),
        bos_token="<|startoftext|>", eos_token="<|eos|>", description="Tencent Hunyuan-Large / Hunyuan-A13B."),
    TemplateSpec(
        name="hunyuan_small", jinja_file="hunyuan_small.jinja",
        special_tokens=("<｜hy_begin▁of▁sentence｜>", "<｜hy_place▁holder▁no▁3｜>", "<｜hy_User｜>",
                        "<｜hy_place▁holder▁no▁8｜>", "<｜hy_place▁holder▁no▁2｜>"),
        stop_words=("<｜hy_place▁holder▁no▁2｜>",), bos_token="<｜hy_begin▁of▁sentence｜>",
        description="Tencent Hunyuan 0.5B–7B instruct."),
    TemplateSpec(
        name="hy3", jinja_file="hy3.jinja", special_tokens=("<｜hy_User｜>", "<｜hy_Assistant｜>", "<｜hy_eos｜>"),
        stop_words=("<｜hy_eos｜>",), eos_token="<｜hy_eos｜>", thinking=True,
        description="Tencent Hunyuan 3 (reasoning; a reply without a think block gets <think></think>)."),
    TemplateSpec(
        name="youtu", jinja_file="youtu.jinja", special_tokens=("<|User|>", "<|Assistant|>", "<|end_of_text|>"),
        stop_words=("<|end_of_text|>",), eos_token="<|end_of_text|>", thinking=True,
        description="Tencent Youtu-LLM (reasoning; a reply without a think block gets an empty one; no tools)."),
    TemplateSpec(
        name="bailing", jinja_file="bailing.jinja", special_tokens=("<role>", "</role>", "<|endoftext|>"),
        stop_words=("<|endoftext|>",), eos_token="<|endoftext|>",
        description="Ling / Bailing v1 (<role>HUMAN</role> … <role>ASSISTANT</role>)."),
    TemplateSpec(
        name="bailing_v2", jinja_file="bailing_v2.jinja", special_tokens=("<role>", "</role>", "<|role_end|>"),
        stop_words=("<|role_end|>", "<|endoftext|>"),
        description="Ling 2.0 / Bailing v2 (turns closed by <|role_end|>; no tools)."),
    TemplateSpec(
        name="ernie_nothink", jinja_file="ernie_nothink.jinja",
        special_tokens=("<|begin_of_sentence|>", "<|end_of_sentence|>"), stop_words=("<|end_of_sentence|>",),
        description="Baidu ERNIE 4.5 non-thinking ('User: … Assistant: …<|end_of_sentence|>')."),
    TemplateSpec(
        name="exaone", jinja_file="exaone.jinja",
        special_tokens=("[|system|]", "[|endofturn|]", "[|user|]", "[|assistant|]"), stop_words=("[|endofturn|]",),
        eos_token="[|endofturn|]", description="LG EXAONE 3.0 / 3.5 ([|user|] … [|assistant|] … [|endofturn|])."),
    TemplateSpec(
        name="granite3", jinja_file="granite3.jinja", special_tokens=_GRANITE, stop_words=("<|end_of_text|>",),
        eos_token="<|end_of_text|>", description="IBM Granite 3.x instruct."),
    TemplateSpec(
        name="granite4", jinja_file="granite4.jinja", special_tokens=_GRANITE, stop_words=("<|end_of_text|>",),
        eos_token="<|end_of_text|>", default_system="You are Granite, developed by IBM. You are a helpful AI assistant.",
        description="IBM Granite 4.0 instruct (no tools)."),
    TemplateSpec(
        name="minimax1", jinja_file="minimax1.jinja", special_tokens=("<beginning_of_sentence>", "<end_of_sentence>"),
        stop_words=("<end_of_sentence>",), eos_token="<end_of_sentence>", default_system="You are a helpful assistant.",
        description="MiniMax-Text-01 / MiniMax-M1 (no tools)."),
    TemplateSpec(
        name="minimax2", jinja_file="minimax2.jinja", special_tokens=("]~!b[", "]~b]", "[e~[", *_THINK),
        stop_words=("[e~[",), eos_token="[e~[", thinking=True,
        default_system="You are a helpful assistant. Your name is MiniMax-M2.1 and is built by MiniMax.",
        description="MiniMax-M2 / M2.1 (reasoning; a reply without a think block gets an empty one; no tools)."),
    TemplateSpec(
        name="phi", jinja_file="phi.jinja", special_tokens=(*_PHI, "<|endoftext|>"),
        stop_words=("<|end|>",), bos_token="<s>", eos_token="<|endoftext|>",
        verified_against=("microsoft/Phi-3.5-mini-instruct",),
        description="Phi-3 / Phi-3.5 mini & medium instruct."),
    TemplateSpec(
        name="phi_small", jinja_file="phi_small.jinja", special_tokens=("<|endoftext|>", *_PHI),
        stop_words=("<|end|>",), bos_token="<|endoftext|>", eos_token="<|endoftext|>",
        description="Phi-3-small (the Phi-3 layout after a leading <|endoftext|>)."),
    TemplateSpec(
        name="phi4_mini", jinja_file="phi4_mini.jinja", special_tokens=_PHI, stop_words=("<|end|>",),
        eos_token="<|endoftext|>", description="Phi-4-mini instruct (no newlines between turns; no tools)."),
    TemplateSpec(
        name="cohere", jinja_file="cohere.jinja",
        special_tokens=("<BOS_TOKEN>", "<|START_OF_TURN_TOKEN|>", "<|END_OF_TURN_TOKEN|>", "<|SYSTEM_TOKEN|>",
                        "<|USER_TOKEN|>", "<|CHATBOT_TOKEN|>"),
        stop_words=("<|END_OF_TURN_TOKEN|>",), bos_token="<BOS_TOKEN>", eos_token="<|END_OF_TURN_TOKEN|>",
        description="Cohere Command-R / Command-R+ / Aya."),
    TemplateSpec(
        name="seed_coder", jinja_file="seed_coder.jinja",
        special_tokens=("<[begin▁of▁sentence]>", "<[end▁of▁sentence]>"),
        bos_token="<[begin▁of▁sentence]>", eos_token="<[end▁of▁sentence]>",
        default_system="You are an AI programming assistant, utilizing the Seed-Coder model, developed by ByteDance "
                       "Seed, and you only answer questions related to computer science. For politically sensitive "
                       "questions, security and privacy issues, and other non-computer science questions, you will "
                       "refuse to answer.\n\n",
        description="ByteDance Seed-Coder Instruct ('<bos>role\\n … <eos>')."),
    TemplateSpec(
        name="seed_oss", jinja_file="seed_oss.jinja",
        special_tokens=(_SEED_BOS, _SEED_EOS, "<seed:think>", "</seed:think>"), bos_token=_SEED_BOS,
        eos_token=_SEED_EOS, thinking=True,
        description="ByteDance Seed-OSS (reasoning; a reply without a think block gets an empty one; no tools)."),
    TemplateSpec(
        name="gpt_oss", jinja_file="gpt_oss.jinja",
        special_tokens=("<|start|>", "<|message|>", "<|end|>", "<|channel|>", "<|return|>"),
        eos_token="<|return|>", thinking=True, default_system="You are ChatGPT, a large language model trained by OpenAI.",
        description="OpenAI gpt-oss in LLaMA-Factory's harmony layout (analysis + final channels; no tools)."),
)
