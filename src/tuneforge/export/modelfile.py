"""An Ollama Modelfile generated from the TemplateSpec a model was trained with: FROM, TEMPLATE (Go template
over `.System` / `.Messages`), PARAMETER stop for every stop token, SYSTEM when the template has a default.

Each template family's turn layout is data (`FORMATS`): the text around a system, user and assistant turn, with
`{content}` where the message goes and `{bos}` / `{eos}` for the tokenizer's own tokens. `go_template` turns one
layout into Ollama's template language; tests render it with Ollama's semantics and compare it with the jinja
rendering, so the two cannot drift apart. The template is emitted without whitespace trimming (`{{-`), so
every character between actions is literal prompt text. Families with a tool format (qwen, qwen3, llama3,
mistral) also render `.Tools`, assistant `.ToolCalls` and `tool` results; Ollama writes JSON without spaces (and
without llama3's indentation of the tool list), so those parts match the jinja rendering up to JSON whitespace.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from tuneforge.templates.spec import TemplateSpec


@dataclass(frozen=True)
class ToolFormat:
    """How a family writes tools (Go template text; `{tools}` = the tool list, each tool as `tool`):
    - `system`: the system block when tools are offered (qwen, llama3's "Environment: ipython"), or None;
    - `first_user_open` / `first_user_lead`: text before the first user turn (Mistral's [AVAILABLE_TOOLS]) or
      inside it before its content (Llama 3.1's function list), when tools are offered;
    - `call`: one tool call (`.Function.Name`, `.Function.Arguments`); the calls of a message are wrapped in
      `calls_open`/`calls_close` and joined by `call_sep`, which also follows the message's content when
      `sep_after_content`;
    - `result`: a tool result turn."""
    system: str | None
    tool: str
    call: str
    result: str
    call_sep: str = "\n"
    calls_open: str = ""
    calls_close: str = ""
    sep_after_content: bool = True
    first_user_open: str = ""
    first_user_lead: str = ""


@dataclass(frozen=True)
class ChatFormat:
    """How one family writes its turns. `system=None`: the family has no system turn, a system prompt goes
    inside the first user message, before its content, as `system_in_user` (`{content}` = the system prompt).
    `open`: what opens the reply when generating, when it is not the assistant text before `{content}` (a
    family whose replies start with a space or newline the model writes itself, or a think tag)."""
    user: str
    assistant: str
    system: str | None = None
    prefix: str = ""
    system_always: bool = False  # the system block is written even with no system prompt (llama3's header)
    tools: ToolFormat | None = None
    system_in_user: str = "{content}\n\n"
    open: str | None = None


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
_MIXTRAL = ChatFormat(prefix="{bos}", user="[INST] {content} [/INST]", assistant="{content}{eos}")
_MISTRAL = replace(_MIXTRAL, tools=ToolFormat(  # Mistral v0.3's control tokens
    system=None, tool="{{ . }}", first_user_open="[AVAILABLE_TOOLS] [{tools}][/AVAILABLE_TOOLS]",
    call='{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}',
    calls_open="[TOOL_CALLS] [", call_sep=", ", calls_close="]", sep_after_content=False,
    result='[TOOL_RESULTS] {"content": {{ .Content }}}[/TOOL_RESULTS]'))
_LLAMA3_HEADER = "<|start_header_id|>system<|end_header_id|>\n\n"
_LLAMA3_DATES = "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
_LLAMA3_FUNCTIONS = ('Respond in the format {"name": function name, "parameters": dictionary of argument name and its '
                     'value}.Do not use variables.\n\n')
_LLAMA3_TOOLS = ToolFormat(
    system=f"{_LLAMA3_HEADER}Environment: ipython\n{_LLAMA3_DATES}{{{{ .System }}}}<|eot_id|>",
    tool="{{ . }}\n\n",
    first_user_lead="Given the following functions, please respond with a JSON for a function call with its proper "
                    f"arguments that best answers the given prompt.\n\n{_LLAMA3_FUNCTIONS}{{tools}}",
    call='{"name": "{{ .Function.Name }}", "parameters": {{ .Function.Arguments }}}',
    # the official template writes a result with tojson, which quotes a string result too
    result="<|start_header_id|>ipython<|end_header_id|>\n\n{{ json .Content }}<|eot_id|>")
_VICUNA = ChatFormat(system="{content} ", user="USER: {content} ASSISTANT:", assistant=" {content}{eos}", open="")
_GLM = ChatFormat(prefix="[gMASK]<sop>", system="<|system|>\n{content}", user="<|user|>\n{content}",
                  assistant="<|assistant|>\n{content}", open="<|assistant|>")

_GRANITE = ChatFormat(system="<|start_of_role|>system<|end_of_role|>{content}<|end_of_text|>\n",
                      user="<|start_of_role|>user<|end_of_role|>{content}<|end_of_text|>\n",
                      assistant="<|start_of_role|>assistant<|end_of_role|>{content}<|end_of_text|>\n")

FORMATS: dict[str, ChatFormat] = {
    "chatml": _CHATML, "qwen": _QWEN, "qwen3_nothink": _QWEN, "yi": _CHATML,
    "intern2": ChatFormat(prefix="{bos}", system=_CHATML.system, user=_CHATML.user, assistant=_CHATML.assistant),
    "llama3": ChatFormat(
        prefix="{bos}", system_always=True, tools=_LLAMA3_TOOLS,
        system=f"{_LLAMA3_HEADER}{_LLAMA3_DATES}{{content}}<|eot_id|>",
        user="<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>",
        assistant="<|start_header_id|>assistant<|end_header_id|>\n\n{content}<|eot_id|>"),
    "mistral": _MISTRAL, "mixtral": _MIXTRAL, "gemma": _GEMMA, "gemma3": _GEMMA,
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
    "qwen3": _QWEN, "qwen2_vl": _CHATML, "qwen3_vl": _CHATML, "qwen3_vl_nothink": _CHATML,
    "alpaca": ChatFormat(system="{content}\n\n", user="### Instruction:\n{content}\n\n### Response:\n",
                         assistant="{content}{eos}\n\n"),
    "baichuan2": ChatFormat(system="{content}", user="<reserved_106>{content}<reserved_107>",
                            assistant="{content}{eos}"),
    "chatglm3": ChatFormat(prefix="[gMASK]sop", system="<|system|>\n {content}", user="<|user|>\n {content}",
                           assistant="<|assistant|>\n {content}", open="<|assistant|>"),
    "glm4": _GLM,
    "cohere": ChatFormat(prefix="{bos}", system="<|START_OF_TURN_TOKEN|><|SYSTEM_TOKEN|>{content}<|END_OF_TURN_TOKEN|>",
                         user="<|START_OF_TURN_TOKEN|><|USER_TOKEN|>{content}<|END_OF_TURN_TOKEN|>",
                         assistant="<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>{content}<|END_OF_TURN_TOKEN|>"),
    "cpm": ChatFormat(prefix="{bos}", system="{content}", user="<用户>{content}<AI>", assistant="{content}{eos}"),
    "deepseek": ChatFormat(prefix="{bos}", system="{content}\n\n", user="User: {content}\n\nAssistant:",
                           assistant=" {content}{eos}", open=""),
    "deepseekr1": ChatFormat(prefix="{bos}", system="{content}", user="<｜User｜>{content}",
                             assistant="<｜Assistant｜>{content}<｜end▁of▁sentence｜>",
                             open="<｜Assistant｜><think>\n"),
    "empty": ChatFormat(system="{content}", user="{content}", assistant="{content}{eos}"),
    "falcon": ChatFormat(system="System: {content}\n", user="User: {content}\nFalcon:", assistant=" {content}{eos}\n",
                         open=""),
    "llama2": ChatFormat(user="{bos}[INST] {content} [/INST]", assistant=" {content} {eos}",
                         system_in_user="<<SYS>>\n{content}\n<</SYS>>\n\n", open=""),
    "llava": _VICUNA, "llava_next": _VICUNA, "vicuna": _VICUNA,
    "xverse": ChatFormat(system="{content}\n\n", user="Human: {content}\n\nAssistant:", assistant=" {content}{eos}",
                         open=""),
    "yuan": ChatFormat(system="{content}", user="{content}<sep>", assistant="{content}{eos}\n"),
    # Added with LLaMA-Factory's remaining text templates (docs/templates.md). Reasoning templates write the
    # empty think block a history reply gets (Ollama's .Content carries no reasoning); their reply opener is
    # the bare header.
    "fewshot": ChatFormat(system="{content}", user="{content}", assistant="{content}\n\n{eos}"),
    "solar": ChatFormat(system="### System:\n{content}\n\n", user="### User:\n{content}\n\n",
                        assistant="### Assistant:\n{content}{eos}"),
    "xuanyuan": ChatFormat(system="{content}", user="Human: {content} ", assistant="Assistant:{content}{eos}"),
    "olmo": ChatFormat(prefix="{eos}", system="{content}", user="<|user|>\n{content}",
                       assistant="<|assistant|>\n{content}{eos}"),
    "starchat": ChatFormat(system="<|system|>\n{content}<|end|>\n", user="<|user|>\n{content}<|end|>\n",
                           assistant="<|assistant|>{content}<|end|>\n"),
    "index": ChatFormat(system="<unk>{content}", user="reserved_0{content}", assistant="reserved_1{content}{eos}"),
    "telechat2": ChatFormat(system="<_system>{content}", user="<_user>{content}", assistant="<_bot>{content}{eos}"),
    "chatml_de": _CHATML, "dbrx": _CHATML, "lfm2": _CHATML, "opencoder": _CHATML, "smollm": _CHATML,
    "smollm2": _CHATML, "qwen3_5": _CHATML, "qwen3_5_nothink": _CHATML, "qwen3_6": _CHATML,
    "cpm4": replace(_CHATML, prefix="{bos}"), "falcon_h1": replace(_CHATML, prefix="{bos}"),
    "sailor": replace(_CHATML, user="<|im_start|>question\n{content}<|im_end|>\n",
                      assistant="<|im_start|>answer\n{content}<|im_end|>\n"),
    "ernie": ChatFormat(system="<|im_start|>system\n{content}<|im_end|>\n\n",
                        user="<|im_start|>user\n{content}<|im_end|>\n\n",
                        assistant="<|im_start|>assistant\n{content}<|im_end|>\n\n"),
    "mimo": replace(_CHATML, assistant="<|im_start|>assistant\n<think>\n\n</think>\n\n{content}<|im_end|>\n",
                    open="<|im_start|>assistant\n"),
    "mimo_v2": replace(_CHATML, assistant="<|im_start|>assistant\n<think></think>{content}<|im_end|>\n",
                       open="<|im_start|>assistant\n"),
    "moonlight": ChatFormat(system="<|im_system|>system<|im_middle|>{content}<|im_end|>",
                            user="<|im_user|>user<|im_middle|>{content}<|im_end|>",
                            assistant="<|im_assistant|>assistant<|im_middle|>{content}<|im_end|>"),
    "llama4": ChatFormat(prefix="{bos}", system="<|header_start|>system<|header_end|>\n\n{content}<|eot|>",
                         user="<|header_start|>user<|header_end|>\n\n{content}<|eot|>",
                         assistant="<|header_start|>assistant<|header_end|>\n\n{content}<|eot|>"),
    "openchat-3.6": ChatFormat(
        prefix="{bos}", system="{content}",
        user="<|start_header_id|>GPT4 Correct User<|end_header_id|>\n\n{content}<|eot_id|>",
        assistant="<|start_header_id|>GPT4 Correct Assistant<|end_header_id|>\n\n{content}<|eot_id|>"),
    "ministral": ChatFormat(prefix="{bos}", user="[INST]{content}[/INST]", assistant="{content}{eos}"),
    "ministral3": ChatFormat(prefix="{bos}", user="[INST]{content}[/INST]", assistant="{content}{eos}"),
    "mistral_small": ChatFormat(prefix="{bos}", system="[SYSTEM_PROMPT]{content}[/SYSTEM_PROMPT]",
                                user="[INST]{content}[/INST]", assistant="{content}{eos}"),
    "breeze": ChatFormat(prefix="{bos}", system="{content}", user="[INST] {content} [/INST] ",
                         assistant="{content}{eos}"),
    "openchat": ChatFormat(prefix="{bos}", system="{content}", user="GPT4 Correct User: {content}{eos}",
                           assistant="GPT4 Correct Assistant: {content}{eos}", open="GPT4 Correct Assistant:"),
    "gemma2": _GEMMA,
    "llama2_zh": ChatFormat(user="{bos}[INST] {content} [/INST]", assistant=" {content} {eos}",
                            system_in_user="<<SYS>>\n{content}\n<</SYS>>\n\n", open=""),
    "glm4_moe": replace(_GLM, assistant="<|assistant|>\n<think></think>\n{content}"),
    "glmz1": replace(_GLM, assistant="<|assistant|><think>\n\n</think>\n\n\n{content}"),
    "glm4_7": replace(_GLM, assistant="<|assistant|></think>\n{content}"),
    "aeva": replace(_GLM, assistant="<|assistant|></think>\n{content}"),
    "deepseekcoder": ChatFormat(prefix="{bos}", system="{content}", user="### Instruction:\n{content}\n",
                                assistant="### Response:\n{content}\n<|EOT|>\n", open="### Response:"),
    "hunyuan": ChatFormat(prefix="<|startoftext|>", system="{content}<|extra_4|>", user="{content}",
                          assistant="<|extra_0|>{content}<|eos|>"),
    "hunyuan_small": ChatFormat(prefix="<｜hy_begin▁of▁sentence｜>", system="{content}<｜hy_place▁holder▁no▁3｜>",
                                user="<｜hy_User｜>{content}",
                                assistant="<｜hy_place▁holder▁no▁8｜>{content}<｜hy_place▁holder▁no▁2｜>"),
    "hy3": ChatFormat(prefix="{bos}", system="{content}", user="<｜hy_User｜>{content}",
                      assistant="<｜hy_Assistant｜><think></think>{content}<｜hy_eos｜>", open="<｜hy_Assistant｜>"),
    "youtu": ChatFormat(prefix="{bos}", system="{content}", user="<|User|>{content}",
                        assistant="<|Assistant|><think>\n\n</think>\n\n{content}<|end_of_text|>", open="<|Assistant|>"),
    "bailing": ChatFormat(system="<role>SYSTEM</role>{content}", user="<role>HUMAN</role>{content}",
                          assistant="<role>ASSISTANT</role>{content}<|endoftext|>"),
    "bailing_v2": ChatFormat(system="<role>SYSTEM</role>{content}<|role_end|>",
                             user="<role>HUMAN</role>{content}<|role_end|>",
                             assistant="<role>ASSISTANT</role>{content}<|role_end|>"),
    "ernie_nothink": ChatFormat(prefix="<|begin_of_sentence|>", system="{content}\n", user="User: {content}\n",
                                assistant="Assistant: {content}<|end_of_sentence|>"),
    "exaone": ChatFormat(system="[|system|]{content}[|endofturn|]\n", user="[|user|]{content}\n",
                         assistant="[|assistant|]{content}[|endofturn|]\n"),
    "granite3": _GRANITE, "granite4": _GRANITE,
    "minimax1": ChatFormat(system="<beginning_of_sentence>system ai_setting=assistant\n{content}<end_of_sentence>\n",
                           user="<beginning_of_sentence>user name=user\n{content}<end_of_sentence>\n",
                           assistant="<beginning_of_sentence>ai name=assistant\n{content}<end_of_sentence>\n"),
    "minimax2": ChatFormat(system="]~!b[]~b]system\n{content}[e~[\n", user="]~b]user\n{content}[e~[\n",
                           assistant="]~b]ai\n<think>\n\n</think>\n\n{content}[e~[\n", open="]~b]ai\n"),
    "phi_small": ChatFormat(prefix="{bos}", system="<|system|>\n{content}<|end|>\n",
                            user="<|user|>\n{content}<|end|>\n",
                            assistant="<|assistant|>\n{content}<|end|>\n"),
    "phi4_mini": ChatFormat(system="<|system|>{content}<|end|>", user="<|user|>{content}<|end|>",
                            assistant="<|assistant|>{content}<|end|>"),
    "seed_coder": ChatFormat(system="{bos}system\n{content}{eos}", user="{bos}user\n{content}{eos}",
                             assistant="{bos}assistant\n{content}{eos}"),
    "seed_oss": ChatFormat(system="{bos}system\n{content}{eos}", user="{bos}user\n{content}{eos}",
                           assistant="{bos}assistant\n<seed:think></seed:think>{content}{eos}",
                           open="{bos}assistant\n"),
    "gpt_oss": ChatFormat(system="<|start|>system<|message|>{content}<|end|>",
                          user="<|start|>user<|message|>{content}<|end|>",
                          assistant="<|start|>assistant<|channel|>analysis<|message|><|end|><|start|>assistant"
                                    "<|channel|>final<|message|>{content}{eos}", open="<|start|>assistant"),
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
    if fmt.tools is None or fmt.tools.system is None:
        return plain
    return f"{{{{ if .Tools }}}}{_with_tools(fmt.tools.system, fmt.tools)}{{{{ else }}}}{plain}{{{{ end }}}}"


def _with_tools(text: str, tools: ToolFormat) -> str:
    """`text` with `{tools}` as the offered tools, each written as `tools.tool` (joined by ", " when the
    family writes them as a JSON list)."""
    if "[{tools}]" in text:
        listed = f"{{{{ range $k, $t := $.Tools }}}}{{{{ if $k }}}}, {{{{ end }}}}{tools.tool.replace('{{ . }}', '{{ $t }}')}{{{{ end }}}}"
        return text.replace("{tools}", listed)
    return text.replace("{tools}", f"{{{{ range $.Tools }}}}{tools.tool}{{{{ end }}}}")


def go_template(fmt: ChatFormat, *, bos: str = "", eos: str = "", runtime_adds_bos: bool = False) -> str:
    """The Ollama TEMPLATE for one chat format. `runtime_adds_bos`: llama.cpp puts BOS before the prompt (the
    tokenizer adds it by itself), so the TEMPLATE leaves out the BOS that opens the conversation, but still
    writes the one a family puts before each later turn (Llama 2's `<s>[INST]`)."""
    user_bos = f"{{{{ if not $first }}}}{bos}{{{{ end }}}}" if runtime_adds_bos and bos else bos
    if runtime_adds_bos:
        bos = ""
    user_pre, user_post = _halves(fmt.user.replace("{bos}", user_bos), bos, eos)
    bot_pre, bot_post = _halves(fmt.assistant, bos, eos)
    in_user_pre, in_user_post = _halves(fmt.system_in_user, bos, eos)
    system_in_user = "" if fmt.system is not None else \
        f"{{{{ if and $first $.System }}}}{in_user_pre}{{{{ $.System }}}}{in_user_post}{{{{ end }}}}"
    reply_open = bot_pre if fmt.open is None else _fill(fmt.open, bos, eos)
    calls = tool_turn = user_open = user_lead = ""
    if fmt.tools is not None:
        calls, tool_turn = _tool_calls(fmt.tools), f'{{{{ else if eq .Role "tool" }}}}{fmt.tools.result}'
        if fmt.tools.first_user_open:
            user_open = f"{{{{ if and $first $.Tools }}}}{_with_tools(fmt.tools.first_user_open, fmt.tools)}{{{{ end }}}}"
        if fmt.tools.first_user_lead:
            user_lead = f"{{{{ if and $first $.Tools }}}}{_with_tools(fmt.tools.first_user_lead, fmt.tools)}{{{{ end }}}}"
    return (_fill(fmt.prefix, bos, eos) + _system_block(fmt, bos, eos)
            + "{{ $first := true }}{{ range $i, $m := .Messages }}"
            "{{ $last := eq (len (slice $.Messages $i)) 1 }}"
            f'{{{{ if eq .Role "user" }}}}{user_open}{user_pre}{system_in_user}{user_lead}{{{{ .Content }}}}{user_post}'
            "{{ $first = false }}"
            f'{{{{ else if eq .Role "assistant" }}}}{bot_pre}{{{{ .Content }}}}{calls}'
            f"{{{{ if not $last }}}}{bot_post}{{{{ end }}}}{tool_turn}{{{{ end }}}}"
            f'{{{{ if and $last (ne .Role "assistant") }}}}{reply_open}{{{{ end }}}}{{{{ end }}}}')


def _tool_calls(tools: ToolFormat) -> str:
    """An assistant message's tool calls (inside the range over .Messages: `$m` is the message)."""
    sep_when = "or $m.Content $j" if tools.sep_after_content else "$j"
    calls = (f"{{{{ range $j, $c := $m.ToolCalls }}}}{{{{ if {sep_when} }}}}{tools.call_sep}{{{{ end }}}}"
             f"{tools.call}{{{{ end }}}}")
    if tools.calls_open or tools.calls_close:
        calls = f"{{{{ if $m.ToolCalls }}}}{tools.calls_open}{calls}{tools.calls_close}{{{{ end }}}}"
    return calls


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
              adapter: str | None = None, runtime_adds_bos: bool = False) -> str:
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
        lines.append(f"TEMPLATE {_quote(go_template(fmt, bos=bos, eos=eos or '', runtime_adds_bos=runtime_adds_bos))}")
    if template.default_system:
        lines.append(f"SYSTEM {_quote(template.default_system)}")
    lines += [f"PARAMETER stop {_quote(word) if ' ' in word else word}" for word in stop_words(template, eos)]
    return "\n".join(lines) + "\n"


def tokenizer_modelfile(gguf_name: str, template: TemplateSpec | None, tokenizer, *, adapter: str | None = None) -> str:
    """`modelfile` for a model with this tokenizer: the TEMPLATE leaves the opening BOS out when llama.cpp adds
    it (`runtime_adds_bos`, the GGUF's add_bos_token)."""
    from tuneforge.export.gguf.vocab import runtime_adds_bos

    return modelfile(gguf_name, template, bos=tokenizer.bos_token or "", eos=tokenizer.eos_token, adapter=adapter,
                     runtime_adds_bos=runtime_adds_bos(tokenizer, template))
