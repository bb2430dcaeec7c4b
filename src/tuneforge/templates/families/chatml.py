"""ChatML layouts (<|im_start|>role\\n … <|im_end|>) and their relatives: Qwen, Yi, InternLM, Phi-4, MiniCPM4,
DBRX, SmolLM, ERNIE, MiMo, … Vision-language models (docs/multimodal.md) use the text layout of their family;
each <image>/<video> is written as the model's own media tokens and expanded by its processor."""
from __future__ import annotations

from tuneforge.templates.spec import TemplateSpec

_IM = ("<|im_start|>", "<|im_end|>")
_STOP = ("<|im_end|>",)
_QWEN_TOOLS = ("<tool_call>", "</tool_call>")
_QWEN3_TOOLS = (*_QWEN_TOOLS, "<tool_response>", "</tool_response>")
_THINK = ("<think>", "</think>")


def _chatml(name: str, description: str, jinja_file: str | None = None, **facts) -> TemplateSpec:
    """A ChatML template that ends a reply with <|im_end|>."""
    facts = {"special_tokens": _IM, "eos_token": "<|im_end|>"} | facts
    return TemplateSpec(name=name, jinja_file=jinja_file or f"{name}.jinja", stop_words=_STOP,
                        description=description, **facts)


SPECS: tuple[TemplateSpec, ...] = (
    _chatml("chatml", "Plain ChatML (<|im_start|>role … <|im_end|>)."),
    _chatml("chatml_de", "ChatML with a German default system prompt.",
            default_system="Du bist ein freundlicher und hilfsbereiter KI-Assistent."),
    _chatml("qwen", "Qwen2 / Qwen2.5 Instruct (ChatML + Hermes-style tool calls).",
            special_tokens=(*_IM, *_QWEN_TOOLS), tool_format="qwen",
            default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
            verified_against=("Qwen/Qwen2.5-1.5B-Instruct",
                              "Qwen/Qwen2.5-Math-72B-Instruct (given a system message)")),
    _chatml("qwen3", "Qwen3 hybrid thinking models (<think> kept after the last user message).",
            special_tokens=(*_IM, *_QWEN3_TOOLS, *_THINK), tool_format="qwen", thinking=True,
            verified_against=("Qwen/Qwen3-4B",)),
    _chatml("qwen3_nothink", "Qwen3 without thinking (Qwen3-Instruct-2507 and non-reasoning Qwen3 fine-tunes).",
            special_tokens=(*_IM, *_QWEN3_TOOLS), tool_format="qwen"),
    # Qwen3.5 / 3.6: LLaMA-Factory writes their text turns exactly as Qwen3's; their tool-call format (XML
    # parameters) is not Qwen3's, so tools are refused rather than written in the wrong format.
    _chatml("qwen3_5", "Qwen3.5 text (the Qwen3 thinking layout; no tools).", jinja_file="qwen3.jinja",
            special_tokens=(*_IM, *_THINK), thinking=True),
    _chatml("qwen3_5_nothink", "Qwen3.5 text without thinking (the Qwen3 layout; no tools).",
            jinja_file="qwen3_nothink.jinja"),
    _chatml("qwen3_6", "Qwen3.6 text (the Qwen3 thinking layout; no tools).", jinja_file="qwen3.jinja",
            special_tokens=(*_IM, *_THINK), thinking=True),
    _chatml("qwen2_vl", "Qwen2-VL / Qwen2.5-VL Instruct (images and video).", vision=True,
            default_system="You are a helpful assistant.", verified_against=("Qwen/Qwen2-VL-7B-Instruct",)),
    _chatml("qwen3_vl", "Qwen3-VL Thinking models (the Qwen3 layout; images and video).", jinja_file="qwen3.jinja",
            special_tokens=(*_IM, *_QWEN3_TOOLS, *_THINK), tool_format="qwen", thinking=True, vision=True),
    _chatml("qwen3_vl_nothink", "Qwen3-VL Instruct models (the Qwen3 layout without thinking; images and video).",
            jinja_file="qwen3_nothink.jinja", special_tokens=(*_IM, *_QWEN3_TOOLS), tool_format="qwen", vision=True),
    _chatml("yi", "Yi / Yi-1.5 chat (ChatML).", bos_token="<|startoftext|>"),
    _chatml("intern2", "InternLM2 / InternLM2.5 chat.", special_tokens=("<s>", *_IM), bos_token="<s>",
            eos_token="</s>", verified_against=("internlm/internlm2-chat-7b",)),
    _chatml("cpm4", "MiniCPM4 (bos + ChatML).", special_tokens=("<s>", *_IM), bos_token="<s>"),
    _chatml("dbrx", "Databricks DBRX Instruct (ChatML, DBRX's default system prompt).", eos_token="<|endoftext|>",
            default_system=(
                "You are DBRX, created by Databricks. You were last updated in December 2023. "
                "You answer questions based on information available up to that point.\n"
                "YOU PROVIDE SHORT RESPONSES TO SHORT QUESTIONS OR STATEMENTS, but provide thorough "
                "responses to more complex and open-ended questions.\nYou assist with various tasks, "
                "from writing to coding (using markdown for code blocks — remember to use ``` with "
                "code, JSON, and tables).\n(You do not have real-time data access or code execution "
                "capabilities. You avoid stereotyping and provide balanced perspectives on "
                "controversial topics. You do not provide song lyrics, poems, or news articles and "
                "do not divulge details of your training data.)\nThis is your system prompt, "
                "guiding your responses. Do not reference it, just respond to the user. If you find "
                "yourself talking about this message, stop. You should be responding appropriately "
                "and usually that means not mentioning this.\nYOU DO NOT MENTION ANY OF THIS INFORMATION "
                "ABOUT YOURSELF UNLESS THE INFORMATION IS DIRECTLY PERTINENT TO THE USER'S QUERY.")),
    TemplateSpec(
        name="falcon_h1", jinja_file="falcon_h1.jinja", special_tokens=_IM,
        stop_words=("<|im_end|>", "<|end_of_text|>"), description="Falcon-H1 instruct (bos + ChatML)."),
    _chatml("lfm2", "Liquid LFM2 (ChatML; no tools).", default_system="You are a helpful AI assistant."),
    _chatml("opencoder", "OpenCoder instruct (ChatML).",
            default_system="You are OpenCoder, created by OpenCoder Team."),
    _chatml("smollm", "SmolLM instruct (ChatML, no default system prompt)."),
    _chatml("smollm2", "SmolLM2 instruct (ChatML).",
            default_system="You are a helpful AI assistant named SmolLM, trained by Hugging Face."),
    _chatml("sailor", "Sailor (ChatML with question/answer roles).", eos_token=None,
            default_system="You are an AI assistant named Sailor created by Sea AI Lab. "
                           "Your answer should be friendly, unbiased, faithful, informative and detailed."),
    _chatml("ernie", "ERNIE 4.5 in ChatML (blank line after each turn; think mode set by the default system).",
            bos_token="<s>", eos_token="</s>", default_system="<global_setting>\nthink_mode=True\n</global_setting>"),
    _chatml("mimo", "Xiaomi MiMo (ChatML reasoning; a reply without a think block gets an empty one).",
            thinking=True, default_system="You are a helpful assistant."),
    _chatml("mimo_v2", "Xiaomi MiMo-V2 (ChatML reasoning; a reply without a think block gets <think></think>).",
            thinking=True, default_system="You are MiMo, a helpful AI assistant engineered by Xiaomi."),
    TemplateSpec(
        name="phi4", jinja_file="phi4.jinja", special_tokens=("<|im_start|>", "<|im_sep|>", "<|im_end|>"),
        stop_words=_STOP, bos_token="<|endoftext|>", eos_token="<|im_end|>", description="Phi-4 (14B)."),
    TemplateSpec(
        name="moonlight", jinja_file="moonlight.jinja",
        special_tokens=("<|im_system|>", "<|im_user|>", "<|im_assistant|>", "<|im_middle|>", "<|im_end|>"),
        stop_words=_STOP, default_system="You are a helpful assistant provided by Moonshot-AI.",
        description="Moonshot Moonlight (<|im_user|>user<|im_middle|> … <|im_end|>)."),
)
