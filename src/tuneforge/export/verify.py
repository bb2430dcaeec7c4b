"""Post-export checks (on by default, cheap): the exported model is compared with its source and the result is
written to `export_verify.json` next to the artifacts. A mismatch raises `ExportMismatch` (exit 1, the artifacts
stay for inspection): a wrong export must never pass silently.

- merge: logits of the exported transformers folder (reloaded from disk) vs base + adapters (adapters not
  merged), on the probe prompts; tolerance by saved dtype.
- gguf: the file read back with gguf.GGUFReader; every expected tensor present with its shape, dequantized
  values within the stored type's tolerance, tokenizer metadata complete.
- template, greedy (GGUF exports): training template vs GGUF chat template vs Modelfile, llama.cpp's greedy
  tokens vs transformers' (`export.consistency`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tuneforge.core.io import write_json_atomic

VERIFY_FILE = "export_verify.json"
# Largest |logit difference| accepted, relative to max(1, |logits|), by the dtype the weights were saved in.
# int8/int4: bitsandbytes exports (LLM.int8 / nf4), which change logits by design; these bounds catch a broken
# export, not quantization noise (measured on the tiny models: 1.2% and 10% of the largest logit).
LOGIT_TOLERANCE = {"float32": 1e-3, "float16": 2e-2, "bfloat16": 6e-2, "int8": 0.1, "int4": 0.3}
REQUIRED_KEYS = ("general.architecture", "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
                 "tokenizer.ggml.token_type", "tokenizer.ggml.merges", "tokenizer.ggml.eos_token_id",
                 "tokenizer.ggml.add_bos_token")


class ExportMismatch(RuntimeError):
    """The exported artifact does not reproduce its source (a bug or a corrupted write, not a user error)."""


@dataclass
class Check:
    name: str
    passed: bool
    max_abs_diff: float
    tolerance: float
    details: dict[str, Any] = field(default_factory=dict)
    measure: str = "max abs diff"

    def line(self) -> str:
        verdict = "ok" if self.passed else "MISMATCH"
        return f"{self.name}: {self.measure} {self.max_abs_diff:.3g} (tolerance {self.tolerance:.3g}) — {verdict}"


def compare_logits(reference: list[Any], actual: list[Any], dtype: str, name: str = "merge") -> Check:
    """Max |difference| over all probe positions; passes when within the dtype's tolerance."""
    diffs = [float((a.float() - r.float()).abs().max()) for r, a in zip(reference, actual, strict=True)]
    scale = max([1.0] + [float(r.abs().max()) for r in reference])
    argmax = [float((a.argmax(-1) == r.argmax(-1)).float().mean()) for r, a in zip(reference, actual)]
    tolerance = LOGIT_TOLERANCE.get(dtype, 6e-2) * scale
    worst = max(diffs) if diffs else 0.0
    return Check(name, worst <= tolerance, worst, tolerance,
                 {"probes": len(reference), "dtype": dtype, "per_probe": diffs,
                  "top1_agreement": min(argmax) if argmax else 1.0})


def reload_logits(export_dir: Path, probes: list[list[int]]) -> tuple[list[Any], str]:
    """Probe logits of the exported folder loaded fresh with plain transformers (as a user would)."""
    from tuneforge.export.probes import probe_logits
    from tuneforge.model.vision import auto_model_class

    model = auto_model_class(str(export_dir)).from_pretrained(str(export_dir))
    dtype = str(model.dtype).removeprefix("torch.")
    return probe_logits(model.eval(), probes), dtype


def check_gguf(path: Path, model, gguf_type: str, expected_template: str | None, vocab_size: int) -> Check:
    """Read the GGUF back and compare it tensor by tensor with the model it was written from."""
    import gguf
    import numpy as np

    from tuneforge.export.gguf.arch import arch_spec
    from tuneforge.export.gguf.tensors import TOLERANCE, expected_tensors, storage_type

    reader = gguf.GGUFReader(str(path))
    stored = {t.name: t for t in reader.tensors}
    problems: list[str] = []
    worst_rel, worst_abs, checked = 0.0, 0.0, 0
    for name, want in expected_tensors(model.state_dict(), model.config, arch_spec(model.config)):
        tensor = stored.get(name)
        if tensor is None:
            problems.append(f"{name}: missing")
            continue
        qtype = storage_type(name, want, gguf_type)
        got = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(-1)
        if tensor.tensor_type != qtype or got.size != want.size or tuple(reversed(tensor.shape.tolist())) != want.shape:
            problems.append(f"{name}: stored {tensor.tensor_type.name} {tuple(tensor.shape)}, expected "
                            f"{qtype.name} {want.shape[::-1]}")
            continue
        diff = float(np.abs(got.astype(np.float32) - want.reshape(-1)).max()) if want.size else 0.0
        scale = float(np.abs(want).max()) or 1.0
        worst_abs, worst_rel, checked = max(worst_abs, diff), max(worst_rel, diff / scale), checked + 1
        if diff > TOLERANCE[qtype] * scale + 1e-7:
            problems.append(f"{name}: max abs diff {diff:.3g} > {TOLERANCE[qtype] * scale:.3g}")
    problems += _metadata_problems(reader, expected_template, vocab_size)
    tolerance = max(TOLERANCE[storage_type("x", np.zeros((1, 32)), gguf_type)], 1e-6)
    return Check("gguf", not problems, worst_rel, tolerance,
                 {"file": path.name, "gguf_type": gguf_type, "tensors": checked, "max_abs_diff": worst_abs,
                  "problems": problems[:20]}, measure="max diff / tensor max |value|")


def _metadata_problems(reader, expected_template: str | None, vocab_size: int) -> list[str]:
    fields = reader.fields
    problems = [f"metadata {key}: missing" for key in REQUIRED_KEYS if key not in fields]
    tokens = fields.get("tokenizer.ggml.tokens")
    if tokens is not None and len(tokens.data) != vocab_size:
        problems.append(f"tokenizer.ggml.tokens: {len(tokens.data)} tokens, model vocab is {vocab_size}")
    if expected_template is not None:
        stored = fields.get("tokenizer.chat_template")
        if stored is None or stored.contents() != expected_template:
            problems.append("tokenizer.chat_template: missing or not the template's")
    return problems


def write_report(export_dir: Path, checks: list[Check], extra: dict[str, Any]) -> Path:
    """export_verify.json: every check with its figures, plus what was exported."""
    path = export_dir / VERIFY_FILE
    write_json_atomic(path, {**extra, "passed": all(c.passed for c in checks),
                             "checks": [asdict(c) for c in checks]})
    return path


def raise_on_mismatch(checks: list[Check], report: Path) -> None:
    failed = [c for c in checks if not c.passed]
    if failed:
        first = failed[0]
        extra = f"; {'; '.join(first.details.get('problems', [])[:3])}" if first.details.get("problems") else ""
        raise ExportMismatch(f"export check failed: {first.line()}{extra} (details in {report})")


def summary(checks: list[Check]) -> str:
    return "\n".join(f"  verify {c.line()}" for c in checks)

