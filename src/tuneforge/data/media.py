"""A row's media columns (`images`, `videos`, `audios`) → `Media`: each path resolved against the media
folder and checked to exist, and the placeholders in the messages (`<image>`, `<video>`, `<audio>`, as in
LLaMA-Factory's mllm demos) counted against the files, so a mismatch is one line naming the row before any
model loads. Files are only referenced here; opening and decoding them is the encoder's job.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from tuneforge.core.media import PLACEHOLDERS
from tuneforge.data.dataset_info import DatasetSpec
from tuneforge.data.example import NO_MEDIA, Media, Message
from tuneforge.data.formats.common import MISSING, fail, get
from tuneforge.data.readers import RawRow

_NOUNS = MappingProxyType({"images": "image", "videos": "video", "audios": "audio"})


def _paths(raw: RawRow, spec: DatasetSpec, key: str) -> tuple[str, ...]:
    column = getattr(spec.columns, key)
    value = get(raw, column)
    if value is MISSING:
        return ()
    if isinstance(value, str):  # one file given as a bare string
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(raw, column, f"expected a list of file paths, got {type(value).__name__}")
    folder = spec.media_dir or (os.path.dirname(spec.path) if spec.path else "")
    out = []
    for i, path in enumerate(value):
        resolved = path if os.path.isabs(path) else os.path.join(folder, path)
        if not os.path.isfile(resolved):
            raise fail(raw, f"{column}[{i}]", f"no such {_NOUNS[key]} file: {resolved}")
        out.append(resolved)
    return tuple(out)


def _contents(messages: Iterable[Message]) -> Iterable[str]:
    for message in messages:
        if isinstance(message.get("content"), str):
            yield message["content"]


def read_media(raw: RawRow, spec: DatasetSpec, messages: Iterable[Message]) -> Media:
    """The row's media, each file existing and each placeholder matched by exactly one file."""
    if not any(getattr(spec.columns, key) for key in PLACEHOLDERS):
        return NO_MEDIA
    texts = list(_contents(messages))
    found: dict[str, Any] = {}
    for key, placeholder in PLACEHOLDERS.items():
        paths = _paths(raw, spec, key)
        marks = sum(text.count(placeholder) for text in texts)
        if marks != len(paths):
            noun = _NOUNS[key]
            raise fail(raw, getattr(spec.columns, key) or key,
                       f"{marks} {placeholder} placeholder{'s' * (marks != 1)}, {len(paths)} "
                       f"{noun}{'s' * (len(paths) != 1)}")
        found[key] = paths
    return Media(**found) if any(found.values()) else NO_MEDIA

