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
tables, so ``compare()`` can afford it on a million events: instances and
grouping live in :mod:`cs_mining._codes`, waits and the ranking in
:mod:`cs_mining._waits`, the per-step, per-case and target tables in
:mod:`cs_mining._targets`.
:func:`~cs_mining.workload.workload` lives in :mod:`cs_mining.workload` and
is re-exported here.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd

from ._codes import NO_START, _instances, _Segments
from ._targets import (_breaches, _cases, _clock_table, _paused_time, _steps,
                       _target_caveats, _throughput)
from ._waits import RANKING_COLUMNS, _activities, _ranking, _reference, _transitions, _waits
from .calendar import Calendar
from .errors import ConfigError, check_choice
from .flowchart.model import Flowchart, format_duration
from .flowchart.model import format_total as _format_total
from .flowchart.model import format_duration as _format_duration
from .workload import SEGMENTS, Workload, _segment_column, workload

__all__ = ["Bottlenecks", "bottlenecks", "Workload", "workload", "RANKING_COLUMNS", "SEGMENTS",
           "NO_START"]

PERIODS = ("D", "W", "M")
CLOCKS = ("calendar", "working")
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
        then ``designed`` and ``worst_cases`` (up to five case ids, the longest
        wait first).  Waits are on the targets' clock, paused statuses
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
                ("Usual wait", format_duration(self.reference_s)
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
    ranking, below = _ranking(service, reference, min_cases, segments, flowchart is not None,
                              inst.case_ids)
    if below:
        caveats.append(f"{below:,} transition{'s' * (below != 1)} taken by fewer than {min_cases} "
                       f"cases {'are' if below != 1 else 'is'} left out of the ranking (all "
                       "transitions: Bottlenecks.transitions, or the bottlenecks command's "
                       "--format json)")
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
    caveats += _target_caveats(breaches, flowchart, service, acts)
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
