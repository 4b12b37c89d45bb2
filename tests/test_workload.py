"""workload(): events and open cases per day, hour, weekday and resource, by hand."""

from __future__ import annotations

import json

import pytest

from cs_mining.errors import ConfigError
from cs_mining.testing import log_from_text
from cs_mining.workload import Workload, workload


def test_workload_by_team_counts_open_cases_per_day():
    log = log_from_text("""
        T1: log 09:00, fix d2 10:00, close d2 11:00
        T2: log d1 09:30, close d1 15:00
    """)
    log["org:group"] = ["desk", "field", "desk", "desk", "desk"]
    w = workload(log, by="team")
    desk = w.daily[w.daily["org:group"] == "desk"].set_index("date")
    # T1 is open at the desk from day 0 to day 2, T2 on day 1
    assert desk["open_cases"].to_dict() == {"2024-01-01": 1, "2024-01-02": 2, "2024-01-03": 1}
    field = w.daily[w.daily["org:group"] == "field"].set_index("date")
    assert field["open_cases"].to_dict() == {"2024-01-03": 1}
    assert w.by_hour.groupby("hour")["events"].sum().to_dict() == {9: 2, 10: 1, 11: 1, 15: 1}
    assert w.by_weekday.groupby("weekday")["events"].sum().to_dict() == {"mon": 1, "tue": 2,
                                                                         "wed": 2}
    local = workload(log, timezone="Asia/Tokyo")
    assert local.by_hour.groupby("hour")["events"].sum().to_dict() == {18: 2, 19: 1, 20: 1,
                                                                       0: 1}


def test_per_resource_counts_events_cases_and_active_days():
    log = log_from_text("""
        T1: log 09:00, fix d2 10:00, close d2 11:00
        T2: log d1 09:30, close d1 15:00
    """)
    log["org:resource"] = ["ann", "bob", "ann", "ann", None]
    w = workload(log)
    per = w.per_resource.set_index("org:resource")
    assert per.loc["ann", ["events", "cases", "active_days"]].tolist() == [3, 2, 3]
    assert per.loc["bob", ["events", "cases", "active_days"]].tolist() == [1, 1, 1]
    assert per.loc["(missing)", "events"] == 1
    assert isinstance(w, Workload) and "\n" not in repr(w)
    assert repr(w) == "<Workload: 5 events over 3 days, peak 2 open cases>"
    assert json.loads(json.dumps(w.to_dict()))["options"] == {"by": None, "timezone": "UTC"}


def test_bad_segment_and_time_zone_are_config_errors_naming_workload():
    log = log_from_text("T1: open, close")
    with pytest.raises(ConfigError, match=r"^workload\(\): by='team' needs column 'org:group'"):
        workload(log, by="team")
    with pytest.raises(ConfigError, match=r"^workload\(\): timezone must be an IANA name"):
        workload(log, timezone="Mars/Base")


def test_still_importable_from_bottlenecks():
    from cs_mining.bottlenecks import Workload as Old, workload as old

    assert old is workload and Old is Workload
