"""Conversations with images and videos, encoded through the model's own processor.

A conversation is rendered as text exactly as a text one is (templates/render.py: the same template, the same
assistant mask), with each placeholder written as the model's media tokens (templates/media.py). The model's
processor then expands those tokens — one per patch group, per grid, per frame — and the assistant mask is
carried over by aligning the two id sequences: expansion only inserts media tokens (and, for Gemma 3, the
newlines around them) in user turns, so every assistant token is in a stretch both sequences share.

Media files are opened here (to know how many tokens each expands to) and again by `MediaCollator` when a
batch is built: features store the paths, never the pixels, so a dataset of any number of images stays
on disk.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from tuneforge.config.data import DataConfig
from tuneforge.core.errors import UserError
from tuneforge.data.example import Media
from tuneforge.templates.media import MediaTokens
from tuneforge.templates.render import Rendered

MEDIA_FEATURES = ("images", "videos")  # the feature columns of media paths (audio is not encoded yet)


@dataclass(frozen=True)
class MediaOptions:
    """Pixel and frame budgets (LLaMA-Factory's keys); part of the encoding's cache key."""
    image_max_pixels: int = 768 * 768
    image_min_pixels: int = 32 * 32
    video_max_pixels: int = 256 * 256
    video_min_pixels: int = 16 * 16
    video_fps: float = 2.0
    video_maxlen: int = 128

    @classmethod
    def from_data(cls, d: DataConfig) -> MediaOptions:
        return cls(d.image_max_pixels, d.image_min_pixels, d.video_max_pixels, d.video_min_pixels, d.video_fps,
                   d.video_maxlen)


@dataclass(frozen=True)
class MediaEncoder:
    """What encoding and batching media need: the model's processor and media tokens, the budgets, and the
    per-token modality ids its model takes (`mm_token_type_ids` for M-RoPE, Gemma 3's `token_type_ids`)."""
    processor: Any
    tokens: MediaTokens
    options: MediaOptions
    type_keys: tuple[str, ...] = ()


def media_encoder(processor: Any, tokens: MediaTokens, options: MediaOptions) -> MediaEncoder:
    """The encoder for this processor; which modality-id keys it returns is read off one text-only call."""
    returned = processor(text=["a"]).keys()
    keys = tuple(k for k in ("mm_token_type_ids", "token_type_ids") if k in returned)
    return MediaEncoder(processor, tokens, options, keys)


def _fit(image, max_pixels: int, min_pixels: int):
    """The image scaled (keeping its aspect) into [min_pixels, max_pixels], as LLaMA-Factory does before the
    processor's own resizing."""
    import math

    pixels = image.width * image.height
    scale = math.sqrt(max_pixels / pixels) if pixels > max_pixels else (
        math.sqrt(min_pixels / pixels) if pixels < min_pixels else 1.0)
    if scale != 1.0:
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    return image


def load_image(path: Any, options: MediaOptions):
    """An RGB PIL image within the pixel budget, from a path (or an image already opened: a client's upload);
    an unreadable file is a UserError naming it."""
    from PIL import Image, UnidentifiedImageError

    if isinstance(path, Image.Image):
        return _fit(path.convert("RGB"), options.image_max_pixels, options.image_min_pixels)
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise UserError(f"cannot read the image: {exc}", file=path, field="images") from None
    return _fit(image, options.image_max_pixels, options.image_min_pixels)


def load_video(path: str, options: MediaOptions) -> list:
    """The video's frames sampled at video_fps (at most video_maxlen, rounded up to an even count: video
    models patch frames in pairs, so an odd last frame is repeated), as RGB PIL images within the frame
    budget. Only the sampled frames are converted and kept, so a long video never sits in memory."""
    try:
        import av
    except ImportError:
        raise UserError("videos need PyAV: pip install 'tuneforge[vision]'", file=path, field="videos") from None
    picked = []
    try:
        with av.open(path) as container:
            stream = container.streams.video[0]
            step = max(1.0, float(stream.average_rate or 25) / options.video_fps)
            for index, frame in enumerate(container.decode(stream)):
                if index >= len(picked) * step:
                    picked.append(_fit(frame.to_image().convert("RGB"), options.video_max_pixels,
                                       options.video_min_pixels))
                    if len(picked) == options.video_maxlen:
                        break
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise UserError(f"cannot read the video: {exc}", file=path, field="videos") from None
    if not picked:
        raise UserError("the video has no frames", file=path, field="videos")
    return picked + picked[-1:] if len(picked) % 2 else picked


def load_media(media: Media, options: MediaOptions) -> dict[str, list]:
    """{"images": [...], "videos": [...]}: the processor's inputs for these files."""
    return {"images": [load_image(p, options) for p in media.images],
            "videos": [load_video(p, options) for p in media.videos]}


def processor_inputs(loaded: dict[str, list]) -> dict[str, Any]:
    """The processor's keyword arguments for loaded media (absent modalities left out: processors refuse an
    empty list). Sampled frames are passed as they are, so the video processor samples nothing more."""
    out: dict[str, Any] = {}
    if loaded.get("images"):
        out["images"] = loaded["images"]
    if loaded.get("videos"):
        out["videos"] = loaded["videos"]
        out["do_sample_frames"] = False
    return out


def expand(encoder: MediaEncoder, text: str, rendered: Rendered, media: Media) -> Rendered:
    """The rendered conversation with its media tokens expanded by the processor, the assistant mask carried
    over (tokens the expansion inserted or changed are never trained)."""
    loaded = load_media(media, encoder.options)
    try:
        out = encoder.processor(text=[text], add_special_tokens=False, **processor_inputs(loaded))
    except ValueError as exc:  # the processor's own check that tokens and media agree
        raise UserError(f"the model's processor refused the row's media: {exc}", field="images") from None
    ids = [int(i) for i in out["input_ids"][0]]
    mask = [0] * len(ids)
    matcher = difflib.SequenceMatcher(None, rendered.input_ids, ids, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        mask[b:b + size] = rendered.assistant_mask[a:a + size]
    return Rendered(ids, mask)


def media_token_ids(encoder: MediaEncoder) -> frozenset[int]:
    """Ids of the processor's media feature tokens (image/video pads, soft tokens): never trained, never cut."""
    tokenizer = encoder.processor.tokenizer
    names = [getattr(encoder.processor, attr, None) for attr in ("image_token", "video_token")]
    ids = {tokenizer.convert_tokens_to_ids(n) for n in names if isinstance(n, str)}
    return frozenset(i for i in ids if isinstance(i, int) and i != tokenizer.unk_token_id)
