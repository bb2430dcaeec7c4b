"""The `scale` group: quantized base models (QLoRA), memory-saving optimizers, kernels and distributed
engines (DeepSpeed, FSDP)."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option

# Optimizers that train the base weights themselves, so there must be no LoRA/freeze underneath.
FULL_ONLY_OPTIMIZERS = ("galore", "apollo", "badam")
# Backends that load a quantized base model for training here; the others are named with the reason.
QUANT_METHODS_BUILT = ("bitsandbytes",)


@dataclass(frozen=True)
class ScaleConfig:
    quantization_bit: int | None = option(None, "Load the base model quantized to 4 or 8 bits (QLoRA).")
    quantization_method: str = option("bitsandbytes", "Quantization backend.",
                                      ("bitsandbytes", "hqq", "eetq", "torchao", "quanto"))
    quantization_type: str = option("nf4", "4-bit data type.", ("nf4", "fp4"))
    double_quantization: bool = option(True, "Quantize the quantization constants too.")
    quantization_device_map: str | None = option(None, "Device map for a quantized model (auto).")
    use_galore: bool = option(False, "GaLore: low-rank gradient projection (full-parameter training).")
    galore_target: str = option("all", "Modules GaLore applies to, comma-separated.")
    galore_rank: int = option(16, "GaLore rank.")
    galore_update_interval: int = option(200, "Steps between GaLore projection updates.")
    galore_scale: float = option(2.0, "GaLore scale.")
    galore_proj_type: str = option("std", "GaLore projection type.", ("std", "reverse_std", "right", "left", "full"))
    galore_layerwise: bool = option(False, "Layer-wise GaLore updates (saves more memory).")
    use_badam: bool = option(False, "BAdam: block-coordinate Adam (full-parameter training).")
    badam_mode: str = option("layer", "BAdam mode.", ("layer", "ratio"))
    badam_start_block: int | None = option(None, "BAdam: first block.")
    badam_switch_mode: str = option("ascending", "BAdam: block order.", ("ascending", "descending", "random", "fixed"))
    badam_switch_interval: int = option(50, "BAdam: steps between block switches.")
    badam_update_ratio: float = option(0.05, "BAdam ratio mode: fraction of parameters updated.")
    badam_mask_mode: str = option("adjacent", "BAdam ratio mode: mask layout.", ("adjacent", "scatter"))
    badam_verbose: int = option(0, "BAdam verbosity.")
    use_apollo: bool = option(False, "APOLLO optimizer (full-parameter training).")
    apollo_target: str = option("all", "Modules APOLLO applies to.")
    apollo_rank: int = option(16, "APOLLO rank.")
    apollo_update_interval: int = option(200, "APOLLO projection update interval.")
    apollo_scale: float = option(32.0, "APOLLO scale.")
    apollo_layerwise: bool = option(False, "Layer-wise APOLLO updates.")
    use_muon: bool = option(False, "Muon (torch.optim.Muon) for the 2-D weight matrices, AdamW for the rest "
                                   "(embeddings, output head, norms, biases); learning_rate is AdamW's, Muon's "
                                   "steps are scaled to match its RMS.")
    apollo_proj: str = option("random", "APOLLO low-rank projection algorithm.", ("random", "svd"))
    apollo_proj_type: str = option("std", "APOLLO projection type.", ("std", "right", "left"))
    apollo_scale_type: str = option("channel", "APOLLO gradient scaling: per channel or per tensor.",
                                    ("channel", "tensor"))
    use_adam_mini: bool = option(False, "Adam-mini optimizer.")
    enable_liger_kernel: bool = option(False, "Liger fused kernels (GPU, liger-kernel installed).")
    deepspeed: str | None = option(None, "DeepSpeed JSON config file.")
    fsdp: str = option("", "FSDP options as transformers takes them (e.g. 'full_shard auto_wrap').")
    fsdp_config: str | None = option(None, "FSDP config JSON file.")

    def problems(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if self.quantization_bit not in (None, 4, 8):
            out.append(("quantization_bit", "must be 4 or 8"))
        if self.quantization_bit is not None and self.quantization_method not in QUANT_METHODS_BUILT:
            out.append(("quantization_method", f"'{self.quantization_method}' is not supported for training yet "
                                               f"(supported: {', '.join(QUANT_METHODS_BUILT)})"))
        chosen = [k for k in ("use_galore", "use_badam", "use_apollo", "use_adam_mini", "use_muon") if getattr(self, k)]
        if len(chosen) > 1:
            out.append((chosen[1], f"cannot be combined with {chosen[0]}"))
        if self.deepspeed and self.fsdp:
            out.append(("fsdp", "cannot be combined with deepspeed"))
        for key in ("galore_rank", "apollo_rank", "galore_update_interval", "apollo_update_interval",
                    "badam_switch_interval"):
            if getattr(self, key) < 1:
                out.append((key, "must be at least 1"))
        if not 0 < self.badam_update_ratio <= 1:
            out.append(("badam_update_ratio", "must be in (0, 1]"))
        return out

    def special_optimizer(self) -> str | None:
        """The special optimizer asked for (galore, apollo, badam, adam_mini, muon), or None."""
        for key in ("use_galore", "use_apollo", "use_badam", "use_adam_mini", "use_muon"):
            if getattr(self, key):
                return key[len("use_"):]
        return None
