"""`write_gguf`: an in-memory transformers model + its tokenizer → one GGUF file, in pure Python on
gguf.GGUFWriter (no llama.cpp checkout, no converter subprocess)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import gguf

from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger
from tuneforge.export.gguf.arch import arch_spec
from tuneforge.export.gguf.hparams import add_hparams
from tuneforge.export.gguf.llama_quant import check_llama_cpp, needs_llama_cpp
from tuneforge.export.gguf.tensors import TYPES, encode, expected_tensors, storage_type
from tuneforge.export.gguf.vocab import add_vocab, vocab_meta

log = get_logger()


def gguf_file_name(gguf_type: str) -> str:
    return f"model-{gguf_type}.gguf"


def check_gguf_supported(config, gguf_type: str) -> None:
    """Fail before any heavy work when the model or the tensor type cannot be written."""
    arch_spec(config)
    if needs_llama_cpp(gguf_type):
        check_llama_cpp(gguf_type)
    elif gguf_type not in TYPES:
        raise UserError(f"unknown GGUF type '{gguf_type}'; choose one of: {', '.join(TYPES)}", field="gguf_type")


def write_gguf(model, tokenizer, out_file: Path, gguf_type: str, *, name: str = "model",
               end_of_turn: str | None = None, add_bos: bool | None = None) -> Path:
    """Write `out_file`; the tokenizer's chat_template (already the template's export form) goes in too.
    `add_bos`: the GGUF's add_bos_token when it is not what the tokenizer does (see `runtime_adds_bos`)."""
    config = model.config
    check_gguf_supported(config, gguf_type)
    spec = arch_spec(config)
    writer = gguf.GGUFWriter(str(out_file), gguf.MODEL_ARCH_NAMES[spec.gguf_arch])
    writer.add_name(spec.gguf_name(name))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    rope_tensors = add_hparams(writer, config, int(TYPES[gguf_type].file_type))
    if spec.hparams is not None:
        spec.hparams(writer, config)
    chat_template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else None
    meta = vocab_meta(tokenizer, config.vocab_size, end_of_turn)
    add_vocab(writer, meta if add_bos is None else replace(meta, add_bos=add_bos), chat_template)
    for rope_name, rope_array in rope_tensors.items():
        writer.add_tensor(rope_name, rope_array)
    for gguf_name, array in expected_tensors(model.state_dict(), config, spec):
        qtype = storage_type(gguf_name, array, gguf_type)
        writer.add_tensor(gguf_name, encode(array, qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    log.info("wrote %s (%s)", out_file, gguf_type)
    return out_file
