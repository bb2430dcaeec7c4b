"""The placeholders that mark where a row's media go in its text, per media column (LLaMA-Factory's)."""
from types import MappingProxyType

PLACEHOLDERS = MappingProxyType({"images": "<image>", "videos": "<video>", "audios": "<audio>"})
