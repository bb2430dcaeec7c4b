"""Generated token ids → reply text, the same way whether the reply is streamed or returned whole.

A reply ends at the first end-of-turn id (not part of the text) or at the first stop string (cut off, as in
OpenAI's API). `IncrementalText` yields only text that can no longer change: it holds back an incomplete
UTF-8 character and any tail that might still become a stop string, so the streamed pieces always join to
exactly the non-streamed reply.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


def cut_at_stop_ids(ids: Sequence[int], stop_ids: Sequence[int]) -> tuple[list[int], bool]:
    """(ids before the first end-of-turn id, whether one was found)."""
    stops = set(stop_ids)
    for i, token in enumerate(ids):
        if token in stops:
            return list(ids[:i]), True
    return list(ids), False


def cut_at_stop_strings(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """(text before the earliest stop string, whether one was found)."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[:min(hits)], True) if hits else (text, False)


def _pending_prefix(text: str, stops: Sequence[str]) -> int:
    """Length of the longest tail of `text` that is a proper prefix of some stop string."""
    longest = 0
    for stop in stops:
        for size in range(min(len(stop) - 1, len(text)), longest, -1):
            if text.endswith(stop[:size]):
                longest = size
                break
    return longest


@dataclass(frozen=True)
class Decoded:
    text: str
    tokens: int
    stopped: bool  # ended by an end-of-turn id or a stop string (else: length)


def decode_reply(tokenizer: Any, ids: Sequence[int], stop_ids: Sequence[int], stops: Sequence[str],
                 skip_special_tokens: bool, keep_ids: frozenset[int] = frozenset()) -> Decoded:
    """`keep_ids`: special tokens kept even with skip_special_tokens (tool-call markers)."""
    kept, by_id = cut_at_stop_ids(ids, stop_ids)
    if skip_special_tokens and keep_ids:
        added = getattr(tokenizer, "added_tokens_decoder", {})
        drop = (set(tokenizer.all_special_ids) | {i for i, t in added.items() if t.special}) - keep_ids
        text = tokenizer.decode([i for i in kept if i not in drop], skip_special_tokens=False)
    else:
        text = tokenizer.decode(kept, skip_special_tokens=skip_special_tokens)
    text, by_string = cut_at_stop_strings(text, stops)
    return Decoded(text, len(kept), by_id or by_string)


class IncrementalText:
    """Feed generated ids one chunk at a time; `push` returns the new final text (possibly "")."""

    def __init__(self, tokenizer: Any, stop_ids: Sequence[int], stops: Sequence[str], skip_special_tokens: bool,
                 keep_ids: frozenset[int] = frozenset()):
        self.tokenizer, self.stop_ids, self.stops = tokenizer, list(stop_ids), list(stops)
        self.skip, self.keep_ids = skip_special_tokens, keep_ids
        self.ids: list[int] = []
        self.emitted = 0
        self.done = False

    def push(self, new_ids: Sequence[int]) -> str:
        if self.done:
            return ""
        self.ids.extend(int(i) for i in new_ids)
        decoded = decode_reply(self.tokenizer, self.ids, self.stop_ids, self.stops, self.skip, self.keep_ids)
        if decoded.stopped:
            self.done = True
            return self._emit(decoded.text, len(decoded.text))
        text = decoded.text
        safe = len(text) - _pending_prefix(text, self.stops)
        while safe > self.emitted and text[safe - 1] == "\ufffd":  # half a UTF-8 character so far
            safe -= 1
        return self._emit(text, safe)

    def finish(self) -> Decoded:
        """The whole reply; `rest` of the text not yet emitted is in `self.tail`."""
        decoded = decode_reply(self.tokenizer, self.ids, self.stop_ids, self.stops, self.skip, self.keep_ids)
        self.tail = self._emit(decoded.text, len(decoded.text))
        return decoded

    def _emit(self, text: str, end: int) -> str:
        if end <= self.emitted:
            return ""
        piece = text[self.emitted:end]
        self.emitted = end
        return piece
