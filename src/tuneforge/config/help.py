"""`tuneforge train -h`: every key, grouped, with its type, default, choices and help."""
from __future__ import annotations

import textwrap

from tuneforge.config.fields import field_facts
from tuneforge.config.later import LATER_KEYS, REFUSED_KEYS
from tuneforge.config.run import GROUPS
from tuneforge.config.trainer import MANAGED


def format_config_help(width: int = 100) -> str:
    lines: list[str] = []
    for group, cls in GROUPS.items():
        lines.append(f"\n{group} keys:")
        for f in field_facts(cls):
            head = f"  {f.name} ({f.type_label()}, default {f.default!r})"
            body = textwrap.fill(f.help, width=width, initial_indent="      ", subsequent_indent="      ")
            lines += [head, body]
    lines.append("\nTrainingArguments fields tuneforge sets itself (a value is refused with what to set instead):")
    for name, instead in MANAGED.items():
        lines.append(textwrap.fill(f"{name}: {instead}", width=width, initial_indent="  ", subsequent_indent="      "))
    lines.append("\nLLaMA-Factory keys not offered, by design (a value is refused with the reason):")
    for name, reason in REFUSED_KEYS.items():
        lines.append(textwrap.fill(f"{name}: {reason}", width=width, initial_indent="  ", subsequent_indent="      "))
    later = sorted({capability for capability in LATER_KEYS.values()})
    lines.append("\nAlso recognised, not supported yet: keys of " + "; ".join(later) + ".")
    return "\n".join(lines)
