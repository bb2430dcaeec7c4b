"""`tuneforge make-tiny-model --arch qwen2_vl|qwen2_5_vl|qwen3_vl|llava|gemma3`: a tiny random vision-language model
with its processor, made entirely here (nothing downloaded).

Each arch is the family's own transformers classes at toy sizes — a two-layer vision encoder with 14-pixel
patches, the family's projector, a small language model — plus a tokenizer trained here with the family's
media tokens, the family's image (and video) processor, and the family's chat template on the processor, so
the processor expands `<image>` exactly as the real model's does.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuneforge.core.registry import Registry
from tuneforge.model.tiny import TinyModelSpec, save_random_model, train_tokenizer
from tuneforge.templates.registry import get_template

_PATCH = 14
_VISION = {"depth": 2, "hidden": 64, "heads": 4}


@dataclass(frozen=True)
class VisionArch:
    template: str  # the tuneforge template whose layout (and tokens) the tokenizer learns
    media_tokens: tuple[str, ...]  # special tokens the processor and the model use for media
    build: Callable[[Any, TinyModelSpec], tuple[Any, Any]]  # (tokenizer, spec) → (config, processor)


def _text(tokenizer, spec: TinyModelSpec, **extra) -> dict:
    return dict(vocab_size=len(tokenizer), hidden_size=spec.hidden_size, intermediate_size=spec.intermediate_size,
                num_hidden_layers=spec.num_layers, num_attention_heads=spec.num_heads,
                num_key_value_heads=spec.num_kv_heads, max_position_embeddings=spec.max_position_embeddings,
                bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id, tie_word_embeddings=False, **extra)


def _qwen_vl(config_cls: str, processor_cls: str):
    def build(tokenizer, spec: TinyModelSpec):
        import transformers
        from transformers import Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        half_head = spec.hidden_size // spec.num_heads // 2
        section = [half_head - 2 * (half_head * 3 // 8), half_head * 3 // 8, half_head * 3 // 8]
        rope = {"rope_type": "default", "rope_theta": 1e6, "mrope_section": section}
        ids = tokenizer.convert_tokens_to_ids
        vision = {"depth": _VISION["depth"], "embed_dim": _VISION["hidden"], "hidden_size": spec.hidden_size,
                  "num_heads": _VISION["heads"], "patch_size": _PATCH, "spatial_merge_size": 2,
                  "temporal_patch_size": 2}
        if config_cls == "Qwen2_5_VLConfig":
            vision |= {"hidden_size": _VISION["hidden"], "out_hidden_size": spec.hidden_size,
                       "intermediate_size": 2 * _VISION["hidden"], "window_size": 56,
                       "fullatt_block_indexes": [_VISION["depth"] - 1]}
        config = getattr(transformers, config_cls)(
            text_config=_text(tokenizer, spec, rope_parameters=rope), vision_config=vision,
            image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
            vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"),
            tie_word_embeddings=False)
        budget = {"min_pixels": 28 * 28 * 4, "max_pixels": 28 * 28 * 64, "patch_size": _PATCH, "merge_size": 2}
        processor = getattr(transformers, processor_cls)(
            image_processor=Qwen2VLImageProcessor(**budget),
            video_processor=Qwen2VLVideoProcessor(**budget),
            tokenizer=tokenizer, chat_template=get_template("qwen2_vl").export_chat_template())
        return config, processor
    return build


def _qwen3_vl(tokenizer, spec: TinyModelSpec):
    from transformers import Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLProcessor, Qwen3VLVideoProcessor

    patch = 16  # Qwen3-VL's patches are 16 pixels (32 per merged token)
    half_head = spec.hidden_size // spec.num_heads // 2
    section = [half_head - 2 * (half_head * 3 // 8), half_head * 3 // 8, half_head * 3 // 8]
    rope = {"rope_type": "default", "rope_theta": 5e6, "mrope_section": section, "mrope_interleaved": True}
    ids = tokenizer.convert_tokens_to_ids
    config = Qwen3VLConfig(
        text_config=_text(tokenizer, spec, rope_parameters=rope, head_dim=spec.hidden_size // spec.num_heads),
        vision_config={"depth": _VISION["depth"], "hidden_size": _VISION["hidden"],
                       "intermediate_size": 2 * _VISION["hidden"], "num_heads": _VISION["heads"],
                       "patch_size": patch, "spatial_merge_size": 2, "temporal_patch_size": 2,
                       "out_hidden_size": spec.hidden_size, "num_position_embeddings": 64,
                       "deepstack_visual_indexes": [0]},
        image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"),
        tie_word_embeddings=False)
    budget = {"patch_size": patch, "merge_size": 2, "temporal_patch_size": 2,
              "size": {"shortest_edge": 32 * 32 * 4, "longest_edge": 32 * 32 * 64}}
    processor = Qwen3VLProcessor(image_processor=Qwen2VLImageProcessor(**budget),
                                 video_processor=Qwen3VLVideoProcessor(**budget), tokenizer=tokenizer,
                                 chat_template=get_template("qwen3_vl_nothink").export_chat_template())
    return config, processor


def _llava(tokenizer, spec: TinyModelSpec):
    from transformers import CLIPImageProcessor, LlavaConfig, LlavaProcessor

    image_size = 2 * _PATCH  # 4 patches → 4 image tokens per image
    config = LlavaConfig(
        vision_config={"model_type": "clip_vision_model", "hidden_size": _VISION["hidden"],
                       "intermediate_size": 2 * _VISION["hidden"], "num_hidden_layers": _VISION["depth"],
                       "num_attention_heads": _VISION["heads"], "image_size": image_size, "patch_size": _PATCH,
                       "projection_dim": _VISION["hidden"]},
        text_config={"model_type": "llama", **_text(tokenizer, spec)},
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"), vision_feature_layer=-1,
        vision_feature_select_strategy="default", tie_word_embeddings=False)
    image_processor = CLIPImageProcessor(size={"shortest_edge": image_size},
                                         crop_size={"height": image_size, "width": image_size})
    processor = LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, patch_size=_PATCH,
                               vision_feature_select_strategy="default", num_additional_image_tokens=1,
                               image_token="<image>", chat_template=get_template("llava").export_chat_template())
    return config, processor


def _gemma3(tokenizer, spec: TinyModelSpec):
    from transformers import Gemma3Config, Gemma3ImageProcessor, Gemma3Processor

    image_size, tokens = 4 * _PATCH, 4  # 4×4 patches pooled to 2×2 image tokens
    head_dim = spec.hidden_size // spec.num_heads
    config = Gemma3Config(
        text_config=_text(tokenizer, spec, head_dim=head_dim, sliding_window=512, query_pre_attn_scalar=head_dim),
        vision_config={"hidden_size": _VISION["hidden"], "intermediate_size": 2 * _VISION["hidden"],
                       "num_hidden_layers": _VISION["depth"], "num_attention_heads": _VISION["heads"],
                       "image_size": image_size, "patch_size": _PATCH},
        mm_tokens_per_image=tokens, boi_token_index=tokenizer.convert_tokens_to_ids("<start_of_image>"),
        eoi_token_index=tokenizer.convert_tokens_to_ids("<end_of_image>"),
        image_token_index=tokenizer.convert_tokens_to_ids("<image_soft_token>"), tie_word_embeddings=False)
    image_processor = Gemma3ImageProcessor(size={"height": image_size, "width": image_size})
    processor = Gemma3Processor(image_processor=image_processor, tokenizer=tokenizer, image_seq_length=tokens,
                                chat_template=get_template("gemma3").export_chat_template())
    return config, processor


_QWEN_MEDIA = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")
VISION_ARCHES: Registry[VisionArch] = Registry("vision arch", {
    "qwen2_vl": VisionArch("qwen2_vl", _QWEN_MEDIA, _qwen_vl("Qwen2VLConfig", "Qwen2VLProcessor")),
    "qwen2_5_vl": VisionArch("qwen2_vl", _QWEN_MEDIA, _qwen_vl("Qwen2_5_VLConfig", "Qwen2_5_VLProcessor")),
    "qwen3_vl": VisionArch("qwen3_vl_nothink", _QWEN_MEDIA, _qwen3_vl),
    "llava": VisionArch("llava", ("<image>",), _llava),
    "gemma3": VisionArch("gemma3", ("<start_of_image>", "<end_of_image>", "<image_soft_token>"), _gemma3),
})
# Gemma3Processor reads its media tokens from these tokenizer attributes.
_NAMED_TOKENS = {"gemma3": {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>",
                            "image_token": "<image_soft_token>"}}


def make_tiny_vision_model(out: Path, spec: TinyModelSpec, extra_files: list[Path] = ()) -> Path:
    """Tokenizer + processor + random model for `spec.arch` (a VISION_ARCHES name) in `out`."""
    import dataclasses

    from transformers import AutoModelForImageTextToText

    arch = VISION_ARCHES.get_or_raise(spec.arch, field="arch")
    spec = dataclasses.replace(spec, template=arch.template)  # the family's template, whatever was asked
    tokenizer = train_tokenizer(arch.template, spec.vocab_size, list(extra_files), extra_special=arch.media_tokens,
                                named_tokens=_NAMED_TOKENS.get(spec.arch, {}))
    config, processor = arch.build(tokenizer, spec)
    return save_random_model(out, AutoModelForImageTextToText, config, tokenizer, processor, spec)
