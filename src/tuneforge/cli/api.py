"""`tuneforge api SOURCE [--host H] [--port P] [key=value ...]`: serve an OpenAI-compatible API.

SOURCE is a run folder, a model folder or a YAML. API_HOST / API_PORT / API_KEY / API_MODEL_NAME environment
variables set the defaults (127.0.0.1, 8000, no key, the model's name); --host / --port / --api-key /
--model-name win over them.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from tuneforge.cli.overrides import overrides_help
from tuneforge.core.errors import UserError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tuneforge api", allow_abbrev=False,
                                     description="Serve an OpenAI-compatible chat API (POST /v1/chat/completions, "
                                                 "GET /v1/models) for a model or run folder.",
                                     epilog=overrides_help("api"), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", help="run folder, model folder or YAML/JSON config")
    parser.add_argument("--host", default=os.environ.get("API_HOST", "127.0.0.1"),
                        help="address to bind (default 127.0.0.1, or API_HOST; 0.0.0.0 exposes it to the network)")
    parser.add_argument("--port", default=os.environ.get("API_PORT", "8000"), help="port (default 8000 or API_PORT)")
    parser.add_argument("--api-key", default=os.environ.get("API_KEY") or None,
                        help="require `Authorization: Bearer KEY` (default: API_KEY, if set)")
    parser.add_argument("--model-name", default=os.environ.get("API_MODEL_NAME") or None,
                        help="the model id /v1/models reports (default: API_MODEL_NAME, else the run folder's "
                             "name, the adapter's or the model's folder name, a hub id's last part)")
    return parser


def cmd_api(argv: list[str]) -> int:
    parser = _parser()
    if any(a in ("-h", "--help") for a in argv):
        parser.print_help()
        return 0
    args, overrides = parser.parse_known_args(argv)
    try:
        port = int(args.port)
    except ValueError:
        raise UserError(f"expected a port number, got '{args.port}'", field="port") from None
    if not 0 < port < 65536:
        raise UserError(f"expected a port number, got {port}", field="port")
    from tuneforge.cli.source import load_command_config
    from tuneforge.inference.engine import load_engine

    if args.source and _is_reward_run(Path(args.source)):
        from tuneforge.inference.reward import RewardScorer

        name = args.model_name or Path(args.source).resolve().name  # the run's name, as for a chat run
        return serve(None, name, args.host, port, args.api_key, scorer=RewardScorer.load(args.source))
    from tuneforge.serve.app import model_id

    cfg = load_command_config(([args.source] if args.source else []) + overrides, "api")
    name = args.model_name or model_id(cfg.model)
    engine = load_engine(cfg)
    return serve(engine, name, args.host, port, args.api_key)


def _is_reward_run(folder: Path) -> bool:
    from tuneforge.artifacts.run_dir import CONFIG_FILE, RunDir

    return (folder / CONFIG_FILE).is_file() and RunDir(folder).run_config().finetune.stage == "rm"


def serve(engine, model_name: str, host: str, port: int, api_key: str | None, scorer=None) -> int:
    import uvicorn

    from tuneforge.serve.app import create_app

    app = create_app(engine, model_name=model_name, api_key=api_key, scorer=scorer)
    print(f"serving '{model_name}' on http://{host}:{port}/v1 (OpenAI-compatible"
          f"{', API key required' if api_key else ''}); Ctrl-C stops it", flush=True)
    # uvicorn stops accepting on SIGINT/SIGTERM and lets requests in flight finish (up to the timeout).
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30)
    return 0
