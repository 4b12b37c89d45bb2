"""Small helpers for doctests, tests and notebooks: logs written as text.

Examples
--------
>>> log = log_from_text('''
...     T1: open 09:00, triage 09:05, close 10:00
...     T2: open, close
... ''')
>>> log[["case:concept:name", "concept:name"]].values.tolist()
[['T1', 'open'], ['T1', 'triage'], ['T1', 'close'], ['T2', 'open'], ['T2', 'close']]
>>> str(log["time:timestamp"].iloc[1])
'2024-01-01 09:05:00+00:00'
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["log_from_text"]

_TIME = re.compile(r"^(?:d(\d+)\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_BASE = pd.Timestamp("2024-01-01", tz="UTC")


def _split_time(item: str):
    words = item.rsplit(None, 2)
    for n in (2, 1):
        if len(words) > n:
            m = _TIME.match(" ".join(words[-n:]))
            if m:
                return " ".join(words[:-n]), m
    return item, None


def log_from_text(text: str, *, start: str = "2024-01-01") -> pd.DataFrame:
    """Return an event log written one case per line.

    Each line is ``CASE: activity [time], activity [time], ...``.  A time is
    ``HH:MM`` or ``HH:MM:SS``, optionally preceded by a day offset ``dN``
    (``d1 09:00`` is nine o'clock the next day).  Events without a time are
    one minute after the previous event of the case (the first at 00:00).
    Blank lines and lines starting with ``#`` are ignored.

    Parameters
    ----------
    text : str
        The cases, one per line.
    start : str, default="2024-01-01"
        The day that times are counted from (UTC).

    Returns
    -------
    pandas.DataFrame
        Columns ``case:concept:name``, ``concept:name``, ``time:timestamp``
        (tz-aware UTC), in pm4py's conventions, in the order written.

    Examples
    --------
    >>> log = log_from_text("A: call 09:00, answer 09:00:45, close d1 08:00")
    >>> log["time:timestamp"].dt.strftime("%d %H:%M:%S").tolist()
    ['01 09:00:00', '01 09:00:45', '02 08:00:00']
    """
    base = pd.Timestamp(start, tz="UTC")
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        case, _, rest = line.partition(":")
        previous = base - pd.Timedelta(minutes=1)
        for item in rest.split(","):
            item = item.strip()
            if not item:
                continue
            activity, m = _split_time(item)
            if m:
                day, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
                when = base + pd.Timedelta(days=day, hours=hh, minutes=mm, seconds=ss)
            else:
                when = previous + pd.Timedelta(minutes=1)
            rows.append((case.strip(), activity.strip(), when))
            previous = when
    frame = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    frame["time:timestamp"] = pd.to_datetime(frame["time:timestamp"], utc=True)
    return frame
