"""Errors as OpenAI's API writes them — `{"error": {"message", "type", "param", "code"}}` — with 4xx for
every client mistake (bad JSON, wrong types, unknown roles, a conversation the template cannot render, a bad
key) and 500 only for bugs."""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from tuneforge.core.errors import UserError
from tuneforge.core.log import get_logger

log = get_logger()


class APIError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type, param, code


def error_response(status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None,
                   code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "body"]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "the request body is not valid JSON", code="invalid_json")
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    param = _location(tuple(first.get("loc", ())))
    message = "; ".join(f"{_location(tuple(e.get('loc', ()))) or 'body'}: {e.get('msg')}" for e in errors[:5])
    return error_response(400, message, param=param or None, code="invalid_value")


def _user_error(request: Request, exc: UserError) -> JSONResponse:
    return error_response(400, exc.message, param=exc.field, code="invalid_value")


def _api_error(request: Request, exc: APIError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return error_response(exc.status, exc.message, type=exc.type, param=exc.param, code=exc.code, headers=headers)


def _http(request: Request, exc: HTTPException) -> JSONResponse:
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    return error_response(exc.status_code, str(exc.detail), type=kind)


def _bug(request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error while serving %s", request.url.path, exc_info=exc)
    return error_response(500, "internal server error (a bug in tuneforge; see the server log)",
                          type="server_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(UserError, _user_error)
    app.add_exception_handler(APIError, _api_error)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _bug)
