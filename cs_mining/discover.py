"""The actual flow: directly-follows graph with counts and waits, variants.

All of it is read off the two intermediate tables (:mod:`cs_mining.engines`),
so counts equal ``pm4py.discover_dfg`` on the same ordered log.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from .engines import Tables, build_tables
from .flowchart.model import format_duration

__all__ = ["Flow", "discover", "tables"]


def tables(log) -> Tables:
    """Return the cases, variants and transitions tables of a log.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
        A loaded log, or a frame in pm4py's column conventions.

    Returns
    -------
    Tables

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> tables(log_from_text("T1: open, close\\nT2: open, close"))
    <Tables: 2 cases, 1 variants, 2 transitions>
    """
    from .load import as_events

    return build_tables(as_events(log))


def _arrows(transitions: pd.DataFrame) -> pd.DataFrame:
    if transitions.empty:
        return pd.DataFrame(columns=["source", "target", "events", "cases", "median_wait_s",
                                     "mean_wait_s", "p90_wait_s", "max_wait_s", "total_wait_s"])
    g = transitions.groupby(["source", "target"], sort=False, observed=True)
    arrows = g["wait_s"].agg(events="size", median_wait_s="median", mean_wait_s="mean",
                             max_wait_s="max", total_wait_s="sum")
    arrows.insert(3, "p90_wait_s", g["wait_s"].quantile(0.9))
    arrows.insert(1, "cases", g["case_id"].nunique())
    arrows = arrows.reset_index().sort_values(["events", "source", "target"],
                                              ascending=[False, True, True], kind="stable")
    return arrows.reset_index(drop=True)


@dataclass(frozen=True, repr=False)
class Flow:
    """The directly-follows graph and variants of a log.

    Attributes
    ----------
    transitions : pandas.DataFrame
        One row per observed arrow ``source -> target``: ``events``, ``cases``
        (distinct), ``median_wait_s``, ``mean_wait_s``, ``p90_wait_s``,
        ``max_wait_s``, ``total_wait_s``; most frequent first.
    variants : pandas.DataFrame
        See :class:`cs_mining.engines.Tables`.
    start_activities, end_activities : pandas.Series
        Cases per first and last activity, most frequent first.
    graph : networkx.DiGraph
        Activities as nodes (attribute ``events``), arrows as edges with the
        columns of ``transitions`` as attributes.
    tables : Tables
        The intermediate tables everything above was computed from.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> flow = discover(log_from_text("T1: open, close\\nT2: open, triage, close"))
    >>> flow.start_activities.to_dict(), flow.end_activities.to_dict()
    ({'open': 2}, {'close': 2})
    >>> sorted(flow.graph.successors("open"))
    ['close', 'triage']
    """

    transitions: pd.DataFrame
    variants: pd.DataFrame
    start_activities: pd.Series
    end_activities: pd.Series
    graph: nx.DiGraph
    tables: Tables

    @property
    def cases(self) -> int:
        return len(self.tables.cases)

    def __repr__(self) -> str:
        return (f"<Flow: {self.cases:,} cases, {self.graph.number_of_nodes()} activities, "
                f"{len(self.transitions)} arrows, {len(self.variants):,} variants>")

    def __str__(self) -> str:
        lines = [repr(self)[1:-1], "", "Most frequent arrows:"]
        top = self.transitions.head(10)
        width = max([len(f"{s} -> {t}") for s, t in zip(top.source, top.target)] + [5])
        for row in top.itertuples():
            arrow = f"{row.source} -> {row.target}"
            lines.append(f"  {arrow:<{width}}  {row.events:>9,} events  "
                         f"median wait {format_duration(row.median_wait_s)}")
        lines.append("")
        lines.append("Most frequent variants:")
        for row in self.variants.head(5).itertuples():
            lines.append(f"  {row.cases:>9,} cases ({row.case_share:6.1%})  "
                         + " -> ".join(row.activities))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<p>{html.escape(repr(self))}</p>"
                + self.transitions.head(20).to_html(index=False)
                + self.variants.head(10).to_html(index=False))

    def to_dict(self) -> dict:
        from .report.json import flow_to_dict

        return flow_to_dict(self)


def discover(log) -> Flow:
    """Return the actual flow of a log: directly-follows graph and variants.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
        A loaded log, or a frame in pm4py's column conventions.

    Returns
    -------
    Flow

    See Also
    --------
    pm4py.discover_dfg : the same counts, as dictionaries.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> flow = discover(log_from_text('''
    ...     T1: open 09:00, triage 09:05, close 10:00
    ...     T2: open 09:00, close 09:30
    ... '''))
    >>> flow
    <Flow: 2 cases, 3 activities, 3 arrows, 2 variants>
    >>> flow.transitions[["source", "target", "events", "median_wait_s"]]
       source  target  events  median_wait_s
    0    open   close       1         1800.0
    1    open  triage       1          300.0
    2  triage   close       1         3300.0
    >>> flow.graph["open"]["triage"]["events"]
    1
    """
    tab = log if isinstance(log, Tables) else tables(log)
    arrows = _arrows(tab.transitions)
    weights = tab.variants["cases"]
    first = pd.Series([a[0] for a in tab.variants["activities"]], dtype=object)
    last = pd.Series([a[-1] for a in tab.variants["activities"]], dtype=object)
    start = weights.groupby(first, sort=False).sum().sort_values(ascending=False, kind="stable")
    end = weights.groupby(last, sort=False).sum().sort_values(ascending=False, kind="stable")
    start.index.name = end.index.name = "activity"
    start.name = end.name = "cases"

    graph = nx.DiGraph()
    counts = pd.Series(0, dtype="int64")
    if not tab.variants.empty:
        exploded = tab.variants[["activities", "cases"]].explode("activities")
        counts = exploded.groupby("activities", sort=False)["cases"].sum()
    for activity, n in counts.items():
        graph.add_node(activity, events=int(n))
    for row in arrows.to_dict("records"):
        graph.add_edge(row.pop("source"), row.pop("target"), **row)
    return Flow(transitions=arrows, variants=tab.variants, start_activities=start,
                end_activities=end, graph=graph, tables=tab)
