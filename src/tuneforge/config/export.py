"""The `export` group: merging adapters and writing a deployable model (transformers folder or GGUF)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option

# GGUF types tuneforge writes itself, and those llama.cpp's quantizer writes from its F16 file (the gguf extra).
GGUF_TYPES_OWN = ("f32", "f16", "bf16", "q8_0", "q4_0")
GGUF_TYPES_LLAMA_CPP = ("q2_k", "q3_k_s", "q3_k_m", "q3_k_l", "q4_k_s", "q4_k_m", "q5_k_s", "q5_k_m", "q6_k", "q4_1",
                        "q5_0", "q5_1", "iq4_nl", "iq4_xs")


@dataclass(frozen=True)
class ExportConfig:
    export_dir: str | None = option(None, "Folder the exported model is written to (must not exist or be empty).")
    export_format: str = option("hf", "hf: a transformers model folder; gguf: a GGUF file + Ollama Modelfile.",
                                ("hf", "gguf"))
    gguf_type: str = option("f16", "GGUF tensor type (1-D tensors such as norms and biases stay f32); the K-quants "
                                   "(q4_k_m, Ollama's default, …) and the other llama.cpp types are written by "
                                   "llama.cpp's quantizer (pip install 'tuneforge[gguf]').",
                            GGUF_TYPES_OWN + GGUF_TYPES_LLAMA_CPP)
    export_adapter_only: bool = option(False, "gguf: keep the (last) LoRA adapter separate — the base model's GGUF "
                                              "plus the adapter as a GGUF LoRA adapter, and a Modelfile with FROM "
                                              "and ADAPTER — instead of merging it.")
    export_base_gguf: str | None = option(None, "With export_adapter_only: an existing GGUF of the base model to "
                                                "point FROM at, instead of writing one.")
    export_size: float = option(5, "Largest shard of the exported weights, in GB (fractions allowed).")
    export_device: str = option("cpu", "Device used to merge: cpu, or auto (GPU when present).", ("cpu", "auto"))
    export_legacy_format: bool = option(False, "Write .bin (pickle) weights instead of safetensors.")
    export_hub_model_id: str | None = option(None, "Also push the exported model to this hub repository.")
    export_quantization_bit: int | None = option(None, "Quantize the exported model to 4 (nf4) or 8 bits with "
                                                       "bitsandbytes (runs on CPU; loads with bitsandbytes).")
    export_quantization_dataset: str | None = option(None, "Calibration text for GPTQ export (LLaMA-Factory key; "
                                                           "bitsandbytes export needs none and ignores it).")
    export_quantization_nsamples: int = option(128, "Calibration samples for GPTQ export (ignored, see above).")
    export_quantization_maxlen: int = option(1024, "Calibration sample length for GPTQ export (ignored).")
    export_verify: bool = option(True, "Check the export against the source model (logits / tensors) and "
                                       "write the result next to it (export_verify.json).")
    export_probe_prompts: str | None = option(None, "Prompts the merge check runs, separated by '|' "
                                                    "(default: a few built-in questions).")

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.export_size <= 0:
            out.append(("export_size", "must be a positive number of GB"))
        if self.export_quantization_bit not in (None, 4, 8):
            out.append(("export_quantization_bit", "must be 4 or 8"))
        if self.export_quantization_bit is not None and self.export_format == "gguf":
            out.append(("export_quantization_bit", "applies to export_format hf; for GGUF choose gguf_type"))
        if self.export_adapter_only and self.export_format != "gguf":
            out.append(("export_adapter_only", "applies to export_format gguf (an hf export of an adapter is the "
                                               "run folder itself)"))
        if self.export_base_gguf and not self.export_adapter_only:
            out.append(("export_base_gguf", "needs export_adapter_only: true"))
        return out
