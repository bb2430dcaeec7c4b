"""Tokenizer metadata for GGUF: tokens, token types, merges or scores, special token ids, add_bos/add_eos,
the pre-tokenizer name llama.cpp maps to the split regex, and the chat template. Two kinds of tokenizer:
byte-level BPE ("gpt2" in llama.cpp's terms: Qwen, Llama 3), read from the tokenizer's own tokenizer.json
(`backend_tokenizer`), and SentencePiece-style BPE with byte fallback ("llama": Llama 2, Mistral, Zephyr,
Yi), whose tokens, scores and types come from gguf's own `LlamaHfVocab`, as llama.cpp's converter takes them.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gguf

from tuneforge.core.errors import UserError

# tokenizer.json split regex → llama.cpp's pre-tokenizer name (llama-vocab.cpp picks the regex by this name).
PRE_TOKENIZERS: dict[str, str] = {
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+":
        "qwen2",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+":
        "llama-bpe",
}
_GPT2 = "gpt-2"  # a plain ByteLevel pre-tokenizer with its built-in (GPT-2) regex


@dataclass(frozen=True)
class VocabMeta:
    tokens: list[str]
    token_types: list[int]
    merges: list[str]
    pre: str
    special_ids: dict[str, int]  # bos/eos/eot/unk/pad → id
    add_bos: bool
    add_eos: bool
    model: str = "gpt2"  # llama.cpp's tokenizer model: gpt2 (byte-level BPE) or llama (SentencePiece-style)
    scores: list[float] = field(default_factory=list)  # llama: each token's score (merge priority)
    add_space_prefix: bool | None = None  # llama: whether llama.cpp puts "▁" before text (after special tokens too)


def _pre_tokenizer_name(pre: dict[str, Any] | None) -> str:
    steps = (pre or {}).get("pretokenizers", [pre] if pre else [])
    regexes = [s.get("pattern", {}).get("Regex") for s in steps if s.get("type") == "Split"]
    byte_level = [s for s in steps if s.get("type") == "ByteLevel"]
    if not byte_level:
        raise UserError("GGUF export supports byte-level BPE tokenizers (Qwen, Llama 3, GPT-2 style); this "
                        "tokenizer has no ByteLevel pre-tokenizer", field="export_format")
    if regexes:
        if regexes[0] in PRE_TOKENIZERS:
            return PRE_TOKENIZERS[regexes[0]]
        raise UserError(f"GGUF export does not know llama.cpp's name for this tokenizer's split regex "
                        f"{regexes[0]!r}", field="export_format")
    if byte_level[0].get("use_regex", True):
        return _GPT2
    raise UserError("this byte-level tokenizer has no split regex llama.cpp could reproduce", field="export_format")


def _merges(model: dict[str, Any]) -> list[str]:
    merges = model.get("merges") or []
    out = []
    for merge in merges:
        if isinstance(merge, str):
            out.append(merge)
        else:  # [left, right]; a space inside a part is written as U+0120 + 256 like llama.cpp's converter
            out.append(" ".join("".join(chr(ord(c) + 256) if c == " " else c for c in part) for part in merge))
    return out


def _token_type(token_id: int, added: dict[int, Any]) -> int:
    if token_id not in added:
        return gguf.TokenType.NORMAL
    return gguf.TokenType.CONTROL if added[token_id].special else gguf.TokenType.USER_DEFINED


def tokenizer_adds(tokenizer, token_id: int | None, first: bool) -> bool:
    """Whether the tokenizer adds this special token by itself when encoding plain text."""
    if token_id is None:
        return False
    ids = tokenizer("a", add_special_tokens=True)["input_ids"]
    return bool(ids) and (ids[0] if first else ids[-1]) == token_id


def runtime_adds_bos(tokenizer, template) -> bool:
    """Whether llama.cpp (and Ollama) should put BOS before a prompt — the GGUF's add_bos_token, and whether the
    Modelfile TEMPLATE leaves the opening BOS to the runtime: when the tokenizer adds BOS by itself and the
    training template's prompts start with it. Zephyr's template writes no BOS, so training saw none, and
    llama.cpp must not add one either."""
    from tuneforge.templates.render import render_prompt

    bos = tokenizer.bos_token_id
    if not tokenizer_adds(tokenizer, bos, True):
        return False
    if template is None:
        return True
    ids = render_prompt(tokenizer, [{"role": "user", "content": "a"}], template=template)
    return bool(ids) and ids[0] == bos


def vocab_meta(tokenizer, vocab_size: int, end_of_turn: str | None) -> VocabMeta:
    """Everything llama.cpp needs to tokenize exactly as this (fast) tokenizer does."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise UserError("GGUF export needs a fast tokenizer (tokenizer.json)", field="export_format")
    data = json.loads(backend.to_str())
    model = data.get("model", {})
    if _sentencepiece_style(data):
        return _llama_meta(tokenizer, vocab_size, end_of_turn, data)
    if model.get("type") != "BPE":
        raise UserError(f"GGUF export supports BPE tokenizers; this one is {model.get('type')}",
                        field="export_format")
    pre = _pre_tokenizer_name(data.get("pre_tokenizer"))
    reverse = {i: t for t, i in tokenizer.get_vocab().items()}
    added = dict(tokenizer.added_tokens_decoder)
    tokens, types = [], []
    for i in range(vocab_size):
        if i in reverse:
            tokens.append(reverse[i])
            types.append(_token_type(i, added))
        else:  # embedding rows beyond the tokenizer (padded vocab)
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
    special = _special_ids(tokenizer, vocab_size, end_of_turn)
    return VocabMeta(tokens, [int(t) for t in types], _merges(model), pre, special,
                     tokenizer_adds(tokenizer, special.get("bos"), True), tokenizer_adds(tokenizer, special.get("eos"), False))


