"""bottlenecks(): where cases wait, against the team's own time targets, and workload().

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
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .calendar import Calendar
from .errors import ConfigError, check_choice
from .flowchart.model import Flowchart, format_duration

__all__ = ["Bottlenecks", "bottlenecks", "Workload", "workload", "RANKING_COLUMNS"]

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LIFECYCLE, START = "lifecycle:transition", "start_timestamp"
#: Fields of each ranked bottleneck (also the entries of compare's JSON ``bottlenecks``).
RANKING_COLUMNS = ["source", "target", "cases", "events", "median_wait_s", "p90_wait_s",
                   "total_wait_s", "target_s", "breach_cases", "excess_wait_s", "wait_share"]
SEGMENTS = {"channel": "channel", "touchpoint": "channel", "request_type": "request_type",
            "team": "org:group", "org:group": "org:group", "priority": "priority",
            "resource": "org:resource", "org:resource": "org:resource"}
PERIODS = ("D", "W", "M")
CLOCKS = ("calendar", "working")
NO_START = "no start times: waiting and processing cannot be told apart"
MISSING = "(missing)"
_CAP_QUANTILE = 0.9


# --------------------------------------------------------------------------- preparation

def _i8(series) -> np.ndarray:
    return pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ns").asi8


def _instances(events: pd.DataFrame) -> tuple[pd.DataFrame, str, list[str]]:
    """Activity instances ordered per case; the timing mode; caveats."""
    n = len(events)
    pos = np.arange(n)
    caveats: list[str] = []
    lifecycle = events[LIFECYCLE].astype("string").str.casefold() \
        if LIFECYCLE in events.columns else None
    if lifecycle is not None and (lifecycle == "start").any():
        is_start = (lifecycle == "start").fillna(False).to_numpy()
        frame = pd.DataFrame({"case": events[CASE].to_numpy(), "act": events[ACTIVITY].to_numpy(),
                              "pos": pos})
        # Starts pair with completes of the same activity in the same case,
        # first with first (a FIFO queue per activity, as pm4py's to_interval).
        frame["k"] = frame.groupby([is_start, frame["case"], frame["act"]], sort=False).cumcount()
        both = frame[~is_start].merge(frame[is_start], on=["case", "act", "k"], how="outer",
                                      suffixes=("", "_start"))
        end_pos = both["pos"].to_numpy(dtype=float)
        start_pos = both["pos_start"].to_numpy(dtype=float)
        row = np.where(np.isnan(end_pos), start_pos, end_pos).astype(np.int64)
        times = _i8(events[TIME])
        end = np.where(np.isnan(end_pos), -1, times[np.nan_to_num(end_pos).astype(np.int64)])
        begin = np.where(np.isnan(start_pos), -1,
                         times[np.nan_to_num(start_pos).astype(np.int64)])
        paired = (begin >= 0) & (end >= 0)
        lone_starts, lone_ends = int(np.isnan(end_pos).sum()), int(np.isnan(start_pos).sum())
        begin, end = np.where(begin >= 0, begin, end), np.where(end >= 0, end, begin)
        first = np.fmin(end_pos, start_pos).astype(np.int64)
        mode = "lifecycle"
        if lone_starts or lone_ends:
            caveats.append(f"{lone_starts:,} start events without a complete and {lone_ends:,} "
                           "completes without a start: their processing time is unknown")
    elif START in events.columns and events[START].notna().any():
        row, first = pos, pos
        end = _i8(events[TIME])
        raw = pd.to_datetime(events[START], utc=True, errors="coerce")
        paired = raw.notna().to_numpy()
        begin = np.where(paired, _i8(raw.fillna(events[TIME])), end)
        mode = "start_timestamp"
        if (~paired).any():
            caveats.append(f"{int((~paired).sum()):,} events without a start time: their "
                           "processing time is unknown")
    else:
        row, first = pos, pos
        begin = end = _i8(events[TIME])
        paired = np.zeros(n, dtype=bool)
        mode = "none"
        caveats.append(NO_START)
    case_codes = pd.factorize(events[CASE], sort=False)[0][row]
    order = np.lexsort((first, end, begin, case_codes))
    row, begin, end, paired = row[order], begin[order], end[order], paired[order]
    inst = pd.DataFrame({
        "case_id": events[CASE].to_numpy()[row],
        "activity": events[ACTIVITY].to_numpy()[row],
        "start": pd.to_datetime(begin, utc=True),
        "end": pd.to_datetime(end, utc=True),
        "processing_s": np.where(paired, (end - begin) / 1e9, np.nan),
        "row": row,
        "code": case_codes[order],
    })
    if mode != "none" and (inst["processing_s"] < 0).any():
        caveats.append(f"{int((inst['processing_s'] < 0).sum()):,} instances complete before "
                       "they start: their processing time is left out")
        inst.loc[inst["processing_s"] < 0, "processing_s"] = np.nan
    return inst, mode, caveats


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


def _segment_column(events: pd.DataFrame, by: str | None) -> str | None:
    if by is None:
        return None
    column = SEGMENTS.get(by, by)
    if column not in events.columns:
        columns = ", ".join(repr(c) for c in events.columns)
        if by in SEGMENTS:
            raise ConfigError(f"bottlenecks(): by={by!r} needs column {column!r}, which the "
                              f"events lack (columns are {columns})", column=column)
        raise ConfigError(f"bottlenecks(): by must be one of "
                          f"{', '.join(repr(k) for k in SEGMENTS)} or a column of the events; "
                          f"got {by!r} (columns are {columns})", column=by)
    return column


def _segment_values(events: pd.DataFrame, inst: pd.DataFrame, column: str) -> np.ndarray:
    """Segment value per instance: the case's value for case attributes, else the event's."""
    values = pd.Series(events[column].astype("string").to_numpy(dtype=object, na_value=None)
                       [inst["row"]], dtype=object)
    per_case = values.groupby(inst["code"].to_numpy(), sort=False)
    if len(values) and per_case.nunique().max() <= 1:
        values = per_case.transform("first")
    return values.fillna(MISSING).to_numpy(dtype=object)


def _period_of(times: pd.Series, period: str, timezone: str) -> np.ndarray:
    local = pd.Series(pd.DatetimeIndex(times).tz_convert(timezone).tz_localize(None))
    return local.dt.to_period(period).dt.start_time.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)


def _default_min_cases(cases: int) -> int:
    return max(2, min(10, math.ceil(0.01 * cases)))


def _stats(frame: pd.DataFrame, keys: list[str], column: str, name: str,
           full: bool = True) -> pd.DataFrame:
    """events, cases and wait statistics of ``column`` per group, as ``*_{name}_s``."""
    g = frame.groupby(keys, sort=False, dropna=False)[column]
    out = pd.DataFrame({"events": g.size(), "cases": frame.groupby(keys, sort=False,
                                                                    dropna=False)["case_id"]
                        .nunique()}) if full else pd.DataFrame(index=g.size().index)
    if full:
        out[f"mean_{name}_s"] = g.mean()
    out[f"median_{name}_s"] = g.median()
    out[f"p90_{name}_s"] = g.quantile(0.9)
    if full:
        out[f"min_{name}_s"] = g.min()
        out[f"max_{name}_s"] = g.max()
    out[f"total_{name}_s"] = g.sum()
    return out


def _worst(frame: pd.DataFrame, keys: list[str], score: str, limit: int = 5) -> pd.Series:
    """Up to ``limit`` case ids per group, largest ``score`` first (each case once)."""
    if frame.empty:
        return pd.Series(dtype=object)
    top = frame.sort_values(score, ascending=False, kind="stable") \
        .drop_duplicates(keys + ["case_id"]).groupby(keys, sort=False, dropna=False).head(limit)
    return top.groupby(keys, sort=False, dropna=False)["case_id"].agg(list)


# --------------------------------------------------------------------------- result

class Bottlenecks:
    """The result of :func:`bottlenecks`: waits, targets and their breaches.

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
                     f"{format_duration(top['excess_wait_s'])})")
        return head + ">"

    def _summary(self) -> tuple[list[tuple[str, str]], list[list[str]], list[list[str]]]:
        o = self.options
        clock = "working hours" if o["targets_in"] == "working" else "calendar time"
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
                    format_duration(r["excess_wait_s"]), f"{r['wait_share']:.1%}"]
                   for r in self.ranking.head(10).to_dict("records")]
        breaches = [[" / ".join(str(r[k]) for k in seg) + (" / " if seg else "")
                     + (r["step"] if r["kind"] == "step" else "whole case"),
                     format_duration(r["target_s"]), f"{r['cases']:,}",
                     f"{r['breach_cases']:,}",
                     "-" if pd.isna(r["breach_share"]) else f"{r['breach_share']:.1%}",
                     ", ".join(map(str, r["worst_cases"][:3]))]
                    for r in self.breaches.head(15).to_dict("records")]
        return head, ranking, breaches

    def __str__(self) -> str:
        from .report.text import table

        head, ranking, breaches = self._summary()
        width = max(len(k) for k, _ in head)
        lines = ["Bottlenecks (where cases wait)", ""]
        lines += [f"{k:<{width}}  {v}" for k, v in head]
        lines += ["", f"Worst transitions ({len(self.ranking)} ranked by excess wait):"]
        if ranking:
            lines += table(["transition", "cases", "median", "p90", "target", "breaches",
                            "excess", "share"], ranking, right=(1, 2, 3, 4, 5, 6, 7))
        else:
            lines.append("  none with enough cases")
        if breaches:
            lines += ["", "Time targets:"]
            lines += table(["target", "limit", "cases", "breaches", "share", "worst cases"],
                           breaches, right=(1, 2, 3, 4))
        lines += [f"Note: {c}" for c in self.caveats]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, ranking, breaches = self._summary()
        e = html.escape

        def grid(header, rows):
            return ("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header)
                    + "</tr></thead><tbody>" + "".join(
                        "<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>"
                        for r in rows) + "</tbody></table>")

        parts = [f"<div><strong>{e(repr(self))}</strong>", grid(["", ""], head),
                 grid(["transition", "cases", "median", "p90", "target", "breaches", "excess",
                       "share"], ranking)]
        if breaches:
            parts.append(grid(["target", "limit", "cases", "breaches", "share", "worst cases"],
                              breaches))
        parts += [f"<p>Note: {e(c)}</p>" for c in self.caveats]
        return "".join(parts) + "</div>"

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
    wait among few is capped at the next one) and ``reference`` is the target
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
    column = _segment_column(events, by)
    tab = tables if tables is not None else build(events)
    n_cases = int(events[CASE].nunique())
    if len(tab.cases) != n_cases:
        raise ConfigError(f"bottlenecks(): tables have {len(tab.cases):,} cases but the log has "
                          f"{n_cases:,}; pass the tables built from this log")
    if min_cases is None:
        min_cases = _default_min_cases(n_cases)
    tz = calendar.timezone if calendar is not None else "UTC"

    inst, mode, caveats = _instances(events)
    names = list(pd.unique(inst["activity"]))
    to_step = flowchart.map_activities(names) if flowchart is not None else {a: None for a in names}
    shown = {a: (flowchart.label_of(s) if s is not None else a) for a, s in to_step.items()}
    inst["name"] = inst["activity"].map(shown)
    inst["step"] = inst["activity"].map(to_step)
    is_paused = _paused_matcher(clock_stopped)
    paused_acts = {a for a in names if is_paused(a) or is_paused(shown[a])}
    inst["paused"] = inst["activity"].isin(paused_acts).to_numpy()
    if clock_stopped is not None and not paused_acts:
        caveats.append(f"clock_stopped={clock_stopped!r} matches no activity of the log")

    segments = ([column] if column else []) + (["period"] if period else [])
    if column:
        inst[column] = _segment_values(events, inst, column)
    start_w = end_w = None
    if calendar is not None:
        start_w, end_w = calendar.elapsed(inst["start"]), calendar.elapsed(inst["end"])

    code = inst["code"].to_numpy()
    start_ns, end_ns = _i8(inst["start"]), _i8(inst["end"])
    paused = inst["paused"].to_numpy()

    # Categorical codes and DatetimeArray.take avoid building a Python object
    # per row: on 1M events that is seconds (pandas 3 strings, tz-aware times).
    coded = {c: pd.factorize(inst[c], sort=False) for c in ("case_id", "name", "step")}

    def take(column: str, idx: np.ndarray):
        codes, uniques = coded[column]
        return pd.Categorical.from_codes(codes[idx], categories=uniques)

    step_codes, step_uniques = coded["step"]
    step_names = np.asarray(step_uniques, dtype=object)

    def steps_at(idx: np.ndarray) -> np.ndarray:
        codes = step_codes[idx]
        return np.where(codes >= 0, step_names[np.maximum(codes, 0)] if len(step_names)
                        else None, None)

    def pairs(src: np.ndarray, tgt: np.ndarray, gap_from: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({
            "case_id": take("case_id", tgt),
            "source": take("name", src),
            "target": take("name", tgt),
            "wait_s": np.maximum(start_ns[gap_from] - end_ns[src], 0) / 1e9,
            "target_time": inst["start"].array.take(tgt),
            "designed": _designed(steps_at(src), steps_at(tgt), flowchart),
            "clock_stopped": paused[src],
            "target_step": steps_at(tgt),
        })
        if calendar is not None:
            frame["working_wait_s"] = np.maximum(start_w[gap_from] - end_w[src], 0.0)
        if column:
            frame[column] = inst[column].to_numpy()[tgt]
        if period:
            frame["period"] = _period_of(frame["target_time"], period, tz) if len(frame) \
                else np.array([], dtype=object)
        return frame

    nxt = np.flatnonzero(code[1:] == code[:-1])
    observed = pairs(nxt, nxt + 1, nxt + 1)
    kept = np.flatnonzero(~paused)
    link = code[kept[1:]] == code[kept[:-1]] if len(kept) else np.array([], dtype=bool)
    src = kept[:-1][link] if len(kept) else kept
    service = pairs(src, kept[1:][link] if len(kept) else kept, src + 1)

    clock = "working_wait_s" if targets_in == "working" else "wait_s"
    service["w"] = service[clock]
    wait_target = {n.id: n.wait_target_s for n in flowchart.steps} if flowchart else {}
    service["target_s"] = service["target_step"].map(wait_target).astype(float)
    service["breach"] = service["w"] > service["target_s"]

    # ---- reference and ranking
    pool = service.loc[service["designed"].astype(bool), "w"] if flowchart is not None else None
    if pool is None or pool.empty:
        pool = service["w"]
    reference = float(pool.quantile(reference_quantile)) if len(pool) else None
    keys = segments + ["source", "target"]
    if len(service):
        caps = service.groupby(keys, sort=False, dropna=False)["w"].quantile(
            _CAP_QUANTILE, interpolation="lower").rename("cap")
        service = service.merge(caps, left_on=keys, right_index=True, how="left")
        base = service["target_s"].fillna(reference if reference is not None else 0.0)
        service["excess"] = np.maximum(np.minimum(service["w"], service["cap"]) - base, 0.0)
    else:
        service = service.assign(cap=[], excess=[])
    stats = _stats(service, keys, "w", "wait", full=False)
    g = service.groupby(keys, sort=False, dropna=False)
    ranking = pd.DataFrame({"cases": g["case_id"].nunique(), "events": g.size()}).join(stats)
    ranking["target_s"] = g["target_s"].first()
    breached = service[service["breach"]].groupby(keys, sort=False, dropna=False)["case_id"] \
        .nunique()
    ranking["breach_cases"] = breached.reindex(ranking.index).fillna(0).astype("Int64")
    ranking.loc[ranking["target_s"].isna(), "breach_cases"] = pd.NA
    ranking["excess_wait_s"] = g["excess"].sum()
    grand = float(service["w"].sum())
    ranking["wait_share"] = ranking["total_wait_s"] / grand if grand > 0 else 0.0
    ranking["designed"] = g["designed"].first() if flowchart is not None else None
    ranking = ranking.reset_index()
    below = int((ranking["cases"] < min_cases).sum())
    ranking = ranking[ranking["cases"] >= min_cases]
    ranking = ranking.sort_values(["excess_wait_s", "total_wait_s", "source", "target"],
                                  ascending=[False, False, True, True], kind="stable")
    ranking = ranking[segments + RANKING_COLUMNS + ["designed"]].reset_index(drop=True)
    if below:
        caveats.append(f"{below} transitions taken by fewer than {min_cases} cases are left "
                       "out of the ranking (see .transitions)")
    if flowchart is None:
        caveats.append("no flowchart: no time targets; excess wait is counted above the "
                       f"normal wait ({format_duration(reference)})")

    # ---- observed transitions
    okeys = segments + ["source", "target"]
    transitions = _stats(observed, okeys, "wait_s", "wait")
    if calendar is not None:
        transitions = transitions.join(_stats(observed, okeys, "working_wait_s", "working_wait",
                                              full=False))
    og = observed.groupby(okeys, sort=False, dropna=False)
    transitions["designed"] = og["designed"].first() if flowchart is not None else None
    transitions["clock_stopped"] = og["clock_stopped"].first()
    transitions = transitions.reset_index().sort_values(
        segments + ["events", "source", "target"],
        ascending=[True] * len(segments) + [False, True, True], kind="stable") \
        .reset_index(drop=True)

    # ---- steps: processing time
    if period:
        inst["period"] = _period_of(inst["end"], period, tz) if len(inst) else []
    skeys = segments + ["name"]
    sg = inst.groupby(skeys, sort=False, dropna=False)
    steps = pd.DataFrame({"events": sg.size(), "cases": sg["case_id"].nunique(),
                          "timed": sg["processing_s"].count()})
    steps = steps.join(_stats(inst, skeys, "processing_s", "processing", full=False))
    steps["mean_processing_s"] = sg["processing_s"].mean()
    steps = steps.reset_index().rename(columns={"name": "step"})
    label_target = {flowchart.label_of(s): t for s, t in wait_target.items()}
    steps["wait_target_s"] = steps["step"].map(label_target).astype(float)
    steps = steps.sort_values(segments + ["events", "step"],
                              ascending=[True] * len(segments) + [False, True], kind="stable") \
        .reset_index(drop=True)

    # ---- time in clock-stopped statuses
    same_next = np.zeros(len(inst), dtype=bool)
    same_next[:-1] = code[1:] == code[:-1]
    follow = np.minimum(np.arange(len(inst)) + 1, max(len(inst) - 1, 0))
    paused_s = np.where(paused & same_next, (start_ns[follow] - start_ns) / 1e9, 0.0)
    inst["paused_s"] = paused_s
    if calendar is not None:
        inst["paused_w"] = np.where(paused & same_next, start_w[follow] - start_w, 0.0)
    inst["ends_case"] = paused & ~same_next

    # ---- cases: throughput on the targets' clock, paused time left out
    cg = inst.groupby("code", sort=True)
    cases = pd.DataFrame({"case_id": cg["case_id"].first(), "first": cg["start"].min(),
                          "last": cg["end"].max(), "paused_s": cg["paused_s"].sum()})
    cases["throughput_s"] = (cases["last"] - cases["first"]).dt.total_seconds()
    if calendar is not None:
        cases["working_throughput_s"] = np.maximum(
            calendar.elapsed(cases["last"]) - calendar.elapsed(cases["first"]), 0.0)
        cases["working_paused_s"] = cg["paused_w"].sum()
    if targets_in == "working":
        cases["clock_s"] = cases["working_throughput_s"] - cases["working_paused_s"]
    else:
        cases["clock_s"] = cases["throughput_s"] - cases["paused_s"]
    variant_of = tab.cases.set_index("case_id")["variant"]
    cases["variant"] = cases["case_id"].map(variant_of).astype("Int64")
    if column:
        cases[column] = cg[column].first()
    if period:
        cases["period"] = _period_of(cases["last"], period, tz) if len(cases) else []
    case_target = flowchart.case_target_s if flowchart is not None else None
    cases["breach"] = cases["clock_s"] > case_target if case_target is not None else False
    cases = cases.reset_index(drop=True)

    throughput = _throughput(cases, segments, tab, case_target)
    breaches = _breaches(service, cases, flowchart, segments, case_target)
    if flowchart is not None:
        never = breaches[(breaches["kind"] == "step") & (breaches["cases"] == 0)]["step"]
        for step in pd.unique(never):
            caveats.append(f"wait target of {step!r} cannot be checked: no case has an event "
                           "before it")
        if not wait_target or all(v is None for v in wait_target.values()):
            if case_target is None:
                caveats.append("the flowchart sets no time targets")

    pkeys = segments + ["name"]
    stopped = inst[paused]
    if len(stopped):
        pg = stopped.groupby(pkeys, sort=False, dropna=False)
        clock_table = pd.DataFrame({"events": pg.size(), "cases": pg["case_id"].nunique(),
                                    "median_paused_s": pg["paused_s"].median(),
                                    "total_paused_s": pg["paused_s"].sum()})
        if calendar is not None:
            clock_table["total_working_paused_s"] = pg["paused_w"].sum()
        total_time = float(cases["throughput_s"].sum())
        clock_table["case_time_share"] = clock_table["total_paused_s"] / total_time \
            if total_time > 0 else 0.0
        clock_table["ends_case"] = pg["ends_case"].sum().astype("int64")
        clock_table = clock_table.reset_index().rename(columns={"name": "status"}) \
            .sort_values("total_paused_s", ascending=False, kind="stable").reset_index(drop=True)
    else:
        clock_table = pd.DataFrame(columns=segments + ["status", "events", "cases",
                                                       "median_paused_s", "total_paused_s",
                                                       "case_time_share", "ends_case"])

    options = {"by": by, "period": period, "segments": segments, "min_cases": int(min_cases),
               "reference_quantile": float(reference_quantile), "targets_in": targets_in,
               "timing": mode, "clock_stopped": sorted(shown[a] for a in paused_acts),
               "calendar": calendar.to_dict() if calendar is not None else None,
               "case_target_s": case_target,
               "flowchart": flowchart.name if flowchart is not None else None}
    case_columns = ["case_id", "variant", "throughput_s", "paused_s", "clock_s"] \
        + (["working_throughput_s"] if calendar is not None else []) + segments
    return Bottlenecks(ranking=ranking, transitions=transitions, steps=steps,
                       throughput=throughput, breaches=breaches, clock_stopped=clock_table,
                       cases=cases[case_columns], caveats=caveats, reference_s=reference,
                       options=options)


def _designed(src_steps: np.ndarray, tgt_steps: np.ndarray, flowchart) -> np.ndarray:
    if flowchart is None:
        return np.zeros(len(src_steps), dtype=bool)
    allowed = flowchart.allowed_transitions()
    if not len(src_steps):
        return np.zeros(0, dtype=bool)
    pairs = pd.MultiIndex.from_arrays([pd.Series(src_steps, dtype=object).fillna(""),
                                       pd.Series(tgt_steps, dtype=object).fillna("")])
    known = pd.MultiIndex.from_tuples(sorted(allowed)) if allowed else pd.MultiIndex.from_arrays(
        [[], []])
    return pairs.isin(known) & pd.notna(src_steps) & pd.notna(tgt_steps)


def _throughput(cases: pd.DataFrame, segments: list[str], tab, case_target) -> pd.DataFrame:
    frames = []
    for keys in (segments, segments + ["variant"]):
        if keys:
            g = cases.groupby(keys, sort=False, dropna=False)
        else:
            g = cases.assign(_all=0).groupby("_all")
        part = pd.DataFrame({"cases": g.size(), "median_throughput_s": g["clock_s"].median(),
                             "p90_throughput_s": g["clock_s"].quantile(0.9),
                             "mean_throughput_s": g["clock_s"].mean(),
                             "min_throughput_s": g["clock_s"].min(),
                             "max_throughput_s": g["clock_s"].max(),
                             "breach_cases": g["breach"].sum().astype("int64")})
        part = part.reset_index().drop(columns=["_all"], errors="ignore")
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out["variant"] = out["variant"].astype("Int64")
    totals = cases.groupby(segments, sort=False, dropna=False).size() if segments else None
    denominator = out[segments].merge(totals.rename("n").reset_index(), on=segments,
                                      how="left")["n"].to_numpy() if segments \
        else np.full(len(out), len(cases))
    out["case_share"] = out["cases"] / np.maximum(denominator, 1)
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


def _breaches(service, cases, flowchart, segments, case_target) -> pd.DataFrame:
    columns = segments + ["kind", "step", "target_s", "cases", "events", "breach_events",
                          "breach_cases", "breach_share", "total_excess_s", "worst_cases"]
    if flowchart is None:
        return pd.DataFrame(columns=columns)
    rows = []
    targeted = [n for n in flowchart.steps if n.wait_target_s is not None]
    if targeted:
        ids = [n.id for n in targeted]
        waits = service[service["target_step"].isin(ids)].copy()
        waits["over"] = np.maximum(waits["w"] - waits["target_s"], 0.0)
        keys = segments + ["target_step"]
        g = waits.groupby(keys, sort=False, dropna=False)
        table = pd.DataFrame({"cases": g["case_id"].nunique(), "events": g.size(),
                              "breach_events": g["breach"].sum()})
        bad = waits[waits["breach"]]
        table["breach_cases"] = bad.groupby(keys, sort=False, dropna=False)["case_id"] \
            .nunique().reindex(table.index).fillna(0)
        table["total_excess_s"] = g["over"].sum()
        table["worst_cases"] = _worst(bad, keys, "over").reindex(table.index)
        table = table.reset_index()
        if not segments:
            table = pd.DataFrame({"target_step": ids}).merge(table, on="target_step", how="left")
        table["kind"] = "step"
        table["step"] = table["target_step"].map(flowchart.label_of)
        table["target_s"] = table["target_step"].map(
            {n.id: n.wait_target_s for n in targeted}).astype(float)
        rows.append(table)
    if case_target is not None:
        keys = segments or ["_all"]
        frame = cases.assign(_all=0, over=np.maximum(cases["clock_s"] - case_target, 0.0))
        g = frame.groupby(keys, sort=False, dropna=False)
        table = pd.DataFrame({"cases": g.size(), "events": g.size(),
                              "breach_events": g["breach"].sum(),
                              "breach_cases": g["breach"].sum(),
                              "total_excess_s": g["over"].sum()})
        table["worst_cases"] = _worst(frame[frame["breach"]], keys, "over").reindex(table.index)
        table = table.reset_index().drop(columns=["_all"], errors="ignore")
        table["kind"], table["step"], table["target_s"] = "case", None, float(case_target)
        rows.append(table)
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


# --------------------------------------------------------------------------- workload

@dataclass(frozen=True, repr=False)
class Workload:
    """The result of :func:`workload`: how much work arrives, and when.

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
        A segment (``"team"``, ``"channel"``, ... as in :func:`bottlenecks`).
    timezone : str, default="UTC"
        Local time zone for days, hours and weekdays.

    Returns
    -------
    Workload

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
    column = _segment_column(events, by)
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
