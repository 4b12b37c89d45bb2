"""Business calendars: working hours per weekday, holidays and a time zone.

A :class:`Calendar` turns any wait into working seconds, counted on the
calendar's local wall clock (not UTC: pm4py's business hours drop the time
zone, see ``docs/bottlenecks.md``).  The count is vectorised: for every
instant ``t`` the working seconds from a fixed epoch to ``t`` are the full
working days before ``t``'s local date (:func:`numpy.busday_count` up to the
first day the instants span, then a cumulative sum over the days spanned,
holidays excluded) plus the part of ``t``'s own day inside its working
intervals; a wait is the difference of two such counts.

Examples
--------
>>> import pandas as pd
>>> cal = Calendar({"mon-fri": "09:00-17:00"}, holidays=["2024-01-01"],
...                timezone="Europe/Rome")
>>> cal
<Calendar Europe/Rome: 40h a week, 1 holiday>
>>> start = pd.Series(pd.to_datetime(["2023-12-29 15:00"], utc=True))  # Friday 16:00 in Rome
>>> end = pd.Series(pd.to_datetime(["2024-01-02 09:00"], utc=True))    # Tuesday 10:00 in Rome
>>> cal.working_seconds(start, end) / 3600   # 1h on Friday, 1h on Tuesday
array([2.])
"""

from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = ["Calendar", "WEEKDAYS"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# 1970-01-01, day 0 of datetime64[D], was a Thursday (weekday 3 with Monday = 0).
_EPOCH = np.datetime64("1970-01-01", "D")
_EPOCH_WEEKDAY = 3


def _weekday(name: str) -> int:
    key = str(name).strip().casefold()
    for table in (WEEKDAYS, _FULL):
        if key in table:
            return table.index(key)
    raise ConfigError(f"Calendar(): weekday must be one of {', '.join(map(repr, WEEKDAYS))} "
                      f"(or a range such as 'mon-fri'); got {name!r}")


def _days(key: str) -> list[int]:
    first, sep, last = str(key).partition("-")
    if not sep:
        return [_weekday(first)]
    a, b = _weekday(first), _weekday(last)
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]


def _intervals(day: str, text) -> list[tuple[int, int]]:
    if text is None or (isinstance(text, str) and text.strip().casefold() in ("", "closed")):
        return []
    spans = []
    for part in str(text).split(","):
        m = _INTERVAL.match(part)
        if not m:
            raise ConfigError(f"Calendar(): hours for {day!r} must look like '08:00-18:00' "
                              f"(several joined by commas, or 'closed'); got {text!r}")
        h1, m1, h2, m2 = map(int, m.groups())
        begin, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if not (0 <= begin < end <= 86400 and m1 < 60 and m2 < 60):
            raise ConfigError(f"Calendar(): hours for {day!r} must run forward within one day "
                              f"(00:00-24:00); got {text!r}")
        spans.append((begin, end))
    spans.sort()
    if any(b < a_end for (_, a_end), (b, _) in zip(spans, spans[1:])):
        raise ConfigError(f"Calendar(): hours for {day!r} overlap; got {text!r}")
    return spans


