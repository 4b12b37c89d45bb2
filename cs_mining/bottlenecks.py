"""bottlenecks(): where cases wait, against the team's own time targets.

Definitions (see ``docs/bottlenecks.md`` for the reasoning):

* An *activity instance* is one event, or, when the log has start times
  (a ``start_timestamp`` column, or ``lifecycle:transition`` start/complete
  pairs), one start-to-complete span.  Instances of a case are ordered by
  start, then complete, then file order (pm4py orders by the same keys).
* The *wait* of ``A -> B`` is ``max(start(B) - complete(A), 0)``; without
  start times it is the gap between the two timestamps.  This is exactly
  ``pm4py.discover_performance_dfg``.  *Processing* is ``complete - start``.
* A *clock-stopped* status (``clock_stopped=``, e.g. "Wait - User") pauses
  the service clock from the moment the case enters it until the next event,
  as ServiceNow pause conditions and Zendesk's Pending do.  That time is
  reported in ``.clock_stopped`` and left out of everything measured against
  a target: the ranking reads the case with paused statuses skipped, so in
  ``A -> Wait - User -> B`` the wait of ``A -> B`` is the time from A to the
  pause.
* The ranking measures each wait on the clock of the targets (``targets_in``:
  elapsed calendar time, or working time of a :class:`Calendar`).

The work runs on integer codes (case numbers, activity codes, int64
nanoseconds): strings and timestamps are built only for the small result
tables, so ``compare()`` can afford it on a million events.
:func:`~cs_mining.workload.workload` lives in :mod:`cs_mining.workload` and
is re-exported here.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .calendar import Calendar
from .errors import ConfigError, check_choice
from .flowchart.model import Flowchart, format_duration
from .flowchart.model import format_total as _format_total
from .flowchart.model import format_duration as _format_duration
from .workload import MISSING, SEGMENTS, Workload, _segment_column, workload

__all__ = ["Bottlenecks", "bottlenecks", "Workload", "workload", "RANKING_COLUMNS", "SEGMENTS"]

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LIFECYCLE, START = "lifecycle:transition", "start_timestamp"
#: Fields of each ranked bottleneck (also the entries of compare's JSON ``bottlenecks``).
RANKING_COLUMNS = ["source", "target", "cases", "events", "median_wait_s", "p90_wait_s",
                   "total_wait_s", "target_s", "breach_cases", "excess_wait_s", "wait_share"]
PERIODS = ("D", "W", "M")
CLOCKS = ("calendar", "working")
NO_START = "no start times: waiting and processing cannot be told apart"
_CAP_QUANTILE = 0.9
_RANKING_HEADER = ["transition", "cases", "median", "p90", "target", "breaches", "excess", "share"]
_BREACH_HEADER = ["target", "limit", "cases", "breaches", "share", "worst cases"]


def _working_hours(seconds) -> str:
    """Working time as hours: ``_working_hours(198 * 3600)`` is ``'198h'``.

    >>> _working_hours(198 * 3600), _working_hours(1800), _working_hours(None)
    ('198h', '30min', '-')
    """
    if seconds is None or seconds != seconds or abs(seconds) < 3600:
        return _format_duration(seconds)
    return f"{seconds / 3600:,.0f}h"


# --------------------------------------------------------------------------- preparation

def _i8(series) -> np.ndarray:
    return pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ns").asi8


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]")).tz_localize("UTC")


@dataclass
class _Instances:
    """Activity instances as arrays, ordered by case, start, complete, file order."""

    code: np.ndarray          # case number (0, 1, ... in log order)
    act: np.ndarray           # activity code, an index into ``activities``
    begin: np.ndarray         # start, int64 nanoseconds UTC
    end: np.ndarray           # complete
    processing_s: np.ndarray  # NaN where unknown
    row: np.ndarray           # the event's row (the complete's, else the start's)
    case_start: np.ndarray    # first instance of each case
    case_ids: pd.Series       # case id of each case number
    activities: list          # activity name of each code


def _instances(events: pd.DataFrame) -> tuple[_Instances, str, list[str]]:
    """Activity instances; the timing mode; caveats."""
    n = len(events)
    pos = np.arange(n)
    caveats: list[str] = []
    # as_events() groups events by case: a case starts where the id changes.
    new_case = events[CASE].ne(events[CASE].shift()).to_numpy(dtype=bool, na_value=True)
    event_case = np.cumsum(new_case) - 1
    case_ids = events[CASE].iloc[np.flatnonzero(new_case)].reset_index(drop=True)
    act_codes, act_names = pd.factorize(events[ACTIVITY], sort=False)
    times = _i8(events[TIME])
    is_start = None
    if LIFECYCLE in events.columns:
        codes, kinds = pd.factorize(events[LIFECYCLE])
        starts = [i for i, k in enumerate(kinds) if str(k).casefold() == "start"]
        if starts:
            is_start = np.isin(codes, starts)
    if is_start is not None:
        frame = pd.DataFrame({"case": event_case, "act": act_codes, "pos": pos})
        # Starts pair with completes of the same activity in the same case,
        # first with first (a FIFO queue per activity, as pm4py's to_interval).
        frame["k"] = frame.groupby([is_start, event_case, act_codes], sort=False).cumcount()
        both = frame[~is_start].merge(frame[is_start], on=["case", "act", "k"], how="outer",
                                      suffixes=("", "_start"))
        end_pos = both["pos"].to_numpy(dtype=float)
        start_pos = both["pos_start"].to_numpy(dtype=float)
        has_end, has_start = ~np.isnan(end_pos), ~np.isnan(start_pos)
        row = np.where(has_end, end_pos, start_pos).astype(np.int64)
        completed = times[np.nan_to_num(end_pos).astype(np.int64)]
        started = times[np.nan_to_num(start_pos).astype(np.int64)]
        begin, end = np.where(has_start, started, completed), np.where(has_end, completed, started)
        paired = has_start & has_end
        lone_starts, lone_ends = int((~has_end).sum()), int((~has_start).sum())
        first = np.fmin(end_pos, start_pos).astype(np.int64)
        mode = "lifecycle"
        if lone_starts or lone_ends:
            caveats.append(f"{lone_starts:,} start events without a complete and {lone_ends:,} "
                           "completes without a start: their processing time is unknown")
    elif START in events.columns and events[START].notna().any():
        row, first, end = pos, pos, times
        raw = pd.to_datetime(events[START], utc=True, errors="coerce")
        paired = raw.notna().to_numpy()
        begin = np.where(paired, _i8(raw.fillna(events[TIME])), end)
        mode = "start_timestamp"
        if (~paired).any():
            caveats.append(f"{int((~paired).sum()):,} events without a start time: their "
                           "processing time is unknown")
    else:
        # Already in order: by case, then time, then file order.
        row, begin, end, paired, mode = pos, times, times, np.zeros(n, dtype=bool), "none"
        caveats.append(NO_START)
    if mode != "none":
        order = np.lexsort((first, end, begin, event_case[row]))
        row, begin, end, paired = row[order], begin[order], end[order], paired[order]
    code = event_case[row]
    processing = np.where(paired, (end - begin) / 1e9, np.nan)
    if mode != "none" and (processing < 0).any():
        caveats.append(f"{int((processing < 0).sum()):,} instances complete before "
                       "they start: their processing time is left out")
        processing[processing < 0] = np.nan
    case_start = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) \
        else np.zeros(0, dtype=np.int64)
    return _Instances(code=code, act=act_codes[row], begin=begin, end=end,
                      processing_s=processing, row=row, case_start=case_start,
                      case_ids=case_ids, activities=[str(a) for a in act_names]), mode, caveats


def _paused_matcher(clock_stopped):
    if clock_stopped is None:
        return lambda name: False
    if isinstance(clock_stopped, re.Pattern):
        return lambda name: clock_stopped.fullmatch(name) is not None
    if isinstance(clock_stopped, str):
        try:
            regex = re.compile(clock_stopped, re.IGNORECASE)
        except re.error as err:
            raise ConfigError(f"bottlenecks(): clock_stopped must be a regular expression or a "
                              f"list of activity names; got {clock_stopped!r} ({err})") from None
        return lambda name: regex.fullmatch(name) is not None
    names = {str(n).casefold() for n in clock_stopped}
    return lambda name: name.casefold() in names


@dataclass
class _Activities:
    """What the flowchart says about each activity code (small arrays)."""

    name: np.ndarray       # code of the shown name (step label, else the activity)
    names: np.ndarray      # shown names, object
    step: np.ndarray       # code of the step (-1: none)
    steps: list            # step ids
    target_s: np.ndarray   # wait target of the activity's step (NaN: none)
    paused: np.ndarray     # the activity stops the clock
    allowed: np.ndarray    # allowed[i, j]: steps i -> j is designed

    def designed(self, src_act: np.ndarray, tgt_act: np.ndarray) -> np.ndarray:
        a, b = self.step[src_act], self.step[tgt_act]
        if not len(self.steps):
            return np.zeros(len(a), dtype=bool)
        return (a >= 0) & (b >= 0) & self.allowed[np.maximum(a, 0), np.maximum(b, 0)]


def _activities(acts: list, flowchart: Flowchart | None, clock_stopped) -> _Activities:
    to_step = flowchart.map_activities(acts) if flowchart is not None else dict.fromkeys(acts)
    shown = [flowchart.label_of(to_step[a]) if to_step[a] is not None else a for a in acts]
    name, names = pd.factorize(pd.Series(shown, dtype=object), sort=False)
    steps = [s for s in dict.fromkeys(to_step[a] for a in acts) if s is not None]
    index = {s: i for i, s in enumerate(steps)}
    targets = {n.id: n.wait_target_s for n in flowchart.steps} if flowchart is not None else {}
    allowed = flowchart.allowed_transitions() if flowchart is not None and steps else set()
    is_paused = _paused_matcher(clock_stopped)
    return _Activities(
        name=np.asarray(name, dtype=np.int64), names=np.asarray(names, dtype=object),
        step=np.array([index.get(to_step[a], -1) for a in acts], dtype=np.int64),
        steps=steps,
        target_s=np.array([targets.get(to_step[a]) for a in acts], dtype=float),
        paused=np.array([is_paused(a) or is_paused(s) for a, s in zip(acts, shown)],
                        dtype=bool),
        allowed=np.array([[(a, b) in allowed for b in steps] for a in steps],
                         dtype=bool).reshape(len(steps), len(steps)))


def _period_codes(ns: np.ndarray, period: str, timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Local day, week (from Monday) or month of each instant: codes and ISO start dates."""
    days = _utc(ns).tz_convert(timezone).tz_localize(None).to_numpy().astype("datetime64[D]")
    if period == "W":
        days = days - (days.astype(np.int64) + 3) % 7   # 1970-01-01 was a Thursday
    elif period == "M":
        days = days.astype("datetime64[M]").astype("datetime64[D]")
    codes, uniques = pd.factorize(days.astype(np.int64), sort=False)
    labels = np.datetime_as_string(uniques.astype("datetime64[D]"), unit="D").astype(object)
    return codes, labels


