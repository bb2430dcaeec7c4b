"""An Ollama Modelfile generated from the TemplateSpec a model was trained with: FROM, TEMPLATE (Go template
over `.System` / `.Messages`), PARAMETER stop for every stop token, SYSTEM when the template has a default.

Each template family's turn layout is data (`FORMATS`): the text around a system, user and assistant turn, with
`{content}` where the message goes and `{bos}` / `{eos}` for the tokenizer's own tokens. `go_template` turns one
layout into Ollama's template language; tests render it with Ollama's semantics and compare it with the jinja
rendering, so the two cannot drift apart. The template is emitted without whitespace trimming (`{{-`), so
every character between actions is literal prompt text. Families with a tool format (qwen) also render
`.Tools`, assistant `.ToolCalls` and `tool` results; Ollama writes JSON without spaces, so those parts match the
jinja rendering up to JSON whitespace.
"""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.templates.spec import TemplateSpec


@dataclass(frozen=True)
class ToolFormat:
    """How a family writes tools (Go template text): the system block when tools are offered (`{tools}` = the
    tool list), one tool call (`.Function.Name`, `.Function.Arguments`), and a tool result turn."""
    system: str
    tool: str
    call: str
    result: str


@dataclass(frozen=True)
class ChatFormat:
    """How one family writes its turns. `system=None`: the family has no system turn, a system prompt goes
    before the first user message as `{system}\\n\\n{content}` (as the jinja templates do)."""
    user: str
    assistant: str
    system: str | None = None
    prefix: str = ""
    system_always: bool = False  # the system block is written even with no system prompt (llama3's header)
    tools: ToolFormat | None = None


_CHATML = ChatFormat(system="<|im_start|>system\n{content}<|im_end|>\n", user="<|im_start|>user\n{content}<|im_end|>\n",
                     assistant="<|im_start|>assistant\n{content}<|im_end|>\n")
_QWEN_TOOLS = ToolFormat(
    system="<|im_start|>system\n{{ if .System }}{{ .System }}\n\n{{ end }}# Tools\n\nYou may call one or more "
           "functions to assist with the user query.\n\nYou are provided with function signatures within "
           "<tools></tools> XML tags:\n<tools>{tools}\n</tools>\n\nFor each function call, return a json object "
           "with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n"
           '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n',
    tool="\n{{ . }}",
    call='<tool_call>\n{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}\n</tool_call>',
    result="<|im_start|>user\n<tool_response>\n{{ .Content }}\n</tool_response><|im_end|>\n")
_QWEN = ChatFormat(system=_CHATML.system, user=_CHATML.user, assistant=_CHATML.assistant, tools=_QWEN_TOOLS)
_GEMMA = ChatFormat(prefix="{bos}", user="<start_of_turn>user\n{content}<end_of_turn>\n",
                    assistant="<start_of_turn>model\n{content}<end_of_turn>\n")
_MISTRAL = ChatFormat(prefix="{bos}", user="[INST] {content} [/INST]", assistant="{content}{eos}")

FORMATS: dict[str, ChatFormat] = {
    "chatml": _CHATML, "qwen": _QWEN, "qwen3_nothink": _QWEN, "yi": _CHATML,
    "intern2": ChatFormat(prefix="{bos}", system=_CHATML.system, user=_CHATML.user, assistant=_CHATML.assistant),
    "llama3": ChatFormat(
        prefix="{bos}", system_always=True,
        system="<|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
               "Today Date: 26 Jul 2024\n\n{content}<|eot_id|>",
        user="<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>",
        assistant="<|start_header_id|>assistant<|end_header_id|>\n\n{content}<|eot_id|>"),
    "mistral": _MISTRAL, "mixtral": _MISTRAL, "gemma": _GEMMA, "gemma3": _GEMMA,
    "phi": ChatFormat(system="<|system|>\n{content}<|end|>\n", user="<|user|>\n{content}<|end|>\n",
                      assistant="<|assistant|>\n{content}<|end|>\n"),
    "phi4": ChatFormat(system="<|im_start|>system<|im_sep|>{content}<|im_end|>",
                       user="<|im_start|>user<|im_sep|>{content}<|im_end|>",
                       assistant="<|im_start|>assistant<|im_sep|>{content}<|im_end|>"),
    "zephyr": ChatFormat(system="<|system|>\n{content}{eos}\n", user="<|user|>\n{content}{eos}\n",
                         assistant="<|assistant|>\n{content}{eos}\n"),
    "deepseek3": ChatFormat(prefix="{bos}", system="{content}", user="<｜User｜>{content}",
                            assistant="<｜Assistant｜>{content}<｜end▁of▁sentence｜>"),
    "default": ChatFormat(system="System: {content}{eos}\n", user="Human: {content}{eos}\nAssistant:",
                          assistant="{content}{eos}\n"),
}


