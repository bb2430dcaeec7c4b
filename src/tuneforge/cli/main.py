"""`tuneforge <command> ...`: parse, dispatch through COMMANDS, turn user errors into one line + exit 2.
The only place that touches sys.argv and sys.exit."""
from __future__ import annotations

import sys
from collections.abc import Callable

from tuneforge.cli import commands
from tuneforge.core.errors import UserError
from tuneforge.core.log import setup_logging

COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "train": (commands.cmd_train, "train a model from a YAML/JSON config (stages pt, sft)"),
    "preview-data": (commands.cmd_preview_data, "show encoded examples with trained tokens highlighted"),
    "make-tiny-model": (commands.cmd_make_tiny_model, "make a tiny local model + tokenizer for tests/demos"),
    "templates": (commands.cmd_templates, "list the chat templates"),
    "demo": (commands.cmd_demo, "fine-tune a tiny model on bundled data and show before/after"),
    "env": (commands.cmd_env, "print library versions and devices (for bug reports)"),
    "version": (commands.cmd_version, "print the tuneforge version"),
}


def usage() -> str:
    rows = "\n".join(f"  {name:16} {help_}" for name, (_, help_) in COMMANDS.items())
    return f"usage: tuneforge <command> [args]\n\ncommands:\n{rows}\n\n`tuneforge <command> -h` for details."


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        from tuneforge.core.errors import did_you_mean

        print(f"error: unknown command '{name}'{did_you_mean(name, COMMANDS)}\n\n{usage()}", file=sys.stderr)
        return 2
    setup_logging()
    try:
        return COMMANDS[name][0](rest)
    except UserError as exc:
        print(f"error: {exc.format()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
