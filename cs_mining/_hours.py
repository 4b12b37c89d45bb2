"""When the desk is open: working hours in a time zone, and placing steps inside them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import ConfigError

_DAY = 86400
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Hours:
    """Working hours such as ``Mon-Fri 08:00-18:00`` in one time zone."""

    def __init__(self, spec, timezone):
        m = re.fullmatch(r"\s*([A-Za-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*",
                         spec)
        days = set()
        if m:
            for part in m.group(1).lower().replace(" ", "").split(","):
                a, _, b = part.partition("-")
                if a[:3] not in _WEEKDAYS or (b and b[:3] not in _WEEKDAYS):
                    days = set()
                    break
                i, j = _WEEKDAYS.index(a[:3]), _WEEKDAYS.index((b or a)[:3])
                days |= {(i + k) % 7 for k in range((j - i) % 7 + 1)}
        if not m or not days:
            raise ConfigError(f"simulate(): working_hours {spec!r} is not like "
                              f"'Mon-Fri 08:00-18:00'")
        self.open = int(m.group(2)) * 3600 + int(m.group(3)) * 60
        self.close = int(m.group(4)) * 3600 + int(m.group(5)) * 60
        if not 0 <= self.open < self.close <= _DAY:
            raise ConfigError(f"simulate(): working_hours {spec!r}: opening must come before "
                              f"closing on the same day")
        self.days = np.array(sorted(days))
        self.next_day = np.array([min(d for d in range(1, 8) if (w + d) % 7 in days)
                                  for w in range(7)])
        self.tz = timezone
        self.utc = str(timezone).upper() in ("UTC", "Z", "ETC/UTC")

    def _offset(self, t):
        if self.utc or len(t) == 0:
            return np.zeros_like(t)
        local = pd.DatetimeIndex(t.astype("datetime64[s]")).tz_localize("UTC").tz_convert(self.tz)
        return local.tz_localize(None).values.astype("datetime64[s]").astype(np.int64) - t

    def _to_utc(self, wall):
        if self.utc or len(wall) == 0:
            return wall
        local = pd.DatetimeIndex(wall.astype("datetime64[s]")).tz_localize(
            self.tz, ambiguous=np.zeros(len(wall), dtype=bool), nonexistent="shift_forward")
        return local.tz_convert("UTC").tz_localize(None).values.astype("datetime64[s]") \
            .astype(np.int64)

    def next_open(self, t):
        """Earliest moment at or after t inside working hours."""
        wall = t + self._offset(t)
        day = wall // _DAY
        sec = wall - day * _DAY
        weekday = (day + 3) % 7          # 1970-01-01 was a Thursday
        open_day = np.isin(weekday, self.days)
        inside = open_day & (sec >= self.open) & (sec < self.close)
        before = open_day & (sec < self.open)
        target = np.where(before, day, day + self.next_day[weekday]) * _DAY + self.open
        out = t.copy()
        out[~inside] = self._to_utc(target[~inside])
        return out

    def place(self, start, duration):
        """Move each step to the first opening where it starts and ends inside working hours."""
        duration = np.minimum(duration, self.close - self.open)
        start = self.next_open(start)
        wall = start + self._offset(start)
        closing = wall // _DAY * _DAY + self.close
        late = wall + duration > closing
        if late.any():
            start[late] = self.next_open(self._to_utc(closing[late]))
        return start, start + duration


def _zone(name):
    from zoneinfo import ZoneInfo
    try:
        ZoneInfo(str(name))
    except Exception:
        raise ConfigError(f"simulate(): unknown timezone {name!r} (use e.g. 'Europe/Riga')") \
            from None
    return str(name)
