"""Exceptions and warnings raised by cs_mining.

::

    CsMiningError                     catch this to catch everything cs_mining raises
    ├── LogError(ValueError)          an event log cannot be read or mapped
    ├── FlowchartError(ValueError)    a flowchart is malformed; .problems lists every problem
    ├── ConfigError(ValueError)       an option or batch config is invalid
    └── EngineError                   an engine is not installed or failed

    CsMiningWarning(UserWarning)      a surprising but true fact about the data

Every message is one line: where, what, what to do.  The context is also kept on
the exception (``path``, ``row``, ``column``, ``problems``) so that code need not
parse the text.

Examples
--------
>>> err = LogError("no timestamp column found", path="tickets.csv")
>>> str(err)
'tickets.csv: no timestamp column found'
>>> isinstance(err, CsMiningError) and isinstance(err, ValueError)
True
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CsMiningError",
    "LogError",
    "FlowchartError",
    "ConfigError",
    "EngineError",
    "CsMiningWarning",
]


class CsMiningError(Exception):
    """Base class of every error cs_mining raises on purpose."""

    def __init__(self, message: str, *, path: Any = None, row: int | None = None,
                 column: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        super().__init__(self._where() + message)

    def _where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.row}: " if self.row is not None else f"{self.path}: "


class LogError(CsMiningError, ValueError):
    """An event log cannot be read, mapped, or has nothing usable left."""


class FlowchartError(CsMiningError, ValueError):
    """A flowchart is malformed.

    ``problems`` holds every problem found (one string each, with its line
    number where the format has one); the message is the first of them plus a
    count of the rest.
    """

    def __init__(self, message: str, *, path: Any = None, row: int | None = None,
                 problems: list[str] | None = None):
        super().__init__(message, path=path, row=row)
        self.problems = list(problems) if problems else [str(self)]

    @classmethod
    def from_problems(cls, problems: list[str], **where) -> FlowchartError:
        """The first problem as the message, with a count of the rest.

        >>> str(FlowchartError.from_problems(["line 3: no end", "line 5: no start"]))
        'line 3: no end (and 1 more problem)'
        """
        return cls(problems[0] + and_more(len(problems) - 1), problems=problems, **where)


def and_more(n: int) -> str:
    """`` (and N more problems)``, or nothing when ``n`` is 0.

    >>> and_more(1), and_more(2), and_more(0)
    (' (and 1 more problem)', ' (and 2 more problems)', '')
    """
    return f" (and {n} more problem{'s' if n != 1 else ''})" if n > 0 else ""


class ConfigError(CsMiningError, ValueError):
    """An option, argument or batch configuration is invalid."""


class EngineError(CsMiningError):
    """A table-building engine is not installed or failed."""


class CsMiningWarning(UserWarning):
    """A surprising but true fact about the data (also shown in summaries)."""


def check_choice(function: str, name: str, value: Any, allowed) -> None:
    """Raise ConfigError unless ``value`` is one of ``allowed``.

    >>> check_choice("compare()", "format", "xml", ["text", "json"])
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: compare(): format must be one of 'text', 'json'; got 'xml'
    """
    allowed = list(allowed)
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ConfigError(f"{function}: {name} must be one of {options}; got {value!r}")
