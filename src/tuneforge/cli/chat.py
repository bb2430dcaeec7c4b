"""`tuneforge chat SOURCE [--system TEXT] [key=value ...]`: chat in the terminal, replies streamed.

SOURCE is a run folder (base model + adapter + template read from it), a model folder or a YAML. The history
is kept across turns; `clear` forgets it, `exit` (or Ctrl-D) ends the session. `--image PATH` / `--video PATH`
(repeatable; a vision-language model) attach files to the conversation: the first message starts with their
placeholders, and the reply to a conversation with media is printed whole. Replies follow the generation
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
    parser.add_argument("--image", action="append", default=[], help="an image for the conversation (repeatable)")
    parser.add_argument("--video", action="append", default=[], help="a video for the conversation (repeatable)")
    return parser


def _media(args):
    """The files given with --image/--video, each checked to exist before the model loads."""
    from pathlib import Path

    from tuneforge.core.errors import UserError
    from tuneforge.data.example import Media

    for flag, paths in (("--image", args.image), ("--video", args.video)):
        for path in paths:
            if not Path(path).is_file():
                raise UserError("no such file", file=path, field=flag)
    return Media(images=tuple(args.image), videos=tuple(args.video))


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

    media = _media(args)
    cfg = load_command_config(([args.source] if args.source else []) + overrides, "chat")
    engine = load_engine(cfg)
    if media and getattr(engine, "media", None) is None:
        from tuneforge.core.errors import UserError

        raise UserError("this model takes text only; --image/--video need a vision-language model",
                        field="--image" if media.images else "--video")
    try:
        import readline  # noqa: F401  (line editing and history for input(), wide characters included)
    except ImportError:
        pass
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")  # a terminal sending broken UTF-8 must not end the session
    print(HELP, flush=True)
    return chat_loop(engine, args.system, media)


def _placeholders(media) -> str:
    from tuneforge.core.media import PLACEHOLDERS

    return "".join(PLACEHOLDERS[key] * n for key, n in media.counts().items())


def _reply(engine, messages: list[dict], media) -> str:
    """The reply, printed as it comes (whole, for a conversation with media)."""
    if media:
        reply = engine.complete(messages, media=media)[0].text
        print(reply, end="", flush=True)
        return reply
    reply, stream = "", engine.stream(messages)
    try:
        for piece in stream:
            print(piece, end="", flush=True)
            reply += piece
    except KeyboardInterrupt:
        stream.close()
        raise
    return reply


def chat_loop(engine, system: str | None, media=None) -> int:
    from tuneforge.data.example import NO_MEDIA

    media = media or NO_MEDIA
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
        if not history and media:  # the files go with the first message, as in LLaMA-Factory's demos
            query = _placeholders(media) + query
        messages = ([{"role": "system", "content": system}] if system else []) + history
        messages.append({"role": "user", "content": query})
        print("Assistant: ", end="", flush=True)
        try:
            reply = _reply(engine, messages, media)
        except KeyboardInterrupt:  # Ctrl-C stops this reply, not the session; the turn is not kept
            print(" [stopped]", flush=True)
            continue
        print(flush=True)
        history += [{"role": "user", "content": query}, {"role": "assistant", "content": reply}]
