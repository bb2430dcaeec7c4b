"""Rendering a conversation to token ids plus an assistant mask (1 = token the model is trained to produce).

With a `TemplateSpec` the spec's jinja (which marks trained spans with `{% generation %}`) goes through
`tokenizer.apply_chat_template`. With `template=None` the tokenizer's own chat_template is used: its generation
markers if it has them, otherwise each assistant content is located in the rendering of the whole conversation
by character offsets. The tokenizer is never modified; problems with the conversation come back as
`UserError`s (the caller adds file and row).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tuneforge.core.errors import UserError
from tuneforge.templates.media import content_text
from tuneforge.templates.spec import TemplateSpec, has_generation_markers

Messages = Sequence[Mapping[str, Any]]
Tools = Sequence[Mapping[str, Any]] | None
_OWN = "the tokenizer's chat_template"


@dataclass(frozen=True)
class Rendered:
    input_ids: list[int]
    assistant_mask: list[int]


def with_default_system(messages: Messages, system: str | None) -> list[dict]:
    """The conversation with `default_system` as its system message when it has none of its own — the one
    rule for training, preference data, chat, the API, predict and PPO prompts."""
    msgs = [dict(m) for m in messages]
    if system and (not msgs or msgs[0].get("role") != "system"):
        msgs.insert(0, {"role": "system", "content": system})
    return msgs


def jinja_variables(template: TemplateSpec | None, enable_thinking: bool) -> dict[str, Any]:
    """The jinja variables the config sets: `enable_thinking` for reasoning templates."""
    return {"enable_thinking": enable_thinking} if template is not None and template.thinking else {}


def render(tokenizer: Any, messages: Messages, *, template: TemplateSpec | None, tools: Tools = None,
           add_generation_prompt: bool = False, template_kwargs: Mapping[str, Any] | None = None) -> Rendered:
    """Token ids of the conversation and which of them belong to assistant turns (content + stop token).

    template_kwargs: extra variables for the jinja (e.g. `enable_thinking` for qwen3, `date_string` for llama3).
    """
    _check_fast(tokenizer)
    chat_template, name = _chat_template(tokenizer, template, messages, tools)
    if not has_generation_markers(chat_template):
        return _render_by_offsets(tokenizer, messages, chat_template, tools, add_generation_prompt,
                                  template_kwargs)
    out = _apply(tokenizer, messages, chat_template, name, tools, add_generation_prompt, template_kwargs,
                 tokenize=True)
    rendered = _checked(Rendered(list(out["input_ids"]), list(out["assistant_masks"])), messages, name)
    if isinstance(rendered, UserError):
        raise rendered
    return rendered


def render_batch(tokenizer: Any, conversations: Sequence[Messages], *, template: TemplateSpec | None,
                 tools: Sequence[Tools]) -> list[Rendered | UserError]:
    """`render` for many conversations: each one's Rendered, or its UserError in its place. Conversations
    without tools whose template marks its trained spans go through one batched `apply_chat_template` call
    (one tokenizer call for all: the bulk of encoding's time); the others, and any batch the template
    refuses, one by one through `render`. The message dicts are handed to the template as they are (no copy:
    this is the hot loop of encoding), so pass dicts of your own — `with_default_system`'s output is."""
    _check_fast(tokenizer)
    out: list[Rendered | UserError | None] = [None] * len(conversations)
    batched: list[int] = []
    chat_template = name = None
    for i, (messages, row_tools) in enumerate(zip(conversations, tools)):
        try:
            chat_template, name = _chat_template(tokenizer, template, messages, row_tools)
        except UserError as exc:
            out[i] = exc
            continue
        if not row_tools and has_generation_markers(chat_template):
            batched.append(i)
    if len(batched) > 1 and chat_template is not None:
        try:
            encoded = _apply(tokenizer, [list(conversations[i]) for i in batched], chat_template, name, None,
                             False, None, tokenize=True)
        except UserError:
            encoded = None  # some conversation the template refuses: find it below, one by one
        if encoded is not None:
            for k, i in enumerate(batched):
                out[i] = _checked(Rendered(list(encoded["input_ids"][k]), list(encoded["assistant_masks"][k])),
                                  conversations[i], name)
    for i, messages in enumerate(conversations):
        if out[i] is None:
            try:
                out[i] = render(tokenizer, messages, template=template, tools=tools[i])
            except UserError as exc:
                out[i] = exc
    return out  # type: ignore[return-value]


def _checked(rendered: Rendered, messages: Messages, name: str) -> Rendered | UserError:
    if not any(rendered.assistant_mask) and any(m.get("role") == "assistant" for m in messages):
        # transformers drops a span whose first character maps to no token (tokenizers that discard whitespace)
        return UserError(f"{name} rendered the assistant turns, but this tokenizer's offsets do not map them back "
                         "to tokens; use another template or tokenizer", field="template")
    return rendered


def render_prompt(tokenizer: Any, messages: Messages, *, template: TemplateSpec | None, tools: Tools = None,
                  template_kwargs: Mapping[str, Any] | None = None) -> list[int]:
    """Token ids of the conversation so far followed by the assistant header, ready for generation."""
    chat_template, name = _chat_template(tokenizer, template, messages, tools)
    out = _apply(tokenizer, messages, chat_template, name, tools, True, template_kwargs, tokenize=True)
    return list(out["input_ids"])


def render_text(tokenizer: Any, messages: Messages, *, template: TemplateSpec | None, tools: Tools = None,
                add_generation_prompt: bool = False, template_kwargs: Mapping[str, Any] | None = None) -> str:
    """The conversation rendered as text (previews, tests)."""
    chat_template, name = _chat_template(tokenizer, template, messages, tools)
    return _apply(tokenizer, messages, chat_template, name, tools, add_generation_prompt, template_kwargs,
                  tokenize=False)


def _chat_template(tokenizer: Any, template: TemplateSpec | None, messages: Messages,
                   tools: Tools) -> tuple[str, str]:
    """(jinja text, a name for error messages), after the checks that need no rendering."""
    if not messages:
        raise UserError("the conversation has no messages", field="messages")
    if template is not None:
        _check_tool_support(template, messages, tools)
        if "eos_token" in template.chat_template and getattr(tokenizer, "eos_token", None) is None:
            raise UserError(f"template '{template.name}' ends each reply with the tokenizer's eos_token, but this "
                            "tokenizer has none", field="template")
        return template.chat_template, f"template '{template.name}'"
    own = getattr(tokenizer, "chat_template", None)
    if isinstance(own, Mapping):  # some tokenizers ship several named templates
        own = own.get("tool_use") if tools and "tool_use" in own else own.get("default")
    if not isinstance(own, str) or not own.strip():
        raise UserError("the tokenizer has no chat_template; set `template:` to one of tuneforge's templates "
                        "(see `tuneforge templates`)", field="template")
    return own, _OWN


def _check_tool_support(template: TemplateSpec, messages: Messages, tools: Tools) -> None:
    if template.tool_format is not None:
        return
    if tools or any(m.get("role") == "tool" or m.get("tool_calls") for m in messages):
        raise UserError(f"template '{template.name}' does not support tools, tool calls or tool results; "
                        "use a template with tool support (e.g. qwen, qwen3, llama3, glm4, mistral)",
                        field="template")


def _check_fast(tokenizer: Any) -> None:
    # Assistant masks map characters to tokens, which only the Rust ("fast") tokenizers can do.
    if not getattr(tokenizer, "is_fast", True):
        raise UserError("this tokenizer has no fast (tokenizer.json) version, which tuneforge needs to find the "
                        "assistant tokens; set use_fast_tokenizer: true or convert the tokenizer", field="template")


def _apply(tokenizer: Any, messages: Messages, chat_template: str, name: str, tools: Tools,
           add_generation_prompt: bool, template_kwargs: Mapping[str, Any] | None, *, tokenize: bool) -> Any:
    import jinja2  # transformers raises jinja2's TemplateError for `raise_exception` and undefined fields

    kwargs: dict[str, Any] = dict(template_kwargs or {})
    if getattr(tokenizer, "bos_token", None) is None:
        kwargs.setdefault("bos_token", "")  # templates write `bos_token + …`; a model without one (Qwen) gets ""
    if tokenize:
        # verbose=False: the encoders cut to cutoff_len themselves, so the tokenizer's "longer than
        # model_max_length" warning would be wrong about what trains.
        kwargs |= {"return_dict": True, "return_assistant_tokens_mask": has_generation_markers(chat_template),
                   "tokenizer_kwargs": {"verbose": False}}
    try:
        # A batch (a list of conversations) comes from render_batch, whose conversations are fresh lists of
        # fresh dicts already; a single conversation is copied, so the template never sees the caller's objects.
        batch = bool(messages) and isinstance(messages[0], list)
        conversation = messages if batch else [dict(m) for m in messages]
        return tokenizer.apply_chat_template(
            conversation, chat_template=chat_template, tools=list(tools) if tools else None,
            tokenize=tokenize, add_generation_prompt=add_generation_prompt, **kwargs)
    except jinja2.TemplateError as exc:
        raise UserError(f"{name} cannot render this conversation: {exc}", field="messages") from None


def closing_token_ids(tokenizer: Any) -> set[int]:
    """Ids that can close an assistant turn in a template tuneforge does not know: the tokenizer's special
    tokens (eos, `<|im_end|>`, `<|end|>`, `<end_of_turn>`, …)."""
    ids = set(getattr(tokenizer, "all_special_ids", ()) or ())
    decoder = getattr(tokenizer, "added_tokens_decoder", None) or {}
    ids.update(i for i, token in decoder.items() if getattr(token, "special", False))
    ids.discard(getattr(tokenizer, "unk_token_id", None))
    return ids


def _content_variants(content: str) -> list[str]:
    """How a template may write an assistant content: as given, trimmed, or (reasoning models dropping an
    earlier turn's think block) only the answer after `</think>`."""
    variants = [content, content.strip()]
    if "</think>" in content:
        variants.append(content.split("</think>")[-1].strip())
    return [v for i, v in enumerate(variants) if v and v not in variants[:i]]


def _render_by_offsets(tokenizer: Any, messages: Messages, chat_template: str, tools: Tools,
                       add_generation_prompt: bool, template_kwargs: Mapping[str, Any] | None) -> Rendered:
    """Assistant spans of a template without generation markers (the tokenizer's own, `template` omitted).

    The whole conversation is rendered once, so the ids are exactly `apply_chat_template`'s; each assistant
    content is then found in that text, in order, and mapped to tokens through the fast tokenizer's offsets.
    The trained span is the content plus the special token that closes it (and any whitespace between). The
    search for turn i starts after the render of messages[:i] with the assistant header when that render is a
    prefix of the whole (it is for nearly every template), so a user message quoting the reply is never taken
    for it; templates that rewrite earlier turns (Qwen3 drops their reasoning) or append text after the last
    one (Phi-3's eos) need nothing more. A tool-call turn without content trains from the header to the closer.
    """
    def text(msgs: Messages, prompt: bool) -> str:
        return _apply(tokenizer, msgs, chat_template, _OWN, tools, prompt, template_kwargs, tokenize=False)

    full = text(messages, add_generation_prompt)
    encoding = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    ids, offsets = list(encoding["input_ids"]), list(encoding["offset_mapping"])
    starts = [a for a, _ in offsets]  # ascending: where each token begins in `full`
    closers = closing_token_ids(tokenizer)
    mask = [0] * len(ids)
    cursor = 0
    for i, message in enumerate(messages):
        if message.get("role") != "assistant":
            continue
        header = text(messages[:i], True) if i else ""
        header_known = full.startswith(header) and len(header) >= cursor
        if header_known:
            cursor = len(header)
        content = content_text(message.get("content"))  # content parts: a vision model's own template
        found = next(((at, at + len(v)) for v in _content_variants(content)
                      if (at := full.find(v, cursor)) >= 0), None)
        if found is None and not content.strip() and header_known:
            # A tool call (or an empty reply): what the template writes from the header to the closing token.
            found = next(((cursor, starts[k]) for k in range(bisect_left(starts, cursor), len(ids))
                          if ids[k] in closers), None)
        if found is None:
            raise UserError(f"{_OWN} does not write assistant turn {i + 1}'s content where it can be found, so "
                            "its tokens cannot be located; set `template:` to the matching tuneforge template "
                            "(see `tuneforge templates`)", field="template")
        start, end = found
        first, last = bisect_left(starts, start), bisect_left(starts, end)
        holder = first - 1 if first == len(ids) or starts[first] != start else first
        if 0 <= holder < first and offsets[holder][1] > start and ids[holder] not in closers:
            # the token holding the content's first character begins before it (a byte-level " It" after
            # "ASSISTANT:"): the model has to produce it, so it is trained
            first = holder
        closer = last
        while closer < len(ids) and ids[closer] not in closers and not full[slice(*offsets[closer])].strip():
            closer += 1  # whitespace between a reply and its stop token (" </s>") belongs to the reply
        if closer < len(ids) and ids[closer] in closers:
            last = closer + 1
        mask[first:last] = [1] * (last - first)
        cursor = max(end, offsets[last - 1][1] if last > first else end)
    return Rendered(ids, mask)
