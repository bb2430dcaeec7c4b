"""The `export` group: merging adapters and writing a deployable model (transformers folder or GGUF)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option

NOT_YET = "not supported yet (export)"


@dataclass(frozen=True)
class ExportConfig:
    export_dir: str | None = option(None, "Folder the exported model is written to (must not exist or be empty).")
    export_format: str = option("hf", "hf: a transformers model folder; gguf: a GGUF file + Ollama Modelfile.",
                                ("hf", "gguf"))
    gguf_type: str = option("f16", "GGUF tensor type.", ("f32", "f16", "bf16", "q8_0", "q4_0", "q4_k"))
    export_size: int = option(5, "Largest shard of the exported weights, in GB.")
    export_device: str = option("cpu", "Device used to merge: cpu, or auto (GPU when present).", ("cpu", "auto"))
    export_legacy_format: bool = option(False, "Write .bin (pickle) weights instead of safetensors.")
    export_hub_model_id: str | None = option(None, "Also push the exported model to this hub repository.")
    export_quantization_bit: int | None = option(None, "Quantize the exported model to 4 or 8 bits.")
    export_quantization_dataset: str | None = option(None, "Calibration text for quantized export.")
    export_quantization_nsamples: int = option(128, "Calibration samples for quantized export.")
    export_quantization_maxlen: int = option(1024, "Calibration sample length for quantized export.")
    export_verify: bool = option(True, "Check the export against the source model (logits / tensors) and "
                                       "write the result next to it.")

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.export_size < 1:
            out.append(("export_size", "must be at least 1 (GB)"))
        if self.export_quantization_bit not in (None, 4, 8):
            out.append(("export_quantization_bit", "must be 4 or 8"))
        return out
