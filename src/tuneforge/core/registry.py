"""Frozen name → spec registries (templates, formats, adapters, stages, commands).

A registry is built once from a literal mapping and never changes afterwards: no registration by import side
effect, no mutation of shared entries. Looking up an unknown name raises a `UserError` with the closest name.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Generic, TypeVar

from tuneforge.core.errors import UserError, did_you_mean

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping whose failed look-ups explain themselves."""

    def __init__(self, kind: str, entries: Mapping[str, T] | list[tuple[str, T]]) -> None:
        items = list(entries.items()) if isinstance(entries, Mapping) else list(entries)
        seen: dict[str, T] = {}
        for name, spec in items:
            if name in seen:
                raise ValueError(f"duplicate {kind} '{name}' in registry")
            seen[name] = spec
        self.kind = kind
        self._entries = MappingProxyType(seen)

    def __getitem__(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(name) from None

    def get_or_raise(self, name: str, *, field: str | None = None, file: str | None = None) -> T:
        if name not in self._entries:
            raise UserError(f"unknown {self.kind} '{name}'{did_you_mean(name, self._entries)}; "
                            f"choose one of: {', '.join(sorted(self._entries))}", field=field, file=file)
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
