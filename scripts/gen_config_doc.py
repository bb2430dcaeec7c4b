"""Regenerate docs/config.md's key reference from the config dataclasses (a test checks it is current)."""
from __future__ import annotations

import sys
from pathlib import Path

from tuneforge.config.help import format_config_help

DOC = Path(__file__).resolve().parents[1] / "docs" / "config.md"
MARK = "<!-- generated: keys -->"


def render() -> str:
    head = DOC.read_text().split(MARK)[0] if DOC.exists() else ""
    return f"{head}{MARK}\n```text{format_config_help()}\n```\n"


if __name__ == "__main__":
    if "--check" in sys.argv:
        sys.exit(0 if DOC.read_text() == render() else 1)
    DOC.write_text(render())