class _Segments:
    """The ``by`` column and the period, as integer codes per instance."""

    def __init__(self, events: pd.DataFrame, inst: _Instances, column: str | None,
                 period: str | None, timezone: str):
        self.column, self.period, self.timezone = column, period, timezone
        self.names = ([column] if column else []) + (["period"] if period else [])
        if column:
            self.codes, self.labels = self._column_codes(events, inst, column)

    @staticmethod
    def _column_codes(events, inst, column):
        """Per instance: the case's value for case attributes, else the event's."""
        values = events[column]
        if not pd.api.types.is_string_dtype(values):
            values = values.astype("string")
        codes, uniques = pd.factorize(values, sort=False)
        codes = codes[inst.row]
        if len(codes):
            top = np.maximum.reduceat(codes, inst.case_start)
            low = np.minimum.reduceat(np.where(codes < 0, np.iinfo(codes.dtype).max, codes),
                                      inst.case_start)
            if ((top < 0) | (low == top)).all():
                codes = np.repeat(top, np.diff(np.r_[inst.case_start, len(codes)]))
        labels = np.array([str(u) for u in uniques] + [MISSING], dtype=object)
        return np.where(codes < 0, len(uniques), codes), labels

    def keys(self, at: np.ndarray, times: np.ndarray) -> list:
        """``(name, codes, labels)`` for instances ``at``, periods of instants ``times``."""
        out = []
        if self.column:
            out.append((self.column, self.codes[at], self.labels))
        if self.period:
            out.append(("period", *_period_codes(times, self.period, self.timezone)))
        return out


