"""`tuneforge make-tiny-model`: a small random-initialised Llama or Qwen2 model with a tokenizer trained here.

Nothing can be downloaded in tests or demos, so the project makes its own base model: a byte-level BPE
tokenizer trained on text shipped in the package (English + Chinese) plus any extra files given, with the
chosen template's special tokens and chat_template, and a randomly initialised decoder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tuneforge.core.errors import UserError
from tuneforge.templates.registry import get_template

# transformers rebuilds a Qwen2 tokenizer's normaliser and pre-tokeniser from vocab + merges, so the tiny
# tokenizer is trained with exactly those (NFC + Qwen2's split regex + byte-level) for ids to round-trip.
_QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TEXT_ARCHES = ("llama", "qwen2")
VISION_ARCH_NAMES = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "llava", "gemma3")  # model/tiny_vision.py
ARCHES = TEXT_ARCHES + VISION_ARCH_NAMES


@dataclass(frozen=True)
class TinyModelSpec:
    arch: str = "qwen2"
    template: str = "qwen"
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 256
    vocab_size: int = 2048
    max_position_embeddings: int = 4096
    seed: int = 0


# What `tuneforge make-tiny-model` makes unless told otherwise, and what `tuneforge demo` and the README's tour
# train: the smallest size on which a LoRA visibly learns the bundled identity data within a few hundred steps
# (seconds on a 2-core CPU) — once its tokenizer has also learned the data's words (`extra_files`: the data
# folder); hidden 128 never gets there. TinyModelSpec's own defaults stay the model the benches measured.
LEARNER = TinyModelSpec(hidden_size=256, intermediate_size=512, num_layers=4, num_heads=8, vocab_size=4096)


def text_files(paths: list[Path]) -> list[Path]:
    """The files whose lines the tokenizer also trains on: each path itself, or a folder's data files."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl") and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise UserError("no such file or folder", file=str(path), field="extra-text")
    return files


def _corpus(extra_files: list[Path]) -> list[str]:
    lines = resources.files("tuneforge.assets").joinpath("tiny_corpus.txt").read_text("utf-8").splitlines()
    for path in text_files(extra_files):
        lines += path.read_text("utf-8").splitlines()
    return [line for line in lines if line.strip()]


def _special_tokens(template_name: str) -> tuple[list[str], str, str, str | None]:
    """(all special tokens, eos, pad, bos) a tokenizer for this template needs."""
    spec = get_template(template_name)
    eos = spec.eos_token or (spec.stop_words[0] if spec.stop_words else "</s>")
    pad = "<|endoftext|>" if eos != "<|endoftext|>" else "<pad>"
    bos = spec.bos_token
    tokens: list[str] = []
    for token in [pad, eos, *( [bos] if bos else [] ), *spec.special_tokens, *spec.stop_words]:
        if token and token not in tokens:
            tokens.append(token)
    return tokens, eos, pad, bos


def train_tokenizer(template_name: str, vocab_size: int, extra_files: list[Path] = (),
                    extra_special: tuple[str, ...] = (), named_tokens: dict[str, str] | None = None):
    """A PreTrainedTokenizerFast with the template's special tokens (plus `extra_special`: a vision model's
    image and video tokens; `named_tokens`: those a processor reads as tokenizer attributes, like Gemma 3's
    `boi_token`) and chat_template."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials, eos, pad, bos = _special_tokens(template_name)
    specials += [t for t in extra_special if t not in specials]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(_QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tokenizer.train_from_iterator(_corpus(list(extra_files)), trainer=trainer)
    spec = get_template(template_name)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=eos, pad_token=pad, bos_token=bos,
                                   additional_special_tokens=[t for t in specials if t not in (eos, pad, bos)],
                                   model_max_length=4096, clean_up_tokenization_spaces=False,
                                   **({"extra_special_tokens": named_tokens} if named_tokens else {}))
    fast.chat_template = spec.export_chat_template()
    return fast


def make_tiny_model(output_dir: str | Path, spec: TinyModelSpec = TinyModelSpec(),
                    extra_files: list[Path] = (), overwrite: bool = False, tokenizer_dir: Path | None = None) -> Path:
    """Write tokenizer + random model + generation_config to output_dir and return it. `tokenizer_dir`: a real
    tokenizer (e.g. a fixture's 152k Qwen2.5 vocabulary) instead of one trained here at spec.vocab_size."""
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    if spec.arch not in ARCHES:
        raise UserError(f"unknown arch '{spec.arch}'; choose one of: {', '.join(ARCHES)}", field="arch")
    out = Path(output_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise UserError("output folder exists and is not empty (pass --overwrite to replace it)", file=str(out))
    if spec.arch in VISION_ARCH_NAMES:
        from tuneforge.model.tiny_vision import make_tiny_vision_model

        return make_tiny_vision_model(out, spec, list(extra_files))
    if tokenizer_dir is None:
        tokenizer = train_tokenizer(spec.template, spec.vocab_size, list(extra_files))
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    config_cls = {"llama": LlamaConfig, "qwen2": Qwen2Config}[spec.arch]
    config = config_cls(
        vocab_size=len(tokenizer), hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_layers, num_attention_heads=spec.num_heads,
        num_key_value_heads=spec.num_kv_heads, max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=False, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    return save_random_model(out, AutoModelForCausalLM, config, tokenizer, tokenizer, spec)


def save_random_model(out: Path, auto_class, config, tokenizer, saved_with, spec: TinyModelSpec) -> Path:
    """A model of `config`, randomly initialised from spec.seed, saved to `out` with a greedy generation
    config that stops at the template's end-of-turn tokens, `saved_with` (the tokenizer, or a vision model's
    processor) and the spec (tuneforge_tiny.json)."""
    import torch
    from transformers import GenerationConfig

    torch.manual_seed(spec.seed)
    model = auto_class.from_config(config, dtype=torch.float32)
    template = get_template(spec.template)
    model.generation_config = GenerationConfig(
        eos_token_id=template.stop_token_ids(tokenizer), pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, do_sample=False)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    saved_with.save_pretrained(out)
    (out / "tuneforge_tiny.json").write_text(json.dumps(spec.__dict__, indent=2) + "\n")
    return out
