"""`tuneforge train -h`: every key, grouped, with its type, default, choices and help."""
from __future__ import annotations

import dataclasses
import textwrap

from tuneforge.config.later import LATER_KEYS
from tuneforge.config.run import GROUPS


def format_config_help(width: int = 100) -> str:
    lines: list[str] = []
    for group, cls in GROUPS.items():
        lines.append(f"\n{group} keys:")
        for f in dataclasses.fields(cls):
            choices = f.metadata.get("choices")
            kind = "|".join(choices) if choices else str(f.type).replace(" | None", "?")
            head = f"  {f.name} ({kind}, default {f.default!r})"
            body = textwrap.fill(f.metadata.get("help", ""), width=width, initial_indent="      ",
                                 subsequent_indent="      ")
            lines += [head, body]
    later = sorted({capability for capability in LATER_KEYS.values()})
    lines.append("\nAlso recognised, not supported yet: keys of " + "; ".join(later) + ".")
    return "\n".join(lines)
