"""The built-in rewards for verifiable tasks. Each scores one completion (a float), given what the row knows;
`build_rewards` (rewards/__init__.py) wraps them into TRL's batch signature.

accuracy   1 when the completion's final answer equals the reference, else 0. The final answer is the last
           `\\boxed{…}`, else the line after the last "answer is" / "####" / "Answer:", else the last number
           (a reference: its box or lead, else all of it). Both sides are normalised (LaTeX wrappers and
           fractions, thousands separators, spaces, case, a final full stop) and compared as numbers when both
           are (fractions, decimals, percentages), else as text.
format     1 when the whole completion matches `reward_format_pattern` (default `<think>…</think>` then an
           answer), else 0.
length     0 up to `reward_length_target` tokens, then -1 per further target length, at most -1.
tool_call  1 when the completion is one or more tool calls in the template's own format whose names are among
           the row's tools and whose arguments are a JSON object, else 0.
"""
from __future__ import annotations

import json
import re
from fractions import Fraction
from typing import Any

from tuneforge.templates.tool_calls import parse_reply

_ANSWER_LEAD = re.compile(r"answer is|answer:|####", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?%?|-?\.\d+")
_LATEX_WRAPPERS = re.compile(r"\\(?:text|mathrm|textbf|mathbf)\{([^{}]*)\}")
_FRAC = re.compile(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}")


def _last_boxed(text: str) -> str | None:
    """The content of the last \\boxed{…} (braces nested), or None."""
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    return None


def _marked_answer(text: str) -> str | None:
    """The last \\boxed{…}, else the line after the last answer lead; None when neither is there."""
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed
    leads = list(_ANSWER_LEAD.finditer(text))
    if not leads:
        return None
    rest = text[leads[-1].end():].strip()
    return rest.splitlines()[0].strip() if rest else None


def final_answer(text: str) -> str | None:
    """The answer a completion ends on: boxed, after an answer lead, or its last number; None if none."""
    marked = _marked_answer(text)
    if marked is not None:
        return marked
    numbers = _NUMBER.findall(text)
    return numbers[-1] if numbers else None


def normalise(answer: str) -> str:
    text = answer.strip().strip("$").strip()
    text = _LATEX_WRAPPERS.sub(r"\1", text)
    text = _FRAC.sub(r"(\1)/(\2)", text)
    for junk in ("\\left", "\\right", "\\!", "\\,", "\\;", "\\ ", "^\\circ", "^{\\circ}", "\\%"):
        text = text.replace(junk, "%" if junk == "\\%" else "")
    text = text.rstrip(".").strip()
    return re.sub(r"\s+", "", text).lower()


def _as_number(text: str) -> Fraction | None:
    body = text.replace(" ", "")
    percent = body.endswith("%")
    body = body.rstrip("%")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", body):
        body = body.replace(",", "")
    match = re.fullmatch(r"\(?(-?[\d.]+)\)?/\(?(-?[\d.]+)\)?", body)
    try:
        value = Fraction(match.group(1)) / Fraction(match.group(2)) if match else Fraction(body)
    except (ValueError, ZeroDivisionError):
        return None
    return value / 100 if percent else value


def answers_match(found: str, reference: str) -> bool:
    a, b = normalise(found), normalise(_marked_answer(reference) or reference)  # a reference is its answer
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return x == y
    return a == b


def accuracy(completion: str, reference: str) -> float:
    found = final_answer(completion)
    return 1.0 if found is not None and answers_match(found, reference) else 0.0


def format_match(completion: str, pattern: re.Pattern) -> float:
    return 1.0 if pattern.fullmatch(completion.strip()) else 0.0


def length_penalty(n_tokens: int, target: int) -> float:
    return -min(1.0, max(0, n_tokens - target) / target)


def tool_names(tools: Any) -> set[str]:
    """The function names a row's tools column offers (OpenAI schemas, bare function dicts, or their JSON)."""
    if isinstance(tools, str):
        try:
            tools = json.loads(tools) if tools.strip() else []
        except json.JSONDecodeError:
            return set()
    names = set()
    for tool in tools or []:
        if isinstance(tool, dict):
            spec = tool.get("function", tool)
            if isinstance(spec, dict) and isinstance(spec.get("name"), str):
                names.add(spec["name"])
    return names


def tool_call(completion: str, tool_format: str, allowed: set[str]) -> float:
    calls = parse_reply(completion, tool_format).calls
    ok = bool(calls) and all(c["name"] in allowed and isinstance(c["arguments"], dict) for c in calls)
    return 1.0 if ok else 0.0
