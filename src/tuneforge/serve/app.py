"""The FastAPI app: GET /v1/models, POST /v1/chat/completions (whole or streamed as server-sent events ending
with `data: [DONE]`), GET /health; Bearer-key auth when a key is set.

Generation runs in worker threads; the engine serialises it (one model, one generation at a time), so
concurrent requests queue instead of failing, and the event loop stays free to accept and answer others.
"""
from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from tuneforge.config.model import ModelConfig
from tuneforge.inference.engine import Completion, Engine
from tuneforge.templates.tool_calls import parse_reply
from tuneforge.serve.errors import APIError, install_error_handlers
from tuneforge.serve.protocol import ChatCompletionRequest, ScoreEvaluationRequest


def model_id(model: ModelConfig) -> str:
    """The id GET /v1/models reports for what `model` loads: the last adapter's folder name, else the base
    model's folder name or the last part of its hub id — so a run folder is served under the run's name, a
    YAML under the model (or adapter) it names, never the YAML's file name."""
    adapters = model.adapter_paths()
    source = adapters[-1] if adapters else (model.model_name_or_path or "model")
    local = Path(source).expanduser()
    return local.resolve().name if local.exists() else source.rstrip("/").rsplit("/", 1)[-1]


def bearer_auth(api_key: str | None) -> Callable[[Request], None]:
    """A dependency that accepts the request only with `Authorization: Bearer <api_key>` (when one is set)."""
    def check(request: Request) -> None:
        if not api_key:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise APIError(401, "missing or incorrect API key (send `Authorization: Bearer <key>`)",
                           code="invalid_api_key")
    return check


def _message(completion: Completion, parse_calls: bool, tool_format: str | None) -> tuple[dict, str]:
    """(the choice's message, finish_reason)."""
    parsed = parse_reply(completion.text, tool_format if parse_calls else None)
    if not parsed.calls:
        return {"role": "assistant", "content": completion.text}, completion.finish_reason
    calls = [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
              "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)}}
             for c in parsed.calls]
    return {"role": "assistant", "content": parsed.content or None, "tool_calls": calls}, "tool_calls"


def _usage(completions: list[Completion]) -> dict[str, int]:
    prompt = completions[0].prompt_tokens if completions else 0
    generated = sum(c.completion_tokens for c in completions)
    return {"prompt_tokens": prompt, "completion_tokens": generated, "total_tokens": prompt + generated}


def _sse(data: dict[str, Any] | str) -> str:
    return f"data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}\n\n"


def create_app(engine: Engine | None, *, model_name: str, api_key: str | None = None, scorer=None) -> FastAPI:
    """The API for a chat `engine`, or — for a reward model (stage rm) — a `scorer` behind /v1/score/evaluation."""
    app = FastAPI(title="tuneforge OpenAI-compatible API", docs_url=None, redoc_url=None)
    install_error_handlers(app)
    auth = [Depends(bearer_auth(api_key))]
    created = int(time.time())

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models", dependencies=auth)
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": created,
                                            "owned_by": "tuneforge"}]}

    @app.post("/v1/score/evaluation", dependencies=auth)
    async def score_evaluation(body: ScoreEvaluationRequest):
        if scorer is None:
            raise APIError(400, f"model '{model_name}' is not a reward model; serve a run of stage rm to score")
        texts = [m for m in body.messages if isinstance(m, str)]
        if texts and len(texts) != len(body.messages):
            raise APIError(400, "messages must be all texts or all conversations", param="messages")
        if texts:
            scores = await run_in_threadpool(scorer.score_texts, texts, body.max_length)
        else:
            conversations = [[_engine_message_dict(m) for m in c] for c in body.messages]
            scores = await run_in_threadpool(scorer.score, conversations)
        return {"id": f"scoreeval-{uuid.uuid4().hex}", "object": "score.evaluation", "model": model_name,
                "scores": scores}

    @app.post("/v1/chat/completions", dependencies=auth)
    async def chat_completions(body: ChatCompletionRequest):
        if engine is None:
            raise APIError(400, f"model '{model_name}' is a reward model: use POST /v1/score/evaluation")
        messages, tools, sampling = body.engine_messages(), body.engine_tools(), body.sampling()
        media = body.engine_media()
        if media and getattr(engine, "media", None) is None:
            raise APIError(400, f"model '{model_name}' takes text only; image parts need a vision-language model",
                           param="messages")
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model_name}
        if body.stream:
            return await _streaming(engine, body, head, messages, tools, sampling, media)
        completions = await run_in_threadpool(engine.complete, messages, tools=tools, sampling=sampling,
                                              media=media)
        choices = []
        for i, completion in enumerate(completions):
            message, finish = _message(completion, body.parse_calls(), engine.tool_format)
            choices.append({"index": i, "message": message, "finish_reason": finish, "logprobs": None})
        return {**head, "object": "chat.completion", "choices": choices, "usage": _usage(completions)}

    return app


def _engine_message_dict(message) -> dict[str, Any]:
    return {"role": message.role, "content": message.text()}


async def _streaming(engine: Engine, body: ChatCompletionRequest, head: dict, messages, tools, sampling, media):
    def chunk(delta: dict, finish: str | None = None, index: int = 0) -> str:
        return _sse({**head, "object": "chat.completion.chunk",
                     "choices": [{"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}]})

    def usage_chunk(completions: list[Completion]) -> str:
        return _sse({**head, "object": "chat.completion.chunk", "choices": [], "usage": _usage(completions)})

    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    if body.parse_calls() or sampling.n > 1 or media:
        # Tool calls are only known once the reply is complete (and a reply to images is generated whole):
        # generate it, then send it as chunks.
        completions = await run_in_threadpool(engine.complete, messages, tools=tools, sampling=sampling,
                                              media=media)

        async def whole() -> AsyncIterator[str]:
            for i, completion in enumerate(completions):
                message, finish = _message(completion, body.parse_calls(), engine.tool_format)
                yield chunk({"role": "assistant", "content": ""}, index=i)
                if message.get("tool_calls"):
                    calls = [{"index": j, **call} for j, call in enumerate(message["tool_calls"])]
                    yield chunk({"tool_calls": calls}, index=i)
                elif message["content"]:
                    yield chunk({"content": message["content"]}, index=i)
                yield chunk({}, finish, index=i)
            if include_usage:
                yield usage_chunk(completions)
            yield _sse("[DONE]")

        return StreamingResponse(whole(), media_type="text/event-stream")
    stream = await run_in_threadpool(engine.stream, messages, tools=tools, sampling=sampling)

    async def pieces() -> AsyncIterator[str]:
        try:
            yield chunk({"role": "assistant", "content": ""})
            async for piece in iterate_in_threadpool(stream):
                yield chunk({"content": piece})
            yield chunk({}, stream.completion.finish_reason)
            if include_usage:
                yield usage_chunk([stream.completion])
            yield _sse("[DONE]")
        finally:
            stream.close()  # a client that went away stops the generation

    return StreamingResponse(pieces(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
