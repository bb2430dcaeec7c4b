"""GGUF types that llama.cpp's own quantizer writes (the K-quants, IQ4, the 5-bit legacy types): tuneforge
writes the model as F16 (pure Python), then runs `llama_model_quantize` from llama-cpp-python on it, so the
blocks, the per-tensor type mix of each `_M`/`_S` recipe and the fallbacks for rows a block does not fit are
exactly llama.cpp's. llama-cpp-python is an optional extra (`pip install 'tuneforge[gguf]'`)."""
from __future__ import annotations

import ctypes
import os
from collections import Counter
from pathlib import Path

from tuneforge.config.export import GGUF_TYPES_LLAMA_CPP
from tuneforge.core.errors import UserError

# gguf_type → llama.cpp's LLAMA_FTYPE_MOSTLY_* name. IQ1/IQ2/IQ3 need an importance matrix, which export has
# no calibration data for, so they are not offered.
LLAMA_CPP_TYPES = {name: f"LLAMA_FTYPE_MOSTLY_{name.upper()}" for name in GGUF_TYPES_LLAMA_CPP}
EXTRA = "pip install 'tuneforge[gguf]' (llama-cpp-python, which builds llama.cpp)"


def needs_llama_cpp(gguf_type: str) -> bool:
    return gguf_type in LLAMA_CPP_TYPES


def check_llama_cpp(gguf_type: str) -> None:
    """Before any heavy work: the quantizer is importable."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise UserError(f"gguf_type {gguf_type} is written by llama.cpp's quantizer, which needs the gguf extra: "
                        f"{EXTRA}", field="gguf_type") from None


BLOCK = 256  # QK_K: a K-quant block holds 256 values of a row


def main_type(gguf_type: str) -> str:
    """The GGML type a recipe stores most matrices in: q4_k_m → Q4_K, q5_0 → Q5_0, iq4_xs → IQ4_XS."""
    name = gguf_type.upper()
    return name.rsplit("_", 1)[0] if name[-2:] in ("_S", "_M", "_L") else name


def quantize(source: Path, target: Path, gguf_type: str) -> dict:
    """llama.cpp quantizes `source` (an F16/F32 GGUF) into `target`, written aside and renamed into place.
    Returns, for the export report, the count of each tensor type in the result, the matrices whose rows do
    not fit a 256-value block and so took llama.cpp's fallback type (name → type), and whether the result
    is what was asked for: the recipe's main type present, unless every matrix had to fall back."""
    import gguf
    import llama_cpp

    check_llama_cpp(gguf_type)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, LLAMA_CPP_TYPES[gguf_type])
    params.nthread = os.cpu_count() or 1
    partial = target.with_name(f".{target.name}.partial")
    try:
        code = llama_cpp.llama_model_quantize(str(source).encode(), str(partial).encode(), ctypes.byref(params))
        if code != 0:
            raise RuntimeError(f"llama.cpp's quantizer failed on {source.name} (code {code})")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    tensors = gguf.GGUFReader(str(target)).tensors
    fallback = {t.name: t.tensor_type.name for t in tensors
                if len(t.shape) == 2 and int(t.shape[0]) % BLOCK and "_K" in LLAMA_CPP_TYPES[gguf_type]}
    types = Counter(t.tensor_type.name for t in tensors)
    matrices = [t for t in tensors if len(t.shape) == 2]
    quantized = main_type(gguf_type) in types or (bool(matrices) and len(fallback) == len(matrices))
    return {"tensor_types": dict(types), "fallback": fallback, "quantized": quantized,
            "fallback_share": len(fallback) / max(1, len(matrices))}
