"""`tuneforge webui` and `tuneforge webchat RUN`: start the web UI (127.0.0.1:7860 unless told otherwise;
GRADIO_SERVER_NAME / GRADIO_SERVER_PORT / GRADIO_SHARE are honoured)."""
from __future__ import annotations

import argparse
import os


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--share", action="store_true",
                        default=os.environ.get("GRADIO_SHARE", "").lower() in ("1", "true", "yes"))
    from tuneforge.webui.i18n import LANGUAGES

    parser.add_argument("--lang", choices=LANGUAGES, default="en")
    return parser


def cmd_webui(argv: list[str]) -> int:
    from tuneforge.webui.app import create_app, default_workspace

    parser = _parser("tuneforge webui", "The web UI: train, evaluate & predict, chat, export.")
    parser.add_argument("--data-dir", default="data", help="folder with dataset_info.json (page paths stay inside)")
    parser.add_argument("--output-dir", default="saves", help="where runs go (page paths stay inside)")
    parser.add_argument("--model-root", default=None, help="confine local model paths to this folder")
    parser.add_argument("--allow-any-path", action="store_true", help="let the page use any folder")
    args = parser.parse_args(argv)
    workspace = default_workspace(args.data_dir, args.output_dir, args.model_root, args.allow_any_path)
    create_app(workspace, args.lang).launch(server_name=args.host, server_port=args.port, share=args.share)
    return 0


def cmd_webchat(argv: list[str]) -> int:
    from tuneforge.webui.chat_page import create_chat_app

    parser = _parser("tuneforge webchat", "A chat-only page for one model or run folder.")
    parser.add_argument("model", help="run folder or model folder")
    args = parser.parse_args(argv)
    create_chat_app(args.model, args.lang).launch(server_name=args.host, server_port=args.port, share=args.share)
    return 0
