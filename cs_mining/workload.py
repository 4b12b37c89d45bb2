"""workload(): how much work arrives, and when: per day, hour, weekday and resource.

Also home of the segment names shared with :func:`cs_mining.bottlenecks.bottlenecks`
(``by="team"`` means the ``org:group`` column, and so on).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import ConfigError

__all__ = ["Workload", "workload", "SEGMENTS"]

CASE, TIME = "case:concept:name", "time:timestamp"
#: Segment names accepted by ``by=`` and the columns they read.
SEGMENTS = {"channel": "channel", "touchpoint": "channel", "request_type": "request_type",
            "team": "org:group", "org:group": "org:group", "priority": "priority",
            "resource": "org:resource", "org:resource": "org:resource"}
MISSING = "(missing)"


def _segment_column(events: pd.DataFrame, by: str | None, function: str) -> str | None:
    """The column ``by`` names; ConfigError (from ``function``) when the events lack it."""
    if by is None:
        return None
    column = SEGMENTS.get(by, by)
    if column not in events.columns:
        columns = ", ".join(repr(c) for c in events.columns)
        if by in SEGMENTS:
            raise ConfigError(f"{function}: by={by!r} needs column {column!r}, which the "
                              f"events lack (columns are {columns})", column=column)
        raise ConfigError(f"{function}: by must be one of "
                          f"{', '.join(repr(k) for k in SEGMENTS)} or a column of the events; "
                          f"got {by!r} (columns are {columns})", column=by)
    return column


@dataclass(frozen=True, repr=False)
class Workload:
    """The result of :func:`workload`: how much work arrives, and when.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> result = workload(log_from_text("T1: A 09:00, B 10:00\\nT2: A 09:00, B 09:30"))
    >>> result
    <Workload: 4 events over 1 days, peak 2 open cases>
    >>> result.by_hour.values.tolist()
    [[9, 3], [10, 1]]

    Attributes
    ----------
    daily : pandas.DataFrame
        ``date`` (local), the ``by`` column, ``events``, ``open_cases`` (cases
        with work open that day: from their first to their last event in the
        group), ``started``, ``finished``.
    by_hour : pandas.DataFrame
        ``hour`` 0..23 (local), the ``by`` column, ``events``.
    by_weekday : pandas.DataFrame
        ``weekday`` (``mon`` .. ``sun``), the ``by`` column, ``events``.
    per_resource : pandas.DataFrame
        ``org:resource`` (when present), the ``by`` column, ``events``, ``cases``,
        ``active_days``.
    """

    daily: pd.DataFrame
    by_hour: pd.DataFrame
    by_weekday: pd.DataFrame
    per_resource: pd.DataFrame
    options: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        days = self.daily["date"].nunique() if len(self.daily) else 0
        peak = int(self.daily.groupby("date")["open_cases"].sum().max()) if days else 0
        return (f"<Workload: {int(self.daily['events'].sum()):,} events over {days:,} days, "
                f"peak {peak:,} open cases>")

    def __str__(self) -> str:
        busiest = self.by_hour.groupby("hour")["events"].sum()
        lines = [repr(self)[1:-1]]
        if len(busiest):
            lines.append(f"Busiest hour: {int(busiest.idxmax()):02d}:00 "
                         f"({int(busiest.max()):,} events)")
            days = self.by_weekday.groupby("weekday", sort=False)["events"].sum()
            lines.append("By weekday: " + ", ".join(f"{d} {int(n):,}" for d, n in days.items()))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<div><p>{html.escape(repr(self))}</p>"
                + self.by_weekday.to_html(index=False) + "</div>")

    def to_dict(self) -> dict:
        from .report.json import to_jsonable

        return to_jsonable({"schema_version": 1, "daily": self.daily, "by_hour": self.by_hour,
                            "by_weekday": self.by_weekday, "per_resource": self.per_resource,
                            "options": self.options})


def workload(log, *, by: str | None = None, timezone: str = "UTC") -> Workload:
    """Return events and open cases over time, by hour and weekday, per team and resource.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
    by : str, optional
        A segment: ``"team"`` (``org:group``), ``"channel"`` (or ``"touchpoint"``),
        ``"request_type"``, ``"priority"``, ``"resource"``, or any column of the events.
    timezone : str, default="UTC"
        Local time zone for days, hours and weekdays.

    Returns
    -------
    Workload

    Raises
    ------
    ConfigError
        The ``by`` column is missing or the time zone is unknown.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> log = log_from_text('''
    ...     T1: open 09:00, close d2 10:00
    ...     T2: open d1 09:30, close d1 11:00
    ... ''')
    >>> w = workload(log)
    >>> w.daily[["date", "events", "open_cases", "started", "finished"]]
             date  events  open_cases  started  finished
    0  2024-01-01       1           1        1         0
    1  2024-01-02       2           2        1         1
    2  2024-01-03       1           1        0         1
    """
    from .load import as_events

    events = as_events(log)
    column = _segment_column(events, by, "workload()")
    try:
        local = events[TIME].dt.tz_convert(timezone).dt.tz_localize(None)
    except Exception:
        raise ConfigError(f"workload(): timezone must be an IANA name such as 'UTC' or "
                          f"'Europe/Rome'; got {timezone!r}") from None
    frame = pd.DataFrame({"case_id": events[CASE].to_numpy(),
                          "day": local.dt.floor("D").to_numpy(),
                          "hour": local.dt.hour.to_numpy(), "weekday": local.dt.weekday.to_numpy()})
    keys: list[str] = []
    if column:
        frame[column] = events[column].astype("string").fillna(MISSING).to_numpy(dtype=object)
        keys = [column]
    if "org:resource" in events.columns:
        frame["org:resource"] = events["org:resource"].astype("string").fillna(MISSING) \
            .to_numpy(dtype=object)

    g = frame.groupby(keys + ["day"], sort=True)
    daily = pd.DataFrame({"events": g.size()})
    spans = frame.groupby(keys + ["case_id"], sort=False)["day"].agg(["min", "max"]).reset_index()
    first, last = frame["day"].min(), frame["day"].max()
    n_days = int((last - first) / pd.Timedelta(days=1)) + 1 if len(frame) else 0
    groups = spans.groupby(keys, sort=True) if keys else [((), spans)]
    parts = []
    for key, part in groups:
        a = ((part["min"] - first) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
        b = ((part["max"] - first) / pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
        delta = np.zeros(n_days + 1, dtype=np.int64)
        np.add.at(delta, a, 1)
        np.add.at(delta, b + 1, -1)
        piece = pd.DataFrame({"day": first + pd.to_timedelta(np.arange(n_days), unit="D"),
                              "open_cases": np.cumsum(delta)[:-1],
                              "started": np.bincount(a, minlength=n_days),
                              "finished": np.bincount(b, minlength=n_days)})
        for k, v in zip(keys, key if isinstance(key, tuple) else (key,)):
            piece[k] = v
        parts.append(piece)
    series = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=keys + ["day", "open_cases", "started", "finished"])
    daily = series.merge(daily.reset_index(), on=keys + ["day"], how="left")
    daily["events"] = daily["events"].fillna(0).astype("int64")
    daily = daily[(daily["events"] > 0) | (daily["open_cases"] > 0)]
    daily.insert(0, "date", daily.pop("day").dt.strftime("%Y-%m-%d"))
    daily = daily[["date"] + keys + ["events", "open_cases", "started", "finished"]] \
        .reset_index(drop=True)

    by_hour = frame.groupby(keys + ["hour"]).size().rename("events").reset_index()
    by_hour = by_hour[["hour"] + keys + ["events"]]
    by_weekday = frame.groupby(keys + ["weekday"]).size().rename("events").reset_index()
    by_weekday["weekday"] = by_weekday["weekday"].map(dict(enumerate(
        ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))))
    by_weekday = by_weekday[["weekday"] + keys + ["events"]]
    if "org:resource" in frame.columns:
        rkeys = ["org:resource"] + [k for k in keys if k != "org:resource"]
        rg = frame.groupby(rkeys, sort=True)
        per_resource = pd.DataFrame({"events": rg.size(), "cases": rg["case_id"].nunique(),
                                     "active_days": rg["day"].nunique()}).reset_index() \
            .sort_values("events", ascending=False, kind="stable").reset_index(drop=True)
    else:
        per_resource = pd.DataFrame(columns=["org:resource", "events", "cases", "active_days"])
    return Workload(daily=daily, by_hour=by_hour, by_weekday=by_weekday,
                    per_resource=per_resource, options={"by": by, "timezone": timezone})
