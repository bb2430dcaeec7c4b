"""The `model` group: which base model (and adapters) to load, and how."""
from __future__ import annotations

from dataclasses import dataclass

from tuneforge.config.fields import option, split_names


@dataclass(frozen=True)
class ModelConfig:
    model_name_or_path: str | None = option(None, "Local folder or hub id of the base model.")
    adapter_name_or_path: str | None = option(
        None, "LoRA adapter folder(s) to load on top of the base model, comma-separated; merged in order "
              "when training a new adapter, the last one kept trainable otherwise.")
    cache_dir: str | None = option(None, "Where downloaded models and datasets are cached.")
    model_revision: str = option("main", "Branch, tag or commit of the model on the hub.")
    hf_hub_token: str | None = option(None, "Token for private hub models.")
    trust_remote_code: bool = option(False, "Run the model repository's own Python code. Off unless you "
                                            "trust the repository.")
    use_fast_tokenizer: bool = option(True, "Use the fast (Rust) tokenizer.")
    resize_vocab: bool = option(False, "Add tokens the chat template needs but the tokenizer lacks, and "
                                       "resize the embeddings (trained, and saved with the adapter).")
    split_special_tokens: bool = option(False, "Tokenize special-token strings in data as plain text.")
    new_special_tokens: str | None = option(None, "Extra special tokens to add, comma-separated "
                                                  "(implies resize_vocab).")
    flash_attn: str = option("auto", "Attention implementation: auto picks the fastest available "
                                     "(sdpa on CPU).", ("auto", "disabled", "eager", "sdpa", "fa2"))
    infer_dtype: str = option("auto", "Weights dtype when loading: auto = bf16 on GPUs that support it, "
                                      "float32 on CPU.", ("auto", "float32", "float16", "bfloat16"))
    low_cpu_mem_usage: bool = option(True, "Load weights lazily to reduce peak CPU memory.")
    rope_scaling: str | None = option(None, "Stretch the rotary position embeddings to cutoff_len (factor: "
                                            "cutoff_len ÷ the model's positions, rounded up, as LLaMA-Factory); "
                                            "chat, api and export of the run use the same.",
                                      ("linear", "dynamic", "yarn", "llama3"))
    moe_aux_loss_coef: float | None = option(None, "Weight of the MoE router's load-balancing loss added to the "
                                                   "training loss (Mixtral, Qwen-MoE…; aux_loss in trainer_log).")
    use_cache: bool = option(True, "Use the KV cache when generating (chat, api, predict; LLaMA-Factory's meaning). "
                                   "Training never uses it: it would also break attention within packed "
                                   "examples.")
    enable_thinking: bool = option(True, "For reasoning templates (qwen3, deepseekr1): keep the thinking part.")
    disable_gradient_checkpointing: bool = option(False, "LLaMA-Factory alias: turn gradient checkpointing off.")
    upcast_layernorm: bool = option(False, "Keep layer norms in float32 (stability with fp16).")

    def adapter_paths(self) -> list[str]:
        return split_names(self.adapter_name_or_path)

    def attn_implementation(self) -> str | None:
        """The `attn_implementation` transformers expects, or None to let it choose."""
        return {"auto": None, "disabled": "eager", "eager": "eager", "sdpa": "sdpa",
                "fa2": "flash_attention_2"}[self.flash_attn]

    def problems(self) -> list[tuple[str, str]]:
        return []
