"""Peak training memory, estimated from the model's config.json alone (no weights are read).

The estimate adds up, per device: weights (quantized or not), gradients and optimizer state of the trained
parameters (sharded by ZeRO stage and world size, or offloaded to the CPU), activations for one micro-batch of
per_device_train_batch_size × cutoff_len tokens (all layers, or only layer inputs plus one layer when gradient
checkpointing recomputes them), the logits and their loss (one chunk of them where the fast step chunks the
output head), and a fixed runtime overhead (CUDA context and
allocator slack on a GPU). Coefficients were checked against measured peak memory of CPU runs; see
tests/scale/test_estimate.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tuneforge.config.run import RunConfig
from tuneforge.config.train import CHUNK_LOGITS
from tuneforge.core.errors import UserError

GiB = 2**30
_ADAM_BYTES = {"adamw_torch": 8, "adamw_torch_fused": 8, "adamw_8bit": 2, "adamw_bnb_8bit": 2,
               "paged_adamw_8bit": 2, "adamw_torch_8bit": 2, "adamw_torch_4bit": 1, "lion_8bit": 1,
               "lion_32bit": 4, "sgd": 0, "adafactor": 0.1, "lomo": 0, "adalomo": 0.1}
_QUANT_BYTES = {4: 0.5 + 0.07, 8: 1.0 + 0.03}  # data + block constants (4-bit: double-quantized absmax)
_GPU_OVERHEAD = 1.0 * GiB  # CUDA context, cuBLAS workspaces, allocator fragmentation
# CPU: allocator slack and libraries imported lazily once training starts (measured ~150 MiB on Linux/glibc),
# on top of the interpreter with torch/transformers/peft imported (~0.5 GiB, measured).
_CPU_OVERHEAD = 150 * 2**20
LIBRARIES = "Python and libraries"
_CPU_LIBRARIES = 0.5 * GiB
# A CUDA build of torch running on the CPU (the torch/torchvision pair vision models need here) maps its CUDA
# libraries too: ~0.5 GiB more, measured.
_CUDA_BUILD_LIBRARIES = 0.5 * GiB


def _cpu_libraries() -> float:
    from importlib.metadata import PackageNotFoundError, requires

    try:  # a CUDA build depends on NVIDIA's runtime packages (the CPU wheel on none)
        cuda_build = any(r.startswith(("nvidia-", "cuda-")) for r in requires("torch") or ())
    except PackageNotFoundError:
        cuda_build = False
    return _CPU_LIBRARIES + (_CUDA_BUILD_LIBRARIES if cuda_build else 0)
# Measured on CPU (fp32, SDPA): saved tensors per token per layer are ~1.15x the count in _activation_bytes,
# and with checkpointing about three layers' worth stay live (recompute + backward + allocator reuse).
_ACTIVATION_SCALE = 1.15
_CHECKPOINTED_LIVE_LAYERS = 3


@dataclass(frozen=True)
class ModelShape:
    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    tied: bool
    qkv_bias: bool

    def linears(self) -> list[tuple[str, int, int]]:
        """(name, in_features, out_features) of one decoder layer's Linear modules."""
        q, kv = self.heads * self.head_dim, self.kv_heads * self.head_dim
        return [("q_proj", self.hidden, q), ("k_proj", self.hidden, kv), ("v_proj", self.hidden, kv),
                ("o_proj", q, self.hidden), ("gate_proj", self.hidden, self.intermediate),
                ("up_proj", self.hidden, self.intermediate), ("down_proj", self.intermediate, self.hidden)]

    def layer_linear_params(self) -> int:
        bias = (self.heads + 2 * self.kv_heads) * self.head_dim if self.qkv_bias else 0
        return sum(i * o for _, i, o in self.linears()) + bias

    def layer_params(self) -> int:
        return self.layer_linear_params() + 2 * self.hidden

    def embedding_params(self) -> int:
        return self.vocab * self.hidden * (1 if self.tied else 2)

    def total_params(self) -> int:
        return self.layers * self.layer_params() + self.embedding_params() + self.hidden


