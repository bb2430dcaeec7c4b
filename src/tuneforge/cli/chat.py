"""`tuneforge chat SOURCE [--system TEXT] [key=value ...]`: chat in the terminal, replies streamed.

SOURCE is a run folder (base model + adapter + template read from it), a model folder or a YAML. The history
is kept across turns; `clear` forgets it, `exit` (or Ctrl-D) ends the session. Replies follow the generation
keys the source and the overrides set, then the model's own generation_config.json (docs/inference.md): a
run that learned a fixed answer on a model that does not sample answers greedily, with it.
"""
from __future__ import annotations

import argparse
import sys

from tuneforge.cli.overrides import overrides_help

HELP = "Type a message and press Enter. `clear` forgets the conversation, `exit` quits."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuneforge chat", allow_abbrev=False,
                                     description="Chat with a model or run folder in the terminal. " + HELP,
                                     epilog=overrides_help("chat"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", help="run folder, model folder or YAML/JSON config")
    parser.add_argument("--system", default=None, help="system prompt for the conversation")
    return parser


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except EOFError:
        return None


def cmd_chat(argv: list[str]) -> int:
    parser = _parser()
    if any(a in ("-h", "--help") for a in argv):
        parser.print_help()
        return 0
    args, overrides = parser.parse_known_args(argv)
    from tuneforge.cli.source import load_command_config
    from tuneforge.inference.engine import load_engine

    cfg = load_command_config(([args.source] if args.source else []) + overrides, "chat")
    engine = load_engine(cfg)
    try:
        import readline  # noqa: F401  (line editing and history for input(), wide characters included)
    except ImportError:
        pass
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a terminal sending broken UTF-8 must not end the session
    print(HELP, flush=True)
    return chat_loop(engine, args.system)


def chat_loop(engine, system: str | None) -> int:
    history: list[dict] = []
    while True:
        query = _read("\nUser: ")
        if query is None or query.strip() == "exit":
            print()
            return 0
        if query.strip() == "clear":
            history = []
            print("History cleared.", flush=True)
            continue
        if not query.strip():
            continue
        messages = ([{"role": "system", "content": system}] if system else []) + history
        messages.append({"role": "user", "content": query})
        print("Assistant: ", end="", flush=True)
        reply, stream = "", engine.stream(messages)
        try:
            for piece in stream:
                print(piece, end="", flush=True)
                reply += piece
        except KeyboardInterrupt:  # Ctrl-C stops this reply, not the session; the turn is not kept
            stream.close()
            print(" [stopped]", flush=True)
            continue
        print(flush=True)
        history += [{"role": "user", "content": query}, {"role": "assistant", "content": reply}]