def _special_ids(tokenizer, vocab_size: int, end_of_turn: str | None) -> dict[str, int]:
    special = {"bos": tokenizer.bos_token_id, "eos": tokenizer.eos_token_id, "unk": tokenizer.unk_token_id,
               "pad": tokenizer.pad_token_id}
    if end_of_turn is not None:
        eot = tokenizer.convert_tokens_to_ids(end_of_turn)
        if eot is not None and eot != tokenizer.unk_token_id and eot != special["eos"]:
            special["eot"] = eot
    return {k: int(v) for k, v in special.items() if v is not None and 0 <= v < vocab_size}


def _sentencepiece_style(data: dict[str, Any]) -> bool:
    """BPE with byte fallback and a decoder Sequence (▁ → space, bytes, strip): how tokenizer.json spells a
    SentencePiece BPE model (Llama 2, Mistral) — what gguf's LlamaHfVocab reads."""
    model = data.get("model", {})
    return (model.get("type") == "BPE" and bool(model.get("byte_fallback"))
            and (data.get("decoder") or {}).get("type") == "Sequence")


def _merge_scores(model: dict[str, Any], vocab: dict[str, int]) -> dict[int, float]:
    """−(rank of the merge that makes it) per token: llama.cpp's SentencePiece tokenizer merges the adjacent
    pair whose result scores highest, so this reproduces the BPE merge order of tokenizer.json (which has no
    scores of its own: without a tokenizer.model, gguf's LlamaHfVocab gives every token the same score)."""
    scores: dict[int, float] = {}
    for rank, merge in enumerate(model.get("merges") or []):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        token_id = vocab.get(left + right)
        if token_id is not None and token_id not in scores:
            scores[token_id] = -float(rank)
    return scores


def _space_prefix(data: dict[str, Any]) -> bool:
    """llama.cpp writes "▁" before every piece of text that follows a special token (or starts the input) when
    add_space_prefix is set. tokenizer.json says the same with a Prepend("▁") normalizer (Llama 2, Zephyr:
    applied to each piece between special tokens) or a Metaspace pre-tokenizer with prepend_scheme "always".
    Metaspace "first" (Mistral v0.3) prepends to the input's start only, so llama.cpp must not: chat prompts,
    which start with a special token, then tokenize alike (plain text loses its leading "▁"). Gemma's
    tokenizer only replaces spaces (no prefix at all)."""
    normalizer = data.get("normalizer") or {}
    prepends = [n for n in normalizer.get("normalizers", [normalizer]) if n.get("type") == "Prepend"]
    pre = data.get("pre_tokenizer") or {}
    schemes = [s.get("prepend_scheme", "always") for s in pre.get("pretokenizers", [pre])
               if s.get("type") == "Metaspace"]
    return bool(prepends) or (bool(schemes) and schemes[0] == "always")


def _llama_meta(tokenizer, vocab_size: int, end_of_turn: str | None, data: dict[str, Any]) -> VocabMeta:
    model = data.get("model", {})
    with tempfile.TemporaryDirectory() as folder:
        tokenizer.save_pretrained(folder)
        entries = list(gguf.LlamaHfVocab(Path(folder)).all_tokens())
    tokens = [text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text for text, _, _ in entries]
    ranked = _merge_scores(model, model.get("vocab") or {})
    scores = [ranked.get(i, float(score)) for i, (_, score, _) in enumerate(entries)]
    added = dict(tokenizer.added_tokens_decoder)  # [INST] & co.: control tokens llama.cpp must parse as such
    types = [int(_token_type(i, added)) if i in added else int(kind) for i, (_, _, kind) in enumerate(entries)]
    for i in range(len(tokens), vocab_size):  # embedding rows beyond the tokenizer (padded vocab)
        tokens.append(f"[PAD{i}]")
        scores.append(-1000.0)
        types.append(int(gguf.TokenType.UNUSED))
    special = _special_ids(tokenizer, vocab_size, end_of_turn)
    return VocabMeta(tokens[:vocab_size], types[:vocab_size], [], "default", special,
                     tokenizer_adds(tokenizer, special.get("bos"), True), tokenizer_adds(tokenizer, special.get("eos"), False),
                     model="llama", scores=scores[:vocab_size], add_space_prefix=_space_prefix(data))


def add_vocab(writer: gguf.GGUFWriter, meta: VocabMeta, chat_template: str | None) -> None:
    writer.add_tokenizer_model(meta.model)
    writer.add_tokenizer_pre(meta.pre)
    writer.add_token_list(meta.tokens)
    writer.add_token_types(meta.token_types)
    if meta.scores:
        writer.add_token_scores(meta.scores)
    if meta.merges:
        writer.add_token_merges(meta.merges)
    for kind, token_id in meta.special_ids.items():
        getattr(writer, f"add_{kind}_token_id")(token_id)
    if meta.add_space_prefix is not None:
        writer.add_add_space_prefix(meta.add_space_prefix)
    writer.add_add_bos_token(meta.add_bos)
    writer.add_add_eos_token(meta.add_eos)
    if chat_template:
        writer.add_chat_template(chat_template)