def read_shape(model_path: str) -> ModelShape:
    """The shape of the model at model_path (a local folder with config.json, or a hub id)."""
    local = Path(model_path) / "config.json"
    if local.is_file():
        raw = json.loads(local.read_text())
    else:
        from transformers import AutoConfig

        try:
            raw = AutoConfig.from_pretrained(model_path).to_dict()
        except OSError as exc:
            raise UserError(f"could not read config.json: {str(exc).splitlines()[0]}", file=model_path,
                            field="model_name_or_path") from None
    raw = raw.get("text_config") or raw
    try:
        hidden, heads = raw["hidden_size"], raw["num_attention_heads"]
        return ModelShape(vocab=raw["vocab_size"], hidden=hidden, layers=raw["num_hidden_layers"], heads=heads,
                          kv_heads=raw.get("num_key_value_heads") or heads,
                          head_dim=raw.get("head_dim") or hidden // heads,
                          intermediate=raw["intermediate_size"], tied=bool(raw.get("tie_word_embeddings", False)),
                          qkv_bias=bool(raw.get("attention_bias", raw.get("model_type") == "qwen2")))
    except KeyError as exc:
        raise UserError(f"config.json lacks {exc.args[0]}; cannot estimate this architecture",
                        file=model_path, field="model_name_or_path") from None


@dataclass(frozen=True)
class MemoryEstimate:
    parts: tuple[tuple[str, float], ...]   # (what, bytes) on each device
    offloaded: float                        # bytes moved to CPU memory by DeepSpeed offload
    trainable_params: int
    total_params: int
    tokens: int                              # per micro-batch per device
    device: str

    @property
    def total_bytes(self) -> float:
        return sum(size for _, size in self.parts)

    @property
    def training_bytes(self) -> float:
        """What the run adds to a process that has already imported its libraries."""
        return sum(size for name, size in self.parts if name != LIBRARIES)

    def report(self, available: float | None = None) -> str:
        rows = [f"{self.total_params / 1e6:,.1f}M parameters, {self.trainable_params / 1e6:,.2f}M trained; "
                f"{self.tokens} tokens per micro-batch; per {self.device}:"]
        rows += [f"  {name:24} {size / GiB:9.2f} GiB" for name, size in self.parts]
        rows.append(f"  {'total':24} {self.total_bytes / GiB:9.2f} GiB")
        if self.offloaded:
            rows.append(f"  (+ {self.offloaded / GiB:.2f} GiB offloaded to CPU memory)")
        if available:
            fits = "fits" if self.total_bytes <= available else "does NOT fit"
            rows.append(f"{fits} on {available / 1e9:.0f} GB")
        return "\n".join(rows)


def _trained_params(cfg: RunConfig, shape: ModelShape) -> tuple[int, int]:
    """(trained parameters, decoder layers whose activations must be kept for backward)."""
    ft = cfg.finetune
    if ft.finetuning_type == "full":
        return shape.total_params(), shape.layers
    if ft.finetuning_type == "freeze":
        k = min(abs(ft.freeze_trainable_layers), shape.layers)
        # Training the first layers still back-propagates through every later one.
        return k * shape.layer_params(), k if ft.freeze_trainable_layers > 0 else shape.layers
    targets = ft.lora_targets()
    chosen = [(i, o) for name, i, o in shape.linears() if targets == ["all"] or name in targets]
    return shape.layers * sum(ft.lora_rank * (i + o) for i, o in chosen), shape.layers


def _optimizer_bytes(cfg: RunConfig, shape: ModelShape, trained: int) -> float:
    s = cfg.scale
    if s.use_badam:
        return 8.0 * shape.layer_params()  # Adam state of the active block only
    if s.use_adam_mini:
        return 4.0 * trained
    if s.use_galore or s.use_apollo:
        rank = s.galore_rank if s.use_galore else s.apollo_rank
        low_rank = shape.layers * sum(2 * rank * max(i, o) + rank * min(i, o) for _, i, o in shape.linears())
        return 4.0 * (low_rank + trained - shape.layers * shape.layer_linear_params())
    return _ADAM_BYTES.get(cfg.train.optim, 8) * float(trained)


