"""User-facing errors.

A `UserError` is a mistake the user can fix (bad YAML key, malformed row, missing file). The CLI prints it
as one line and exits with code 2; a traceback is reserved for bugs in tuneforge itself.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """An error in the user's input, located as precisely as we can: file, row, field."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.field = field
        super().__init__(self.format())

    def __reduce__(self):  # keyword-only fields: pickle (for worker processes) must rebuild them by name
        return (_rebuild_user_error, (type(self), self.message, self.file, self.row, self.field))

    def format(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.row is not None:
                where += f":{self.row}"
        if self.field is not None:
            where = f"{where}: {self.field}" if where else self.field
        return f"{where} — {self.message}" if where else self.message


def _rebuild_user_error(cls, message, file, row, field):
    return cls(message, file=file, row=row, field=field)


class UserErrors(UserError):
    """Several user errors reported together, so one run shows every mistake at once."""

    def __init__(self, errors: list[UserError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(e.format() for e in self.errors))

    def __reduce__(self):
        return (UserErrors, (self.errors,))

    def format(self) -> str:  # one line per error, still a single message
        if not getattr(self, "errors", None):
            return self.message
        if len(self.errors) == 1:
            return self.errors[0].format()
        return f"{len(self.errors)} errors: " + " | ".join(e.format() for e in self.errors)


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' suffix for an unknown name, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Interrupted(Exception):
    """Training stopped on a signal after saving a checkpoint: not a failure of the user's input, nor a bug.
    The CLI prints the message and the command that resumes, and exits with 130 (the shell's code for Ctrl-C)."""

    exit_code = 130

    def __init__(self, message: str, *, checkpoint=None) -> None:
        self.message = message
        self.checkpoint = checkpoint
        super().__init__(message)
