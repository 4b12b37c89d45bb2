"""Calendar: working seconds on the local wall clock, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cs_mining.calendar import Calendar
from cs_mining.errors import ConfigError


def seconds(cal, start, end):
    return cal.working_seconds(pd.to_datetime([start], utc=True),
                               pd.to_datetime([end], utc=True))[0]


def test_split_day_and_saturday_hours():
    cal = Calendar({"mon-fri": "08:00-12:00, 13:00-17:00", "sat": "09:00-12:00"})
    # Friday 11:00 -> Monday 08:30: 1h + 4h (Fri) + 3h (Sat) + 0 (Sun) + 30min (Mon)
    assert seconds(cal, "2024-01-05 11:00", "2024-01-08 08:30") == 8.5 * 3600
    # inside the lunch break nothing counts
    assert seconds(cal, "2024-01-08 12:10", "2024-01-08 12:50") == 0
    assert cal.weekly_seconds == 43 * 3600


def test_summer_time_in_rome_shifts_the_working_day_by_two_hours():
    cal = Calendar({"mon-sun": "09:00-10:00"}, timezone="Europe/Rome")
    # 07:00-08:00 UTC on 1 July is 09:00-10:00 in Rome (UTC+2)
    assert seconds(cal, "2024-07-01 07:00", "2024-07-01 08:00") == 3600
    assert seconds(cal, "2024-07-01 08:00", "2024-07-01 09:00") == 0
    # in January Rome is UTC+1
    assert seconds(cal, "2024-01-15 08:00", "2024-01-15 09:00") == 3600


def test_holidays_and_missing_times():
    cal = Calendar({"mon-fri": "09:00-17:00"}, holidays=["2024-12-25", "2024-12-26"])
    assert seconds(cal, "2024-12-24 16:00", "2024-12-27 10:00") == 2 * 3600
    out = cal.working_seconds(pd.to_datetime(["2024-12-24 09:00", None], utc=True),
                              pd.to_datetime(["2024-12-24 10:00", "2024-12-24 00:00"], utc=True))
    assert out[0] == 3600 and np.isnan(out[1])


def test_malformed_calendars_are_config_errors():
    with pytest.raises(ConfigError, match=r"weekday must be one of 'mon'"):
        Calendar({"monday-fryday": "09:00-17:00"})
    with pytest.raises(ConfigError, match=r"hours for 'mon' overlap"):
        Calendar({"mon": "09:00-12:00, 11:00-13:00"})
    with pytest.raises(ConfigError, match=r"must run forward within one day"):
        Calendar({"mon": "18:00-09:00"})
    with pytest.raises(ConfigError, match=r"timezone must be an IANA name .* got 'Mars/Base'"):
        Calendar(timezone="Mars/Base")
    with pytest.raises(ConfigError, match=r"holidays must be dates"):
        Calendar(holidays=["someday"])


def test_holidays_before_1970_count_like_any_other():
    # numpy.busday_count counts the other way round before its epoch; the calendar must not
    cal = Calendar({"mon-fri": "09:00-17:00"}, holidays=["1969-12-25"])
    # Wed 24 Dec 16:00 -> Mon 29 Dec 10:00: 1h (Wed) + holiday + 8h (Fri) + 1h (Mon)
    assert seconds(cal, "1969-12-24 16:00", "1969-12-29 10:00") == 10 * 3600
    assert seconds(cal, "1969-12-25 10:00", "1969-12-26 09:00") == 0
    assert seconds(cal, "1969-12-31 16:00", "1970-01-01 10:00") == 2 * 3600