def _activation_bytes(cfg: RunConfig, shape: ModelShape, tokens: int, kept_layers: int,
                      checkpointing: bool) -> tuple[float, float]:
    """(decoder-layer activations, logits + loss) for one micro-batch."""
    width = 2 if (cfg.train.bf16 or cfg.train.fp16) else 4
    q, kv = shape.heads * shape.head_dim, shape.kv_heads * shape.head_dim
    per_layer = 8 * shape.hidden + 3 * q + 2 * kv + 4 * shape.intermediate
    if cfg.finetune.finetuning_type == "lora" and cfg.finetune.lora_dropout > 0:
        per_layer += 4 * shape.hidden + q + shape.intermediate  # dropout keeps a copy of each LoRA input
    per_layer *= _ACTIVATION_SCALE
    if checkpointing:
        layers = kept_layers * shape.hidden + min(_CHECKPOINTED_LIVE_LAYERS, kept_layers) * per_layer
    else:
        layers = kept_layers * per_layer
    logits = 3 * shape.vocab * 4  # fp32 logits, their log-softmax and their gradient
    logit_rows = tokens
    if cfg.chunks_output_head():  # the fast step's head: one chunk of logits at a time (training/head.py)
        logit_rows = min(tokens, max(1, CHUNK_LOGITS // shape.vocab))
    return float(tokens * layers * width), float(logit_rows * logits)


def _zero(cfg: RunConfig) -> tuple[int, bool, bool]:
    """(ZeRO stage, optimizer offloaded, parameters offloaded) from the DeepSpeed JSON, (0, False, False)."""
    if not cfg.scale.deepspeed or not Path(cfg.scale.deepspeed).is_file():
        return 0, False, False
    zero = json.loads(Path(cfg.scale.deepspeed).read_text()).get("zero_optimization", {})
    off = lambda key: str(zero.get(key, {}).get("device", "none")).lower() == "cpu"  # noqa: E731
    return int(zero.get("stage", 0)), off("offload_optimizer"), off("offload_param")


def estimate_memory(cfg: RunConfig, *, on_gpu: bool, world_size: int = 1, shape: ModelShape | None = None,
                    checkpointing: bool | None = None) -> MemoryEstimate:
    shape = shape or read_shape(cfg.model.model_name_or_path)
    total = shape.total_params()
    trained, kept_layers = _trained_params(cfg, shape)
    if checkpointing is None:
        checkpointing = cfg.train.gradient_checkpointing if cfg.train.gradient_checkpointing is not None \
            else on_gpu and not cfg.model.disable_gradient_checkpointing
    half = {"float32": 4, "float16": 2, "bfloat16": 2}.get(cfg.model.infer_dtype, 2 if on_gpu else 4)
    frozen = total - (trained if cfg.finetune.finetuning_type != "lora" else 0)
    bits = cfg.scale.quantization_bit
    if bits and cfg.finetune.finetuning_type == "lora":
        linear = shape.layers * shape.layer_linear_params()
        frozen_bytes = linear * _QUANT_BYTES[bits] + (frozen - linear) * half
    else:
        frozen_bytes = frozen * half
    weights = frozen_bytes + 4.0 * trained  # trained parameters are kept in float32
    grads = 4.0 * (shape.layer_params() if cfg.scale.use_badam else trained)
    optimizer = _optimizer_bytes(cfg, shape, trained)
    stage, off_opt, off_param = _zero(cfg)
    world = max(world_size, 1)
    offloaded = 0.0
    if stage >= 1:
        optimizer /= world
    if stage >= 2:
        grads /= world
    if stage >= 3:
        weights /= world
    if off_opt:
        offloaded += optimizer + 4.0 * trained / (world if stage >= 1 else 1)  # fp32 master weights too
        optimizer = 0.0
    if off_param and stage >= 3:
        offloaded += weights
        weights = 0.0
    batches = cfg.device_batches()  # what the loop runs: KTO regroups a batch of one into two
    tokens = (batches[0] if batches else cfg.train.per_device_train_batch_size) * cfg.data.cutoff_len
    layers, logits = _activation_bytes(cfg, shape, tokens, kept_layers, checkpointing)
    parts = [("weights", weights), ("gradients", grads), ("optimizer state", optimizer),
             (f"activations ({'checkpointed' if checkpointing else 'all layers'})", layers),
             ("logits and loss", logits)]
    parts.append(("runtime overhead", _GPU_OVERHEAD if on_gpu else _CPU_OVERHEAD))
    if not on_gpu:
        parts.append((LIBRARIES, _cpu_libraries()))
    return MemoryEstimate(tuple(parts), offloaded, trained, total, tokens, "GPU" if on_gpu else "CPU process")


def device_memory_bytes(on_gpu: bool) -> float | None:
    """Memory of GPU 0, or of this machine; None when it cannot be told."""
    if on_gpu:
        import torch

        return float(torch.cuda.get_device_properties(0).total_memory)
    try:
        import os

        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None