# --------------------------------------------------------------------------- grouped statistics

class _Grouped:
    """Rows grouped by integer keys, groups numbered in order of first appearance.

    ``keys`` holds ``(column, codes, labels)``; ``case`` the case number of
    each row.  Rows come ordered by case, so after one stable sort by group
    the distinct cases of a group are where the case number changes.
    """

    def __init__(self, keys: list, case: np.ndarray):
        self.keys, self.case = keys, case
        n = len(case)
        combined, size = np.zeros(n, dtype=np.int64), 1
        for _, codes, labels in keys:
            width = max(len(labels), 1)
            if size * width >= 2 ** 62:
                combined, uniques = pd.factorize(combined, sort=False)
                size = max(len(uniques), 1)
            combined, size = combined * width + codes, size * width
        self.ids = pd.factorize(combined, sort=False)[0] if n else np.zeros(0, dtype=np.int64)
        self.n = int(self.ids.max()) + 1 if n else 0
        # numpy sorts 16-bit integers stably by radix: much faster than int64
        self._narrow = self.ids.astype(np.uint16) if self.n <= 2 ** 16 else self.ids
        self.order = np.argsort(self._narrow, kind="stable")
        self.size = np.bincount(self.ids, minlength=self.n)
        self.first = self.order[np.cumsum(self.size) - self.size]

    def frame(self) -> pd.DataFrame:
        """The key columns, one row per group."""
        return pd.DataFrame({name: labels[codes[self.first]] for name, codes, labels in self.keys}
                            | ({} if self.keys else {"_all": np.zeros(self.n, dtype=int)}))

    def cases(self, mask: np.ndarray | None = None) -> np.ndarray:
        """Distinct cases per group, among the rows where ``mask``."""
        o = self.order if mask is None else self.order[mask[self.order]]
        g, c = self.ids[o], self.case[o]
        new = np.ones(len(o), dtype=bool)
        new[1:] = (g[1:] != g[:-1]) | (c[1:] != c[:-1])
        return np.bincount(g[new], minlength=self.n)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.ids, weights=np.nan_to_num(values.astype(float)),
                           minlength=self.n)

    def stats(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """count, mean, min, median, p90 (linear), cap (lower p90), max, total; NaN skipped."""
        idx = np.flatnonzero(~np.isnan(values))
        o = idx[np.argsort(values[idx])]
        o = o[np.argsort(self._narrow[o], kind="stable")]
        v = values[o]
        count = np.bincount(self.ids[o], minlength=self.n)
        start, has = np.cumsum(count) - count, count > 0

        def at(q: float, lower: bool = False, mid: bool = False) -> np.ndarray:
            pos = (count[has] - 1) * q
            lo, hi = np.floor(pos).astype(np.int64), np.ceil(pos).astype(np.int64)
            a, b = v[start[has] + lo], v[start[has] + hi]
            out = np.full(self.n, np.nan)
            out[has] = a if lower else (a + b) / 2 if mid else a + (b - a) * (pos - lo)
            return out

        total = np.bincount(self.ids[o], weights=v, minlength=self.n)
        return {"count": count, "total": total,
                "mean": np.where(has, total / np.maximum(count, 1), np.nan),
                "min": at(0.0, lower=True), "median": at(0.5, mid=True),
                "p90": at(0.9), "cap": at(_CAP_QUANTILE, lower=True), "max": at(1.0)}

    def worst(self, score: np.ndarray, mask: np.ndarray, case_ids: pd.Series,
              limit: int = 5) -> list[list]:
        """Up to ``limit`` case ids per group among rows where ``mask``, largest score first."""
        idx = np.flatnonzero(mask)
        o = idx[np.argsort(-score[idx], kind="stable")]
        seen = pd.Series(self.ids[o] * max(len(case_ids), 1) + self.case[o]).duplicated()
        o = o[~seen.to_numpy()]
        o = o[np.argsort(self._narrow[o], kind="stable")]
        g = self.ids[o]
        start = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else g
        rank = np.arange(len(g)) - np.repeat(start, np.diff(np.r_[start, len(g)]))
        o, g = o[rank < limit], g[rank < limit]
        out: list[list] = [[] for _ in range(self.n)]
        for group, case in zip(g.tolist(), case_ids.iloc[self.case[o]].tolist()):
            out[group].append(case)
        return out


# --------------------------------------------------------------------------- result

class Bottlenecks:
    """The result of :func:`bottlenecks`: waits, targets and their breaches.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> result = bottlenecks(log_from_text("T1: A 09:00, B 10:00\\nT2: A 09:00, B 09:30"),
    ...                      min_cases=1)
    >>> result
    <Bottlenecks: 2 cases, 1 transitions ranked>
    >>> result.ranking[["source", "target", "cases", "median_wait_s"]]
      source target  cases  median_wait_s
    0      A      B      2         2700.0

    Attributes
    ----------
    ranking : pandas.DataFrame
        Transitions taken by at least ``min_cases`` cases, worst first (by
        ``excess_wait_s``): the segment columns, then :data:`RANKING_COLUMNS`,
        then ``designed``.  Waits are on the targets' clock, paused statuses
        skipped.
    transitions : pandas.DataFrame
        Every observed transition (paused statuses included, elapsed time):
        ``events``, ``cases``, mean/median/p90/min/max/total ``wait_s``
        (``*_working_wait_s`` too with a calendar), ``designed`` (None without
        a flowchart) and ``clock_stopped`` (the source pauses the clock).
    steps : pandas.DataFrame
        Per activity (step label when mapped): ``events``, ``cases``, ``timed``
        (instances with a start and a complete), processing time statistics,
        ``wait_target_s``.
    throughput : pandas.DataFrame
        Case throughput time, overall (``variant`` missing) and per variant,
        on the targets' clock with paused time left out; breaches of the case
        target.
    breaches : pandas.DataFrame
        One row per time target: ``kind`` (``step`` or ``case``), ``step``,
        ``target_s``, ``cases``, ``events``, ``breach_events``,
        ``breach_cases``, ``breach_share``, ``total_excess_s``, ``worst_cases``.
    clock_stopped : pandas.DataFrame
        Time in paused statuses: ``status``, ``events``, ``cases``,
        ``median_paused_s``, ``total_paused_s``, ``case_time_share``,
        ``ends_case``.
    cases : pandas.DataFrame
        Per case: ``case_id``, ``variant``, ``throughput_s`` (elapsed),
        ``paused_s``, ``clock_s`` (what the case target is checked against).
    caveats : list of str
    reference_s : float or None
        The wait that counts as normal where a transition has no target.
    """

    def __init__(self, **parts: Any):
        self.__dict__.update(parts)

    def __repr__(self) -> str:
        head = f"<Bottlenecks: {len(self.cases):,} cases, {len(self.ranking)} transitions ranked"
        if len(self.ranking) and self.ranking["excess_wait_s"].iloc[0] > 0:
            top = self.ranking.iloc[0]
            head += (f"; worst {top['source']} -> {top['target']} (excess "
                     f"{_format_total(top['excess_wait_s'])})")
        return head + ">"

    def _summary(self) -> tuple[list[tuple[str, str]], list[list[str]], list[list[str]]]:
        o = self.options
        working = o["targets_in"] == "working"
        clock = ("working time, in working hours (a '2d' target is 48 working hours)"
                 if working else "calendar time")
        # On the working clock a "day" of 24 h would read as 24 working hours,
        # about three working days: write working hours as hours.
        format_duration = _working_hours if working else _format_duration
        head = [("Cases", f"{len(self.cases):,}"),
                ("Clock", clock + (f" ({o['calendar']['timezone']})" if o["calendar"] else "")),
                ("Normal wait", format_duration(self.reference_s)
                 + f" (q{o['reference_quantile']:g} of waits; excess is counted above a step's "
                   "target, or above this where there is none)"),
                ("Min support", f"{o['min_cases']} cases per transition")]
        overall = self.throughput[self.throughput["variant"].isna()]
        if len(overall) == 1:
            row = overall.iloc[0]
            head.append(("Throughput", f"median {format_duration(row['median_throughput_s'])}, "
                                       f"p90 {format_duration(row['p90_throughput_s'])}"))
        seg = o["segments"]
        ranking = [[" / ".join(str(r[k]) for k in seg + ["source"]) + " -> " + str(r["target"]),
                    f"{r['cases']:,}", format_duration(r["median_wait_s"]),
                    format_duration(r["p90_wait_s"]), format_duration(r["target_s"]),
                    "-" if pd.isna(r["breach_cases"]) else f"{int(r['breach_cases']):,}",
                    (_working_hours if working else _format_total)(r["excess_wait_s"]),
                    f"{r['wait_share']:.1%}"]
                   for r in self.ranking.head(10).to_dict("records")]
        worst = self.breaches.sort_values(["breach_cases", "cases"], ascending=False,
                                          kind="stable") if seg else self.breaches
        breaches = [[" / ".join(str(r[k]) for k in seg) + (" / " if seg else "")
                     + (r["step"] if r["kind"] == "step" else "whole case"),
                     format_duration(r["target_s"]), f"{r['cases']:,}",
                     f"{r['breach_cases']:,}",
                     "-" if pd.isna(r["breach_share"]) else f"{r['breach_share']:.1%}",
                     ", ".join(map(str, r["worst_cases"][:3]))]
                    for r in worst.head(15).to_dict("records")]
        if len(worst) > 15:
            breaches.append([f"... and {len(worst) - 15:,} more (see .breaches)", "", "", "",
                             "", ""])
        return head, ranking, breaches

    def __str__(self) -> str:
        from .report.text import table

        head, ranking, breaches = self._summary()
        width = max(len(k) for k, _ in head)
        lines = ["Bottlenecks (where cases wait)", ""]
        lines += [f"{k:<{width}}  {v}" for k, v in head]
        lines += ["", f"Worst transitions ({len(self.ranking)} ranked by excess wait, summed "
                      "over cases):"]
        if ranking:
            lines += table(_RANKING_HEADER, ranking, right=(1, 2, 3, 4, 5, 6, 7))
        else:
            lines.append("  none with enough cases")
        if breaches:
            lines += ["", "Time targets:"]
            lines += table(_BREACH_HEADER, breaches, right=(1, 2, 3, 4))
        lines += [f"Note: {c}" for c in self.caveats]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, ranking, breaches = self._summary()
        grids = [(["", ""], head), (_RANKING_HEADER, ranking)] \
            + ([(_BREACH_HEADER, breaches)] if breaches else [])
        return (f"<div><strong>{html.escape(repr(self))}</strong>"
                + "".join(pd.DataFrame(rows, columns=header).to_html(index=False)
                          for header, rows in grids)
                + "".join(f"<p>Note: {html.escape(c)}</p>" for c in self.caveats) + "</div>")

    def to_dict(self) -> dict:
        """JSON-native dictionary; ``"bottlenecks"`` lists the ranking (see RANKING_COLUMNS)."""
        from .report.json import to_jsonable

        seg = self.options["segments"]
        throughput = self.throughput.assign(activities=self.throughput["activities"].map(
            lambda a: list(a) if isinstance(a, tuple) else None))
        return to_jsonable({
            "schema_version": 1,
            "bottlenecks": self.ranking[seg + RANKING_COLUMNS],
            "transitions": self.transitions,
            "steps": self.steps,
            "throughput": throughput,
            "breaches": self.breaches,
            "clock_stopped": self.clock_stopped,
            "caveats": list(self.caveats),
            "reference_s": self.reference_s,
            "options": self.options,
        })

    def to_json(self, **kwargs) -> str:
        import json

        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    def plot_waits(self, ax=None, *, limit: int = 15):
        """Horizontal bars of excess wait per transition, worst on top; targets in the labels.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import new_axes, plot_style

        top = self.ranking.head(limit).iloc[::-1]
        seg = self.options["segments"]
        hours = top["excess_wait_s"].to_numpy(dtype=float) / 3600
        labels = [" / ".join(str(r[k]) for k in seg + ["source"]) + f" → {r['target']}"
                  + ("" if pd.isna(r["target_s"])
                     else f"  (target {format_duration(r['target_s'])})")
                  for r in top.to_dict("records")]
        with plot_style():
            ax = new_axes(ax, figsize=(8, 0.4 * max(len(top), 2) + 1.2))
            colors = ["#c0392b" if not pd.isna(t) else "#7f8c8d" for t in top["target_s"]]
            ax.barh(np.arange(len(top)), hours, color=colors)
            ax.set_yticks(np.arange(len(top)), labels)
            ax.set_xlabel("excess wait (hours; red: above the step's target, grey: above the "
                          "normal wait)")
            ax.set_title("Where cases wait")
        return ax

    def plot_throughput(self, ax=None, *, bins: int = 40):
        """Histogram of case throughput time (days) with the case target marked.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import new_axes, plot_style

        days = self.cases["clock_s"].to_numpy(dtype=float) / 86400
        target = self.options.get("case_target_s")
        with plot_style():
            ax = new_axes(ax, figsize=(7, 4))
            ax.hist(days[~np.isnan(days)], bins=bins, color="#34495e")
            if target is not None:
                ax.axvline(target / 86400, color="#c0392b", linestyle="--",
                           label=f"case target {format_duration(target)}")
                ax.legend()
            ax.set_xlabel("throughput time (days)")
            ax.set_ylabel("cases")
            ax.set_title("Case throughput time")
        return ax


# --------------------------------------------------------------------------- bottlenecks

def bottlenecks(log, flowchart: Flowchart | None = None, *, by: str | None = None,
                period: str | None = None, min_cases: int | None = None,
                calendar: Calendar | None = None, clock_stopped=None,
                reference_quantile: float = 0.5, targets_in: str = "calendar",
                tables=None) -> Bottlenecks:
    """Find where cases wait, how long, and how far beyond the team's time targets.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
        The event log.
    flowchart : Flowchart, optional
        Supplies step labels, the designed transitions, each step's
        ``wait_target_s`` and the ``case_target_s``.
    by : str, optional
        Split every measure by ``"channel"`` (or ``"touchpoint"``),
        ``"request_type"``, ``"team"`` (``org:group``), ``"priority"``,
        ``"resource"`` (``org:resource``), or any other column of the events.
    period : {"D", "W", "M"}, optional
        Split by day, week or month: of the transition's target time, of an
        instance's completion, of a case's last event.
    min_cases : int, optional
        Cases a transition needs to be ranked.  Default: 1 % of cases,
        at least 2 and at most 10.
    calendar : Calendar, optional
        Working hours; adds working-time columns beside calendar time.
    clock_stopped : str, re.Pattern or list of str, optional
        Statuses that pause the service clock: a regular expression matched
        in full, ignoring case (``"wait.*|awaiting customer"``), or a list of
        activity names or step labels.
    reference_quantile : float, default=0.5
        Where a transition has no target, waits count as excess above this
        quantile of all waits (of designed transitions, when a flowchart
        gives some).
    targets_in : {"calendar", "working"}, default="calendar"
        The clock that targets, the ranking and the throughput are read on;
        ``"working"`` needs ``calendar``.
    tables : Tables, optional
        The log's already built tables (``compare`` passes its own).

    Returns
    -------
    Bottlenecks

    Raises
    ------
    ConfigError
        A choice is not allowed, a ``by`` column is missing, ``targets_in``
        is ``"working"`` without a calendar, or ``tables`` belong to another log.

    Notes
    -----
    ``excess_wait_s`` sums, over a transition's waits, ``min(wait, cap) -
    reference`` where positive; ``cap`` is the transition's 90th percentile
    wait (the lower of the two order statistics around it, so one extreme
    wait among few is capped at the next one), raised to twice the target
    where the step has one (so that breaches rarer than one in ten still
    count, each up to one target's worth), and ``reference`` is the target
    of the step waited for, else ``reference_s``.  A transition with 2 cases
    and one absurd wait, or one extreme case on a busy transition, therefore
    cannot top the ranking.  ``wait_share`` is the transition's share of all
    waiting time (on the same clock).

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> log = log_from_text('''
    ...     T1: open 09:00, triage 09:10, close 10:00
    ...     T2: open 09:00, triage 09:20, close 11:00
    ...     T3: open 09:00, triage 09:30, close 09:40
    ... ''')
    >>> result = bottlenecks(log, min_cases=2)
    >>> result.ranking[["source", "target", "median_wait_s", "excess_wait_s"]]
       source  target  median_wait_s  excess_wait_s
    0  triage   close         3000.0         3000.0
    1    open  triage         1200.0            0.0
    >>> result.reference_s
    1500.0
    """
    from .discover import tables as build
    from .load import as_events

    check_choice("bottlenecks()", "targets_in", targets_in, CLOCKS)
    if period is not None:
        check_choice("bottlenecks()", "period", period, PERIODS)
    if targets_in == "working" and calendar is None:
        raise ConfigError("bottlenecks(): targets_in='working' needs a calendar "
                          "(pass calendar=Calendar(...))")
    if not 0 <= reference_quantile <= 1:
        raise ConfigError(f"bottlenecks(): reference_quantile must be between 0 and 1; "
                          f"got {reference_quantile!r}")
    events = as_events(log)
    column = _segment_column(events, by, "bottlenecks()")
    inst, mode, caveats = _instances(events)
    tab = tables if tables is not None else build(events)
    variant = _variants(tab, inst.case_ids)
    if min_cases is None:
        min_cases = _default_min_cases(len(inst.case_ids))
    acts = _activities(inst.activities, flowchart, clock_stopped)
    if clock_stopped is not None and not acts.paused.any():
        caveats.append(f"clock_stopped={clock_stopped!r} matches no activity of the log")
    seg = _Segments(events, inst, column, period,
                    calendar.timezone if calendar is not None else "UTC")
    segments = seg.names
    observed, service, start_w = _waits(inst, acts, seg, calendar, targets_in)
    reference = _reference(service, flowchart is not None, reference_quantile)
    ranking, below = _ranking(service, reference, min_cases, segments, flowchart is not None)
    if below:
        caveats.append(f"{below} transitions taken by fewer than {min_cases} cases are left "
                       "out of the ranking (see .transitions)")
    if flowchart is None:
        caveats.append("no flowchart: no time targets; excess wait is counted above the "
                       f"normal wait ({format_duration(reference)})")
    transitions = _transitions(observed, acts, segments, flowchart is not None,
                               calendar is not None)
    steps = _steps(inst, acts, seg, flowchart)
    paused, paused_s, paused_w, ends_case = _paused_time(inst, acts, start_w)
    case_target = flowchart.case_target_s if flowchart is not None else None
    cases, case_keys = _cases(inst, seg, variant, paused_s, paused_w, calendar, targets_in,
                              case_target)
    throughput = _throughput(cases, case_keys, tab, segments, case_target)
    breaches = _breaches(service, cases, case_keys, acts, flowchart, segments, case_target,
                         inst.case_ids)
    caveats += _target_caveats(breaches, flowchart)
    clock_table = _clock_table(inst, acts, seg, ends_case, paused, paused_s, paused_w,
                               float(cases["throughput_s"].sum()))

    options = {"by": by, "period": period, "segments": segments, "min_cases": int(min_cases),
               "reference_quantile": float(reference_quantile), "targets_in": targets_in,
               "timing": mode,
               "clock_stopped": sorted(str(acts.names[acts.name[a]])
                                       for a in np.flatnonzero(acts.paused)),
               "calendar": calendar.to_dict() if calendar is not None else None,
               "case_target_s": case_target,
               "flowchart": flowchart.name if flowchart is not None else None}
    case_columns = ["case_id", "variant", "throughput_s", "paused_s", "clock_s"] \
        + (["working_throughput_s"] if calendar is not None else []) + segments
    return Bottlenecks(ranking=ranking, transitions=transitions, steps=steps,
                       throughput=throughput, breaches=breaches, clock_stopped=clock_table,
                       cases=cases[case_columns], caveats=caveats, reference_s=reference,
                       options=options)


def _default_min_cases(cases: int) -> int:
    return max(2, min(10, math.ceil(0.01 * cases)))


def _variants(tab, case_ids: pd.Series) -> np.ndarray:
    """Variant of each case number, from tables that must belong to this log."""
    known = tab.cases["case_id"].reset_index(drop=True)
    if len(known) != len(case_ids):
        raise ConfigError(f"bottlenecks(): tables have {len(known):,} cases but the log has "
                          f"{len(case_ids):,}; pass the tables built from this log")
    variant = tab.cases["variant"].to_numpy(dtype=np.int64)
    if bool((known == case_ids).all()):
        return variant
    where = pd.Index(known).get_indexer(case_ids)
    if (where < 0).any():
        raise ConfigError(f"bottlenecks(): case {case_ids[where < 0].iloc[0]!r} is not in the "
                          "tables; pass the tables built from this log")
    return variant[where]


def _waits(inst: _Instances, acts: _Activities, seg: _Segments, calendar: Calendar | None,
           targets_in: str) -> tuple[dict, dict, np.ndarray | None]:
    """Observed pairs; service pairs (paused statuses skipped, on the targets' clock); the
    working-time count of each instance's start."""
    start_w = end_w = None
    if calendar is not None:
        start_w = calendar.elapsed(_utc(inst.begin))
        end_w = start_w if inst.end is inst.begin else calendar.elapsed(_utc(inst.end))
    code, paused = inst.code, acts.paused[inst.act]
    nxt = np.flatnonzero(code[1:] == code[:-1])
    observed = service = _pairs(inst, acts, seg, nxt, nxt + 1, nxt + 1, start_w, end_w)
    if paused.any():
        kept = np.flatnonzero(~paused)
        link = np.flatnonzero(code[kept[1:]] == code[kept[:-1]])
        service = _pairs(inst, acts, seg, kept[link], kept[link + 1], kept[link] + 1,
                         start_w, end_w)
    service["clock"] = "working_wait_s" if targets_in == "working" else "wait_s"
    w = service["w"] = service[service["clock"]]
    service["target_s"] = acts.target_s[service["tgt_act"]]
    service["breach"] = w > service["target_s"]
    return observed, service, start_w


def _reference(service: dict, charted: bool, quantile: float) -> float | None:
    """The normal wait: a quantile of designed transitions' waits, else of all waits."""
    w = service["w"]
    pool = w[service["designed"]] if charted else w[:0]
    pool = pool if len(pool) else w
    pool = pool[~np.isnan(pool)]
    return float(np.quantile(pool, quantile)) if len(pool) else None


def _paused_time(inst: _Instances, acts: _Activities, start_w: np.ndarray | None):
    """Per instance: paused, seconds paused (to the case's next event), working seconds
    paused, and whether the case ends paused."""
    code, paused = inst.code, acts.paused[inst.act]
    same_next = np.zeros(len(code), dtype=bool)
    same_next[:-1] = code[1:] == code[:-1]
    follow = np.minimum(np.arange(len(code)) + 1, max(len(code) - 1, 0))
    counted = paused & same_next
    paused_s = np.where(counted, (inst.begin[follow] - inst.begin) / 1e9, 0.0)
    paused_w = np.where(counted, start_w[follow] - start_w, 0.0) if start_w is not None \
        else None
    return paused, paused_s, paused_w, paused & ~same_next


def _target_caveats(breaches: pd.DataFrame, flowchart: Flowchart | None) -> list[str]:
    if flowchart is None:
        return []
    never = breaches[(breaches["kind"] == "step") & (breaches["cases"] == 0)]["step"]
    out = [f"wait target of {step!r} cannot be checked: no case has an event before it"
           for step in pd.unique(never)]
    if all(n.wait_target_s is None for n in flowchart.steps) and flowchart.case_target_s is None:
        out.append("the flowchart sets no time targets")
    return out


def _pairs(inst: _Instances, acts: _Activities, seg: _Segments, src: np.ndarray,
           tgt: np.ndarray, gap_from: np.ndarray, start_w, end_w) -> dict:
    """Waits from instance ``src`` to ``tgt``, timed to the start of ``gap_from``."""
    src_act, tgt_act = inst.act[src], inst.act[tgt]
    keys = seg.keys(tgt, inst.begin[tgt]) + [("source", acts.name[src_act], acts.names),
                                            ("target", acts.name[tgt_act], acts.names)]
    pairs = {"groups": _Grouped(keys, inst.code[tgt]), "src_act": src_act, "tgt_act": tgt_act,
             "wait_s": np.maximum(inst.begin[gap_from] - inst.end[src], 0) / 1e9,
             "designed": acts.designed(src_act, tgt_act), "stats": {}}
    if start_w is not None:
        pairs["working_wait_s"] = np.maximum(start_w[gap_from] - end_w[src], 0.0)
    return pairs


def _stats_of(pairs: dict, column: str) -> dict[str, np.ndarray]:
    if column not in pairs["stats"]:
        pairs["stats"][column] = pairs["groups"].stats(pairs[column])
    return pairs["stats"][column]


def _ranking(service: dict, reference: float | None, min_cases: int, segments: list[str],
             charted: bool) -> tuple[pd.DataFrame, int]:
    """Ranked transitions and how many fell below ``min_cases``."""
    g, w, target = service["groups"], service["w"], service["target_s"]
    st = _stats_of(service, service["clock"])
    base = np.where(np.isnan(target), reference if reference is not None else 0.0, target)
    # Where fewer than a tenth of the waits breach a target, the 90th
    # percentile sits below it and would erase every breach; a breaching wait
    # still counts, up to one target's worth of excess.
    cap = np.where(np.isnan(target), st["cap"][g.ids],
                   np.maximum(st["cap"][g.ids], 2 * np.nan_to_num(target)))
    excess = np.maximum(np.minimum(w, cap) - base, 0.0)
    out = g.frame()
    out["cases"], out["events"] = g.cases(), g.size
    out["median_wait_s"], out["p90_wait_s"], out["total_wait_s"] = \
        st["median"], st["p90"], st["total"]
    out["target_s"] = target[g.first]
    out["breach_cases"] = pd.array(g.cases(service["breach"]), dtype="Int64")
    out.loc[out["target_s"].isna(), "breach_cases"] = pd.NA
    out["excess_wait_s"] = g.sum(excess)
    grand = float(np.nansum(w))
    out["wait_share"] = out["total_wait_s"] / grand if grand > 0 else 0.0
    out["designed"] = service["designed"][g.first] if charted else None
    below = int((out["cases"] < min_cases).sum())
    out = out[out["cases"] >= min_cases].sort_values(
        ["excess_wait_s", "total_wait_s", "source", "target"],
        ascending=[False, False, True, True], kind="stable")
    return out[segments + RANKING_COLUMNS + ["designed"]].reset_index(drop=True), below


def _transitions(observed: dict, acts: _Activities, segments: list[str], charted: bool,
                 working: bool) -> pd.DataFrame:
    g, st = observed["groups"], _stats_of(observed, "wait_s")
    out = g.frame()
    out["events"], out["cases"] = g.size, g.cases()
    for stat in ("mean", "median", "p90", "min", "max", "total"):
        out[f"{stat}_wait_s"] = st[stat]
    if working:
        wt = _stats_of(observed, "working_wait_s")
        for stat in ("median", "p90", "total"):
            out[f"{stat}_working_wait_s"] = wt[stat]
    out["designed"] = observed["designed"][g.first] if charted else None
    out["clock_stopped"] = acts.paused[observed["src_act"]][g.first]
    return out.sort_values(segments + ["events", "source", "target"],
                           ascending=[True] * len(segments) + [False, True, True],
                           kind="stable").reset_index(drop=True)


def _steps(inst: _Instances, acts: _Activities, seg: _Segments,
           flowchart: Flowchart | None) -> pd.DataFrame:
    """Processing time per activity (step label), periods by completion."""
    every = np.arange(len(inst.code))
    g = _Grouped(seg.keys(every, inst.end) + [("step", acts.name[inst.act], acts.names)],
                 inst.code)
    st = g.stats(inst.processing_s)
    out = g.frame()
    out["events"], out["cases"], out["timed"] = g.size, g.cases(), st["count"]
    for stat in ("median", "p90", "total", "mean"):
        out[f"{stat}_processing_s"] = st[stat]
    label_target = {flowchart.label_of(n.id): n.wait_target_s for n in flowchart.steps} \
        if flowchart is not None else {}
    out["wait_target_s"] = out["step"].map(label_target).astype(float)
    return out.sort_values(seg.names + ["events", "step"],
                           ascending=[True] * len(seg.names) + [False, True], kind="stable") \
        .reset_index(drop=True)


def _clock_table(inst: _Instances, acts: _Activities, seg: _Segments, ends_case: np.ndarray,
                 paused: np.ndarray, paused_s: np.ndarray, paused_w, total_time: float
                 ) -> pd.DataFrame:
    idx = np.flatnonzero(paused)
    if not len(idx):
        return pd.DataFrame(columns=seg.names + ["status", "events", "cases", "median_paused_s",
                                                 "total_paused_s", "case_time_share",
                                                 "ends_case"])
    g = _Grouped(seg.keys(idx, inst.end[idx]) + [("status", acts.name[inst.act[idx]],
                                                  acts.names)], inst.code[idx])
    out = g.frame()
    out["events"], out["cases"] = g.size, g.cases()
    out["median_paused_s"] = g.stats(paused_s[idx])["median"]
    out["total_paused_s"] = g.sum(paused_s[idx])
    if paused_w is not None:
        out["total_working_paused_s"] = g.sum(paused_w[idx])
    out["case_time_share"] = out["total_paused_s"] / total_time if total_time > 0 else 0.0
    out["ends_case"] = g.sum(ends_case[idx]).astype("int64")
    return out.sort_values("total_paused_s", ascending=False, kind="stable") \
        .reset_index(drop=True)


def _cases(inst: _Instances, seg: _Segments, variant: np.ndarray, paused_s: np.ndarray,
           paused_w, calendar: Calendar | None, targets_in: str, case_target
           ) -> tuple[pd.DataFrame, list]:
    """Per case: throughput on the targets' clock, paused time left out; the segment keys."""
    starts = inst.case_start
    first = inst.begin[starts]
    last = np.maximum.reduceat(inst.end, starts) if len(starts) else first

    def per_case(values):
        return np.add.reduceat(values, starts) if len(starts) else np.zeros(0)

    cases = pd.DataFrame({"case_id": inst.case_ids,
                          "variant": pd.array(variant, dtype="Int64"),
                          "throughput_s": (last - first) / 1e9,
                          "paused_s": per_case(paused_s)})
    if calendar is not None:
        cases["working_throughput_s"] = np.maximum(
            calendar.elapsed(_utc(last)) - calendar.elapsed(_utc(first)), 0.0)
    if targets_in == "working":
        cases["clock_s"] = cases["working_throughput_s"] - per_case(paused_w)
    else:
        cases["clock_s"] = cases["throughput_s"] - cases["paused_s"]
    keys = seg.keys(starts, last)
    for name, codes, labels in keys:
        cases[name] = labels[codes]
    cases["breach"] = cases["clock_s"] > case_target if case_target is not None else False
    return cases, keys


def _throughput(cases: pd.DataFrame, keys: list, tab, segments: list[str],
                case_target) -> pd.DataFrame:
    number = np.arange(len(cases))
    clock = cases["clock_s"].to_numpy(dtype=float)
    overall = _Grouped(keys, number)
    by_variant = _Grouped(keys + [("variant", cases["variant"].to_numpy(dtype=np.int64),
                                   np.arange(len(tab.variants)))], number)
    parts = []
    for g in (overall, by_variant):
        st = g.stats(clock)
        part = g.frame()
        part["cases"] = g.size
        for stat in ("median", "p90", "mean", "min", "max"):
            part[f"{stat}_throughput_s"] = st[stat]
        part["breach_cases"] = g.sum(cases["breach"].to_numpy(dtype=bool)).astype("int64")
        part["case_share"] = g.size / np.maximum(overall.size[overall.ids[g.first]], 1)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["variant"] = out["variant"].astype("Int64")
    out["breach_share"] = out["breach_cases"] / out["cases"] if case_target is not None \
        else np.nan
    if case_target is None:
        out["breach_cases"] = pd.array([pd.NA] * len(out), dtype="Int64")
    activities = dict(zip(tab.variants["variant"], tab.variants["activities"]))
    out["activities"] = [activities.get(v) if not pd.isna(v) else None for v in out["variant"]]
    out["_overall"] = out["variant"].isna()
    out = out.sort_values(segments + ["_overall", "cases"],
                          ascending=[True] * len(segments) + [False, False], kind="stable")
    return out[segments + ["variant", "activities", "cases", "case_share", "median_throughput_s",
                           "p90_throughput_s", "mean_throughput_s", "min_throughput_s",
                           "max_throughput_s", "breach_cases", "breach_share"]] \
        .reset_index(drop=True)


def _breaches(service: dict, cases: pd.DataFrame, case_keys: list, acts: _Activities,
              flowchart: Flowchart | None, segments: list[str], case_target,
              case_ids: pd.Series) -> pd.DataFrame:
    columns = segments + ["kind", "step", "target_s", "cases", "events", "breach_events",
                          "breach_cases", "breach_share", "total_excess_s", "worst_cases"]
    if flowchart is None:
        return pd.DataFrame(columns=columns)

    def table(g: _Grouped, over: np.ndarray, breach: np.ndarray) -> pd.DataFrame:
        out = g.frame()
        out["cases"], out["events"], out["breach_events"] = g.cases(), g.size, g.sum(breach)
        out["breach_cases"] = g.cases(breach)
        out["total_excess_s"] = g.sum(over)
        out["worst_cases"] = g.worst(over, breach, case_ids)
        return out

    rows = []
    targeted = [n for n in flowchart.steps if n.wait_target_s is not None]
    if targeted:
        sel = np.flatnonzero(~np.isnan(service["target_s"]))
        keys = [(name, codes[sel], labels)
                for name, codes, labels in service["groups"].keys[:len(segments)]]
        keys.append(("target_step", acts.step[service["tgt_act"][sel]],
                     np.array(acts.steps, dtype=object)))
        g = _Grouped(keys, service["groups"].case[sel])
        over = np.maximum(service["w"][sel] - service["target_s"][sel], 0.0)
        part = table(g, over, service["breach"][sel])
        if not segments:
            part = pd.DataFrame({"target_step": [n.id for n in targeted]}).merge(
                part, on="target_step", how="left")
        part["kind"] = "step"
        part["step"] = part["target_step"].map(flowchart.label_of)
        part["target_s"] = part["target_step"].map(
            {n.id: n.wait_target_s for n in targeted}).astype(float)
        rows.append(part)
    if case_target is not None:
        clock = cases["clock_s"].to_numpy(dtype=float)
        g = _Grouped(case_keys, np.arange(len(cases)))
        part = table(g, np.maximum(clock - case_target, 0.0),
                     cases["breach"].to_numpy(dtype=bool))
        part["kind"], part["step"], part["target_s"] = "case", None, float(case_target)
        rows.append(part)
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)
    for col in ("cases", "events", "breach_events", "breach_cases"):
        out[col] = out[col].fillna(0).astype("int64")
    out["total_excess_s"] = out["total_excess_s"].fillna(0.0).astype(float)
    out["breach_share"] = np.where(out["cases"] > 0, out["breach_cases"]
                                   / np.maximum(out["cases"], 1), np.nan)
    out["worst_cases"] = [w if isinstance(w, list) else [] for w in out["worst_cases"]]
    return out[columns].reset_index(drop=True)