class Calendar:
    """Working hours per weekday, holidays and a time zone.

    Parameters
    ----------
    hours : mapping of str to str or None, optional
        Working hours per weekday, keyed by ``"mon"`` .. ``"sun"`` (full names
        and ranges such as ``"mon-fri"`` work too), valued ``"08:00-18:00"``,
        several intervals joined by commas (``"08:00-12:00, 13:00-17:00"``),
        or ``None`` / ``"closed"``.  Days not named are closed.  Default:
        Monday to Friday, 09:00-17:00.
    holidays : iterable of str or date, default=()
        Local dates on which nobody works (``"2024-12-25"``).
    timezone : str, default="UTC"
        IANA name of the team's time zone; hours and holidays are local to it.

    Raises
    ------
    ConfigError
        A weekday, an interval, a holiday or the time zone is malformed.

    Notes
    -----
    Working time is counted on the local wall clock: on the night clocks go
    forward or back nothing changes for a team whose hours do not span it.

    Examples
    --------
    >>> Calendar({"mon-fri": "08:00-12:00, 13:00-17:00", "sat": "09:00-12:00"})
    <Calendar UTC: 43h a week, 0 holidays>
    >>> Calendar({"mon": "9-5"})
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: Calendar(): hours for 'mon' must look like '08:00-18:00' (several joined by commas, or 'closed'); got '9-5'
    """

    def __init__(self, hours: Mapping[str, str | None] | None = None, *,
                 holidays: Iterable = (), timezone: str = "UTC"):
        if hours is None:
            hours = {"mon-fri": "09:00-17:00"}
        try:
            self.tz = zoneinfo.ZoneInfo(str(timezone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"Calendar(): timezone must be an IANA name such as 'UTC' or "
                              f"'Europe/Rome'; got {timezone!r}") from None
        self.timezone = str(timezone)
        spans: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
        for key, text in hours.items():
            for day in _days(key):
                spans[day] = _intervals(str(key), text)
        self.spans = spans
        try:
            days = sorted({pd.Timestamp(h).date() for h in holidays})
        except (ValueError, TypeError):
            raise ConfigError(f"Calendar(): holidays must be dates such as '2024-12-25'; "
                              f"got {list(holidays)!r}") from None
        self.holidays: list[_dt.date] = days
        self._holidays = np.array(days, dtype="datetime64[D]")
        width = max([len(s) for s in spans.values()] + [1])
        self._begin = np.zeros((7, width))
        self._length = np.zeros((7, width))
        for day, intervals in spans.items():
            for k, (begin, end) in enumerate(intervals):
                self._begin[day, k], self._length[day, k] = begin, end - begin
        self._per_day = self._length.sum(axis=1)

    @property
    def weekly_seconds(self) -> float:
        """Working seconds in a week without holidays."""
        return float(self._per_day.sum())

    def __repr__(self) -> str:
        hours = self.weekly_seconds / 3600
        n = len(self.holidays)
        return (f"<Calendar {self.timezone}: {hours:g}h a week, {n} "
                f"{'holiday' if n == 1 else 'holidays'}>")

    def to_dict(self) -> dict:
        """JSON-native description of the calendar.

        >>> Calendar({"sat": "09:00-12:30"}, holidays=["2024-12-25"]).to_dict()["hours"]
        {'mon': None, 'tue': None, 'wed': None, 'thu': None, 'fri': None, 'sat': '09:00-12:30', 'sun': None}
        """
        def text(spans):
            return ", ".join(f"{b // 3600:02d}:{b % 3600 // 60:02d}-{e // 3600:02d}:"
                             f"{e % 3600 // 60:02d}" for b, e in spans) or None

        return {"timezone": self.timezone,
                "hours": {WEEKDAYS[d]: text(self.spans[d]) for d in range(7)},
                "holidays": [d.isoformat() for d in self.holidays]}

    def _local(self, times) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Local dates, seconds into the local day, and a mask of missing values."""
        index = pd.DatetimeIndex(times)
        index = index.tz_localize("UTC") if index.tz is None else index
        wall = index.tz_convert(self.timezone).tz_localize(None).as_unit("ns").to_numpy()
        missing = np.isnat(wall)
        wall = np.where(missing, np.datetime64(0, "ns"), wall)
        days = wall.astype("datetime64[D]")
        seconds = (wall - days.astype("datetime64[ns]")) / np.timedelta64(1, "s")
        return days, seconds, missing

    def elapsed(self, times) -> np.ndarray:
        """Working seconds from 1970-01-01 (local) to each instant; NaN where missing.

        Differences of these numbers are working time; see :meth:`working_seconds`.

        >>> import pandas as pd
        >>> cal = Calendar({"mon-sun": "10:00-12:00"})
        >>> t = pd.to_datetime(["1970-01-01 11:30", "1970-01-02 09:00"], utc=True)
        >>> cal.elapsed(t) / 60
        array([ 90., 120.])
        """
        days, seconds, missing = self._local(times)
        number = days.astype(np.int64)
        total = np.full(len(days), np.nan)
        if missing.all():
            return total
        # Working seconds before each local day, cumulated once over the days
        # the instants span; each instant then looks its day up.
        low, high = int(number[~missing].min()), int(number[~missing].max())
        span = np.arange(low, high + 1)
        weekday = (span + _EPOCH_WEEKDAY) % 7
        open_day = ~np.isin(span.astype("datetime64[D]"), self._holidays)
        per_day = np.where(open_day, self._per_day[weekday], 0.0)
        before = self._before(np.datetime64(low, "D")) + np.cumsum(per_day) - per_day
        at = np.clip(number - low, 0, len(span) - 1)
        inside = np.clip(seconds[:, None] - self._begin[weekday[at]], 0, self._length[weekday[at]])
        total = before[at] + np.where(open_day[at], inside.sum(axis=1), 0.0)
        total[missing] = np.nan
        return total

    def _before(self, day: np.datetime64) -> float:
        """Working seconds from 1970-01-01 (local) to the start of ``day``."""
        total = 0.0
        for weekday in range(7):
            if self._per_day[weekday] > 0:
                mask = "".join("1" if d == weekday else "0" for d in range(7))
                # busday_count counts [begin, end); reversed it counts (end, begin]
                days = np.busday_count(_EPOCH, day, weekmask=mask, holidays=self._holidays) \
                    if day >= _EPOCH else \
                    -np.busday_count(day, _EPOCH, weekmask=mask, holidays=self._holidays)
                total += self._per_day[weekday] * float(days)
        return total

    def working_seconds(self, start, end) -> np.ndarray:
        """Working seconds between two arrays of instants (element-wise; 0 when end <= start).

        Parameters
        ----------
        start, end : array-like of datetime
            Tz-aware instants (naive ones are taken as UTC), same length.

        Returns
        -------
        numpy.ndarray of float
            NaN where either instant is missing.

        Examples
        --------
        >>> import pandas as pd
        >>> cal = Calendar({"mon-fri": "09:00-17:00"})
        >>> start = pd.to_datetime(["2024-01-05 16:00", "2024-01-08 08:00"], utc=True)
        >>> end = pd.to_datetime(["2024-01-08 10:00", "2024-01-08 08:30"], utc=True)
        >>> cal.working_seconds(start, end) / 3600
        array([2., 0.])
        """
        return np.maximum(self.elapsed(end) - self.elapsed(start), 0.0)
