"""A tiny renderer for the subset of Go's text/template that tuneforge's Modelfiles use, with Ollama's data
model: `.System` (the system messages joined), `.Messages` (each with `.Role`, `.Content`), and the Modelfile's
SYSTEM inserted as a system message when the conversation has none (what `ollama run` does).

Supported: text, `{{ expr }}`, `{{- ... -}}` trimming, `if / else if / else / end`, `range $i, $_ := X`,
`$v := expr`, `$v = expr`, and the functions eq, ne, and, or, not, len, slice, json.
"""
from __future__ import annotations

import json
import re
from typing import Any

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)
_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)')


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(text):
        literal = text[pos:m.start()]
        if m.group(1):
            literal = literal.rstrip(" \t\r\n")
        out.append(("text", literal))
        out.append(("action", m.group(2)))
        pos = m.end()
        if m.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip(" \t\r\n"))
    out.append(("text", text[pos:]))
    return out


def _parse(tokens: list[tuple[str, str]], i: int = 0, stop: tuple[str, ...] = ()) -> tuple[list, int, str]:
    body: list = []
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            body.append(("text", value))
            i += 1
            continue
        head = value.split(" ", 1)[0]
        if head in stop or (value.startswith("else") and "else" in stop):
            return body, i, value
        if head == "if":
            branches, i = _parse_if(tokens, i)
            body.append(("if", branches))
        elif head == "range":
            inner, i, _ = _parse(tokens, i + 1, ("end",))
            variables, assign, expr = value[len("range"):].partition(":=")
            names = [v.strip() for v in variables.split(",")] if assign else []
            expr = expr if assign else variables
            body.append(("range", names, expr.strip(), inner))
            i += 1
        else:
            body.append(("action", value))
            i += 1
    return body, i, ""


def _parse_if(tokens, i):
    branches = []
    cond = tokens[i][1][len("if"):].strip()
    i += 1
    while True:
        inner, i, closing = _parse(tokens, i, ("end", "else"))
        branches.append((cond, inner))
        if closing == "end":
            return branches, i + 1
        rest = closing[len("else"):].strip()
        cond = rest[len("if"):].strip() if rest.startswith("if") else None
        i += 1


def _truthy(value: Any) -> bool:
    return bool(value)


class _Scope:
    def __init__(self, root: dict[str, Any]) -> None:
        self.vars: list[dict[str, Any]] = [{"$": root}]

    def get(self, name: str) -> Any:
        for frame in reversed(self.vars):
            if name in frame:
                return frame[name]
        raise KeyError(name)

    def set(self, name: str, value: Any, declare: bool) -> None:
        if declare:
            self.vars[-1][name] = value
            return
        for frame in reversed(self.vars):
            if name in frame:
                frame[name] = value
                return
        raise KeyError(name)


def _field(obj: Any, path: str) -> Any:
    for part in [p for p in path.split(".") if p]:
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    return obj


def go_json(value: Any) -> str:
    """Go's json.Marshal: compact, UTF-8 kept, and <, >, & escaped (Go escapes them for HTML)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_FUNCS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "not": lambda a: not _truthy(a),
    "len": len, "slice": lambda seq, start: seq[start:], "json": go_json,
}


def _eval_tokens(tokens: list[str], dot: Any, scope: _Scope) -> Any:
    def atom(pos: int) -> tuple[Any, int]:
        tok = tokens[pos]
        if tok == "(":
            depth, end = 1, pos + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(tokens[end], 0)
                end += 1
            return _eval_tokens(tokens[pos + 1:end - 1], dot, scope), end
        if tok.startswith('"'):
            return bytes(tok[1:-1], "utf-8").decode("unicode_escape"), pos + 1
        if tok in ("true", "false"):
            return tok == "true", pos + 1
        if re.fullmatch(r"-?\d+", tok):
            return int(tok), pos + 1
        if tok.startswith("$"):
            name, _, path = tok.partition(".")
            return _field(scope.get(name), path), pos + 1
        if tok.startswith("."):
            return _field(dot, tok), pos + 1
        raise ValueError(f"unsupported token {tok!r}")

    head = tokens[0]
    if head in ("and", "or") or head in _FUNCS:
        args, pos = [], 1
        while pos < len(tokens):
            value, pos = atom(pos)
            args.append(value)
        if head == "and":
            return next((a for a in args if not _truthy(a)), args[-1])
        if head == "or":
            return next((a for a in args if _truthy(a)), args[-1])
        return _FUNCS[head](*args)
    value, _ = atom(0)
    return value


def _eval(expr: str, dot: Any, scope: _Scope) -> Any:
    return _eval_tokens(_TOKEN.findall(expr), dot, scope)


def _run(body: list, dot: Any, scope: _Scope, out: list[str]) -> None:
    for node in body:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
        elif kind == "action":
            m = re.fullmatch(r"(\$\w+)\s*(:?=)\s*(.+)", node[1], re.DOTALL)
            if m:
                scope.set(m.group(1), _eval(m.group(3), dot, scope), declare=m.group(2) == ":=")
            else:
                value = _eval(node[1], dot, scope)
                out.append("" if value is None else str(value))
        elif kind == "if":
            for cond, inner in node[1]:
                if cond is None or _truthy(_eval(cond, dot, scope)):
                    scope.vars.append({})
                    _run(inner, dot, scope, out)
                    scope.vars.pop()
                    break
        elif kind == "range":
            _, names, expr, inner = node
            for index, item in enumerate(_eval(expr, dot, scope)):
                scope.vars.append(dict(zip(names, (index, item))) if len(names) == 2
                                  else dict(zip(names, (item,))))
                _run(inner, item, scope, out)
                scope.vars.pop()


class _Json(dict):
    """A value Ollama prints as compact JSON (api.Tool, tool-call arguments)."""

    def __str__(self) -> str:
        return go_json(dict(self))


def _message(m: dict[str, Any]) -> dict[str, Any]:
    calls = [c.get("function", c) for c in m.get("tool_calls") or []]
    return {"Role": m["role"], "Content": m.get("content") or "",
            "ToolCalls": [{"Function": {"Name": c["name"], "Arguments": _Json(c["arguments"])}} for c in calls]}


def render(template: str, messages: list[dict[str, Any]], default_system: str = "",
           tools: list[dict[str, Any]] | None = None) -> str:
    """Render like Ollama: `.Messages` with Role/Content/ToolCalls, `.System` = the system messages joined by
    blank lines, `.Tools`; the Modelfile's SYSTEM becomes a leading system message when the conversation has
    none."""
    if default_system and not any(m["role"] == "system" for m in messages):
        messages = [{"role": "system", "content": default_system}, *messages]
    msgs = [_message(m) for m in messages]
    system = "\n\n".join(m["Content"] for m in msgs if m["Role"] == "system")
    root = {"System": system, "Messages": msgs, "Tools": [_Json(t) for t in tools or []]}
    body, _, _ = _parse(_lex(template))
    out: list[str] = []
    _run(body, root, _Scope(root), out)
    return "".join(out)
