"""Reward functions of the user's own: `path/to/file.py:function_name`, loaded from the file, checked before
training (the file exists, the function exists, one probe call returns one number per completion), and
guarded while training (an exception or a wrong-length result stops the run with one line naming it)."""
from __future__ import annotations

import functools
import importlib.util
import math
from collections.abc import Callable
from pathlib import Path

from tuneforge.core.errors import UserError

FIELD = "reward_funcs"


def is_user_reward(name: str) -> bool:
    return ":" in name


def load_user_reward(name: str) -> Callable:
    path_text, _, func_name = name.rpartition(":")
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise UserError(f"reward function file not found: {path}", field=FIELD)
    module_name = f"tuneforge_reward_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path} is not a Python file", field=FIELD)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: any error is theirs, reported as one line
        raise UserError(f"{path} failed to import: {type(exc).__name__}: {exc}", field=FIELD) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        defined = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                         and getattr(v, "__module__", None) == module_name)
        raise UserError(f"{path} has no function {func_name!r} (it defines: {', '.join(defined) or 'none'})",
                        field=FIELD)
    return guarded(func, name)


def checked_scores(scores, expected: int, name: str) -> list[float]:
    """A reward's output as floats (None stays None: TRL's "no reward for this completion"), or the one line."""
    try:
        values = list(scores)
    except TypeError:
        raise UserError(f"reward function {name} returned {type(scores).__name__}, not a list of numbers",
                        field=FIELD) from None
    if len(values) != expected:
        raise UserError(f"reward function {name} returned {len(values)} rewards for {expected} completions "
                        "(one number per completion)", field=FIELD)
    out = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UserError(f"reward function {name} returned {value!r}, not a number", field=FIELD) from None
        if math.isnan(number) or math.isinf(number):
            raise UserError(f"reward function {name} returned {number}", field=FIELD)
        out.append(number)
    return out


def guarded(func: Callable, name: str) -> Callable:
    @functools.wraps(func)
    def reward(*args, **kwargs):
        try:
            scores = func(*args, **kwargs)
        except UserError:
            raise
        except Exception as exc:  # the user's code
            raise UserError(f"reward function {name} raised {type(exc).__name__}: {exc}", field=FIELD) from None
        return checked_scores(scores, len(kwargs.get("completions", args[1] if len(args) > 1 else [])), name)
    return reward