def _fill(text: str, bos: str, eos: str) -> str:
    return text.replace("{bos}", bos).replace("{eos}", eos)


def _halves(text: str, bos: str, eos: str) -> tuple[str, str]:
    before, _, after = _fill(text, bos, eos).partition("{content}")
    return before, after


def _system_block(fmt: ChatFormat, bos: str, eos: str) -> str:
    if fmt.system is None:
        return ""
    pre, post = _halves(fmt.system, bos, eos)
    plain = (f"{pre}{{{{ .System }}}}{post}" if fmt.system_always
             else f"{{{{ if .System }}}}{pre}{{{{ .System }}}}{post}{{{{ end }}}}")
    if fmt.tools is None:
        return plain
    tools = fmt.tools.system.replace("{tools}", f"{{{{ range .Tools }}}}{fmt.tools.tool}{{{{ end }}}}")
    return f"{{{{ if .Tools }}}}{tools}{{{{ else }}}}{plain}{{{{ end }}}}"


def go_template(fmt: ChatFormat, *, bos: str = "", eos: str = "") -> str:
    """The Ollama TEMPLATE for one chat format (bos "" when the runtime adds it itself)."""
    user_pre, user_post = _halves(fmt.user, bos, eos)
    bot_pre, bot_post = _halves(fmt.assistant, bos, eos)
    system_in_user = "" if fmt.system is not None else \
        "{{ if and $first $.System }}{{ $.System }}\n\n{{ end }}"
    calls = tool_turn = ""
    if fmt.tools is not None:
        calls = (f"{{{{ range $j, $c := $m.ToolCalls }}}}{{{{ if or $m.Content $j }}}}\n{{{{ end }}}}"
                 f"{fmt.tools.call}{{{{ end }}}}")
        tool_turn = f'{{{{ else if eq .Role "tool" }}}}{fmt.tools.result}'
    return (_fill(fmt.prefix, bos, eos) + _system_block(fmt, bos, eos)
            + "{{ $first := true }}{{ range $i, $m := .Messages }}"
            "{{ $last := eq (len (slice $.Messages $i)) 1 }}"
            f'{{{{ if eq .Role "user" }}}}{user_pre}{system_in_user}{{{{ .Content }}}}{user_post}'
            "{{ $first = false }}"
            f'{{{{ else if eq .Role "assistant" }}}}{bot_pre}{{{{ .Content }}}}{calls}'
            f"{{{{ if not $last }}}}{bot_post}{{{{ end }}}}{tool_turn}{{{{ end }}}}"
            f'{{{{ if and $last (ne .Role "assistant") }}}}{bot_pre}{{{{ end }}}}{{{{ end }}}}')


def stop_words(template: TemplateSpec, eos: str | None) -> list[str]:
    words = list(template.stop_words)
    end = template.end_of_turn(eos)
    if end and end not in words:
        words.append(end)
    return words


def _quote(text: str) -> str:
    if '"""' in text:
        raise ValueError('a Modelfile block cannot hold """')
    return f'"""{text}"""'


def modelfile(gguf_name: str, template: TemplateSpec | None, *, bos: str = "", eos: str | None = None,
              adapter: str | None = None) -> str:
    """The Modelfile text; without a known chat format it has no TEMPLATE (Ollama then reads the GGUF's).
    `gguf_name`: a file beside the Modelfile, or an absolute path; `adapter`: a GGUF LoRA adapter beside it."""
    source = gguf_name if gguf_name.startswith("/") else f"./{gguf_name}"
    lines = [f"# Generated by tuneforge from template '{template.name if template else 'none'}'.",
             f"FROM {source}"]
    if adapter:
        lines.append(f"ADAPTER ./{adapter}")
    if template is None:
        return "\n".join(lines) + "\n"
    fmt = FORMATS.get(template.name)
    if fmt is None:
        lines.append(f"# No Ollama TEMPLATE for '{template.name}' yet: Ollama uses the GGUF's chat template.")
    else:
        lines.append(f"TEMPLATE {_quote(go_template(fmt, bos=bos, eos=eos or ''))}")
    if template.default_system:
        lines.append(f"SYSTEM {_quote(template.default_system)}")
    lines += [f"PARAMETER stop {_quote(word) if ' ' in word else word}" for word in stop_words(template, eos)]
    return "\n".join(lines) + "\n"
