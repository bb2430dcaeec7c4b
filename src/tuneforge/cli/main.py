"""`tuneforge <command> ...`: parse, dispatch through COMMANDS, turn user errors into one line + exit 2.
The only place that touches sys.argv and sys.exit."""
from __future__ import annotations

import shlex
import sys
from collections.abc import Callable

from tuneforge.core.errors import Interrupted, UserError, did_you_mean
from tuneforge.core.log import setup_logging

# name → ("module:function", help). Imported only when run, so `tuneforge -h` stays instant.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("tuneforge.cli.commands:cmd_train", "train from a YAML/JSON config (pt, sft, rm, dpo, kto, ppo)"),
    "preview-data": ("tuneforge.cli.commands:cmd_preview_data", "show encoded examples, trained tokens highlighted"),
    "chat": ("tuneforge.cli.chat:cmd_chat", "chat in the terminal with a model or a run folder"),
    "api": ("tuneforge.cli.api:cmd_api", "serve an OpenAI-compatible API (127.0.0.1 by default)"),
    "predict": ("tuneforge.cli.predict:cmd_predict", "batch-generate over a dataset and score BLEU-4/ROUGE"),
    "eval": ("tuneforge.cli.evaluate:cmd_eval", "multiple-choice benchmarks (MMLU, CMMLU, C-Eval style)"),
    "export": ("tuneforge.cli.export:cmd_export", "merge adapters; export a model folder or GGUF + Modelfile"),
    "estimate": ("tuneforge.cli.estimate:cmd_estimate", "estimate peak training memory from the config alone"),
    "webui": ("tuneforge.cli.webui:cmd_webui", "the web UI (127.0.0.1:7860 by default)"),
    "webchat": ("tuneforge.cli.webui:cmd_webchat", "a chat-only web page"),
    "make-tiny-model": ("tuneforge.cli.commands:cmd_make_tiny_model", "make a tiny local model for tests/demos"),
    "expand-blocks": ("tuneforge.cli.commands:cmd_expand_blocks", "LLaMA Pro: add identity blocks to train alone"),
    "templates": ("tuneforge.cli.commands:cmd_templates", "list the chat templates"),
    "demo": ("tuneforge.cli.commands:cmd_demo", "fine-tune a tiny model on bundled data, show before/after"),
    "env": ("tuneforge.cli.commands:cmd_env", "print library versions and devices (for bug reports)"),
    "version": ("tuneforge.cli.commands:cmd_version", "print the tuneforge version"),
}


def _resolve(target: str) -> Callable[[list[str]], int]:
    import importlib

    module_name, _, function = target.partition(":")
    return getattr(importlib.import_module(module_name), function)


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
        print(f"error: unknown command '{name}'{did_you_mean(name, COMMANDS)}\n\n{usage()}", file=sys.stderr)
        return 2
    setup_logging()
    run = _resolve(COMMANDS[name][0])
    try:
        return run(rest)
    except Interrupted as exc:
        print(f"{exc.message}\nto resume, run the same command again: {shlex.join(['tuneforge', *argv])}",
              file=sys.stderr)
        return exc.exit_code
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
