"""compare(): deviations and conformance of the real flow against the flowchart.

Everything is computed once per variant and weighted by its case count; only
the split of ``wrong_end`` into ``incomplete_case`` and the time costs look
at individual cases.

How a variant is judged (activities are first mapped to steps through the
flowchart; names no step claims are ``unknown_activity`` and are then left
out, so that an unknown activity inside a gap does not hide a skip):

* the first step must be a designed first step, else ``wrong_start``; the
  last a designed last step, else ``wrong_end`` (``incomplete_case`` when the
  case's last event is after ``open_after``);
* each pair of consecutive steps ``a -> b`` that the flowchart does not allow
  is ``rework`` when ``b`` was already done in the case (or ``b == a``),
  else ``skipped_step`` for each step on the shortest designed path from
  ``a`` to ``b`` not yet done in the case, else ``unexpected_transition``;
* a variant that breaks none of those rules but still does not fit the
  flowchart's Petri net (a branch of a parallel block left out) is aligned
  with pm4py, and the alignment's moves on the model are ``skipped_step``;
* designed arrows between steps that no case takes are ``unused_path``.

A case conforms when the flowchart allows its whole trace: pm4py's token
replay fits it, and it has no unknown activity (pm4py's replay ignores
activities missing from the net, pm4py-core #435) or its only deviations are
accepted ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._deviations import (DEVIATION_COLUMNS, _align_variants, _case_deviations,
                          _deviation_table, _judge_variants, _rank, _unused_paths,
                          _variant_deviations)
from ._replay import _replay
from .discover import Flow, discover
from .engines import Tables, build_tables
from .errors import ConfigError
from .flowchart.model import DEVIATION_KINDS, Flowchart

__all__ = ["Comparison", "compare"]


class Comparison:
    """The result of :func:`compare`: the actual flow judged against the flowchart.

    Attributes
    ----------
    flowchart : Flowchart
    flow : Flow
        The discovered directly-follows graph and variants.
    deviations : pandas.DataFrame
        One row per deviation, ranked by ``impact_s`` (cases x time cost):
        ``kind``, ``source``, ``target``, ``activity`` (step labels or log
        names; None where not applicable), ``cases``, ``case_share``,
        ``events``, ``example_cases``, ``time_cost_s``, ``impact_s``,
        ``accepted`` (False here).
    accepted_deviations : pandas.DataFrame
        Deviations the flowchart lists as accepted; same columns.
    conformance : dict
        ``fitness`` (pm4py token-based replay log fitness),
        ``average_trace_fitness``, ``fit_case_share`` (pm4py's share of fitting
        traces), ``conforming_case_share`` (cases whose whole trace the
        flowchart allows; unknown activities count against it, accepted
        deviations do not), ``conforming_cases``, ``cases``.
    variants : pandas.DataFrame
        Per-variant judgement: ``variant``, ``cases``, ``activities``,
        ``trace_fitness``, ``fits``, ``conforming``, ``deviations``.
    log_summary : dict
        Events, cases, activities, rejected rows and the source of the log.
    """

    def __init__(self, *, flowchart, flow, deviations, accepted_deviations, conformance,
                 variants, case_deviations, log_summary, options, events=None, notes=(),
                 bottleneck_result=None, bottleneck_table=None):
        self.events = events
        self.bottleneck_result = bottleneck_result
        self.bottleneck_table = bottleneck_table or []
        self.notes = list(notes) + list(getattr(bottleneck_result, "caveats", []))
        self.flowchart = flowchart
        self.flow = flow
        self.deviations = deviations
        self.accepted_deviations = accepted_deviations
        self.conformance = conformance
        self.variants = variants
        self.case_deviations = case_deviations
        self.log_summary = log_summary
        self.options = options

    def bottlenecks(self, *, by: str | None = None, period: str | None = None,
                    **options) -> pd.DataFrame:
        """Where cases wait, worst first, optionally split by a segment or period.

        Parameters
        ----------
        by : str, optional
            ``"channel"``, ``"request_type"``, ``"team"``, ``"priority"``,
            ``"resource"`` or any event column.
        period : {"D", "W", "M"}, optional
            Split by the day, week or month the wait ended in.
        **options
            Passed to :func:`cs_mining.bottlenecks.bottlenecks` (``min_cases``,
            ``clock_stopped``, ``calendar``, ...).

        Returns
        -------
        pandas.DataFrame
            The ranking: ``source``, ``target``, ``cases``, ``median_wait_s``,
            ``p90_wait_s``, ``total_wait_s``, ``target_s``, ``breach_cases``,
            ``excess_wait_s``, ``wait_share`` (segment columns first).

        Examples
        --------
        >>> from cs_mining.testing import log_from_text
        >>> from cs_mining.flowchart import FlowchartBuilder
        >>> chart = (FlowchartBuilder("T").start("s").step("a", "A").step("b", "B")
        ...          .end("e").chain("s", "a", "b", "e").build())
        >>> log = log_from_text("T1: A 09:00, B 10:00\\nT2: A 09:00, B 09:30")
        >>> compare(log, chart).bottlenecks(min_cases=1)[["source", "target", "median_wait_s"]]
          source target  median_wait_s
        0      A      B         2700.0
        """
        from .bottlenecks import bottlenecks

        if by is None and period is None and not options:
            return self.bottleneck_result.ranking
        return bottlenecks(self.events, self.flowchart, by=by, period=period,
                           tables=self.flow.tables, **options).ranking

    def cases(self, *, kind: str | None = None, activity: str | None = None,
              source: str | None = None, target: str | None = None) -> list:
        """Return the ids of the cases behind a deviation (all given fields must match).

        Examples
        --------
        >>> from cs_mining.testing import log_from_text
        >>> from cs_mining.flowchart import FlowchartBuilder
        >>> chart = (FlowchartBuilder("Tickets").start("s").step("open", "Open")
        ...          .step("solve", "Solve").step("close", "Close").end("e")
        ...          .chain("s", "open", "solve", "close", "e").build())
        >>> result = compare(log_from_text("T1: Open, Solve, Close\\nT2: Open, Close"), chart)
        >>> result.cases(kind="skipped_step", activity="Solve")
        ['T2']
        """
        if kind is not None and kind not in DEVIATION_KINDS:
            raise ConfigError(f"cases(): kind must be one of "
                              f"{', '.join(repr(k) for k in DEVIATION_KINDS)}; got {kind!r}")
        known = {s.label for s in self.flowchart.steps} | set(self.flow.graph.nodes)
        for column, value in (("activity", activity), ("source", source), ("target", target)):
            if value is not None and value not in known:
                import difflib

                close = difflib.get_close_matches(value, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"cases(): {column} {value!r} is neither a step of the "
                                  f"flowchart nor an activity of the log{hint}")
        rows = self.case_deviations
        for column, value in (("kind", kind), ("activity", activity), ("source", source),
                              ("target", target)):
            if value is not None:
                rows = rows[rows[column] == value]
        return list(pd.unique(rows["case_id"]))

    def step_reach(self) -> pd.DataFrame:
        """How many cases reached each step of the flowchart, and how many never did.

        One row per step, in the flowchart's order: ``step`` (label),
        ``cases`` (reached it at least once), ``case_share``, ``never``
        (cases that did not reach it: on another branch, skipped, or ended
        before it) and ``repeated`` (cases that did it more than once).

        Examples
        --------
        >>> from cs_mining.testing import log_from_text
        >>> from cs_mining.flowchart import FlowchartBuilder
        >>> chart = (FlowchartBuilder("Tickets").start("s").step("open", "Open")
        ...          .step("solve", "Solve").step("close", "Close").end("e")
        ...          .chain("s", "open", "solve", "close", "e").build())
        >>> log = log_from_text("T1: Open, Solve, Close\\nT2: Open, Close\\nT3: Open, Solve, Solve")
        >>> compare(log, chart).step_reach()
            step  cases  case_share  never  repeated
        0   Open      3    1.000000      0         0
        1  Solve      2    0.666667      1         1
        2  Close      2    0.666667      1         0
        """
        variants = self.variants[["variant", "cases", "activities"]].explode("activities")
        to_step = self.flowchart.map_activities(list(pd.unique(variants["activities"].dropna())))
        variants["step"] = variants["activities"].map(to_step)
        times = variants.dropna(subset="step").groupby(["variant", "step"], sort=False) \
            .agg(cases=("cases", "first"), times=("cases", "size")).reset_index()
        reached = times.groupby("step")["cases"].sum()
        repeated = times[times["times"] > 1].groupby("step")["cases"].sum()
        total = int(self.variants["cases"].sum())
        steps = [s.id for s in self.flowchart.steps]
        cases = reached.reindex(steps, fill_value=0).astype(int).to_numpy()
        return pd.DataFrame({
            "step": [self.flowchart.label_of(s) for s in steps],
            "cases": cases,
            "case_share": cases / max(total, 1),
            "never": total - cases,
            "repeated": repeated.reindex(steps, fill_value=0).astype(int).to_numpy(),
        })

    def case_table(self) -> pd.DataFrame:
        """One row per case: ``case_id``, ``variant``, ``conforming``, ``deviations`` (text)."""
        cases = self.flow.tables.cases[["case_id", "variant"]].copy()
        judged = self.variants.set_index("variant")["conforming"]
        cases["conforming"] = cases["variant"].map(judged).astype(bool)
        text = self.case_deviations.assign(
            what=lambda d: d["kind"] + ":" + d["activity"].fillna(
                d["source"].fillna("") + "->" + d["target"].fillna(""))
            + np.where(d["accepted"].astype(bool), " (accepted)", ""))
        per_case = text.groupby("case_id", sort=False)["what"].agg("; ".join)
        cases["deviations"] = cases["case_id"].map(per_case).fillna("")
        return cases

    def plot_deviations(self, ax=None, *, top: int = 10):
        """Bar chart of the top deviations by cases; see :func:`cs_mining.plots.plot_deviations`.

        Examples
        --------
        >>> from cs_mining.testing import log_from_text
        >>> from cs_mining.flowchart import FlowchartBuilder
        >>> chart = (FlowchartBuilder("T").start("s").step("a", "A").step("b", "B")
        ...          .end("e").chain("s", "a", "b", "e").build())
        >>> ax = compare(log_from_text("T1: A, B\\nT2: B"), chart).plot_deviations()
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['wrong_start: B']
        >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
        """
        from .plots import plot_deviations

        return plot_deviations(self.deviations, ax=ax, top=top)

    def plot_flowchart(self, ax=None):
        """The flowchart with steps shaded by how many cases deviate there.

        See :func:`cs_mining.plots.plot_flowchart_deviations`.
        """
        from .plots import plot_flowchart_deviations

        return plot_flowchart_deviations(self, ax=ax)

    def __repr__(self) -> str:
        c = self.conformance
        return (f"<Comparison {self.flowchart.name!r}: {c['cases']:,} cases, fitness "
                f"{c['fitness']:.3f}, {c['conforming_case_share']:.1%} conforming, "
                f"{len(self.deviations)} deviations>")

    def __str__(self) -> str:
        from .report.text import render_comparison

        return render_comparison(self)

    def _repr_html_(self) -> str:
        from .report.html import comparison_html

        return comparison_html(self, full_page=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-native dictionary following ``docs/compare.schema.json``."""
        from .report.json import comparison_to_dict

        return comparison_to_dict(self)

    def to_json(self, **kwargs) -> str:
        """The JSON document (docs/json-output.md); keyword arguments as for ``json.dumps``."""
        from .report.json import dumps

        return dumps(self.to_dict(), **kwargs)

    def to_markdown(self) -> str:
        from .report.markdown import render_comparison_markdown

        return render_comparison_markdown(self)

    def to_html(self) -> str:
        from .report.html import comparison_html

        return comparison_html(self, full_page=True)


def _quote_some(names, limit: int = 6) -> str:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _fitness_note(conformance: dict, to_step: dict) -> list[str]:
    """Why fitness can read far above the conforming share, said where it does."""
    fitness, share = conformance["fitness"], conformance["conforming_case_share"]
    if fitness is None or fitness - share < 0.1:
        return []
    unknown = sum(step is None for step in to_step.values())
    why = (f"passes over the {unknown} {'activity' if unknown == 1 else 'activities'} no "
           "step claims and " if unknown else "")
    return [f"fitness {fitness:.3f} reads higher than the {share:.1%} of cases that conform: "
            f"token replay {why}counts the tokens a case misses, while a case conforms only "
            "when its whole trace is a run of the flowchart"]


def _rejected_notes(log) -> list[str]:
    """Rows the loader set aside (duplicates apart), which a reader must not forget."""
    report = getattr(log, "report", None)
    if report is None or not len(report.rejected):
        return []
    n = int((report.rejected["reason"] != "duplicate").sum())
    if not n:
        return []
    return [f"{n:,} of {report.rows_read:,} rows ({n / report.rows_read:.1%}) of the log were "
            "rejected when loading and are not in these numbers (--rejected-out FILE lists "
            "them with their reasons)"]


def _mapping_notes(flowchart: Flowchart, flow: Flow, to_step: dict, n_events: int) -> list[str]:
    """Caveats about how well the log's activity names meet the flowchart's steps."""
    import warnings

    from .errors import CsMiningWarning

    notes = []
    events = {a: flow.graph.nodes[a]["events"] for a in to_step}
    matched = sum(n for a, n in events.items() if to_step[a] is not None)
    if n_events and matched / n_events < 0.5:
        text = (f"only {matched / n_events:.0%} of events match a step of flowchart "
                f"{flowchart.name!r}: check the activity names or --activity-column; the log's "
                f"activities are {_quote_some(events)}; the steps are "
                f"{_quote_some(s.label for s in flowchart.steps)}")
        warnings.warn(text, CsMiningWarning, stacklevel=3)
        notes.append(text)
    unmatched = {s.label for s in flowchart.steps} - {flowchart.label_of(v)
                                                       for v in to_step.values() if v}
    if unmatched:
        one = len(unmatched) == 1
        notes.append(f"{len(unmatched)} {'step' if one else 'steps'} of the flowchart "
                     f"match{'es' if one else ''} no activity of the log: "
                     f"{_quote_some(unmatched)}")
    return notes


def _instant(name: str, value) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise ConfigError(f"compare(): {name} must be a date or time such as '2024-03-31' or "
                          f"'2024-03-31T18:00+02:00'; got {value!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _log_summary(log, events: pd.DataFrame, tab: Tables) -> dict:
    report = getattr(log, "report", None)
    times = events["time:timestamp"]
    return {
        "source": getattr(report, "source", None),
        "events": int(len(events)),
        "cases": int(len(tab.cases)),
        "activities": int(events["concept:name"].nunique()),
        "variants": int(len(tab.variants)),
        "rejected_rows": int(getattr(report, "rows_rejected", 0) or 0),
        "first_event": times.min().isoformat() if len(times) else None,
        "last_event": times.max().isoformat() if len(times) else None,
    }


def _conformance(replayed, weights: np.ndarray, fits: np.ndarray, case_conforming: np.ndarray,
                 aligned: dict, wanted: set) -> dict:
    """Fitness by pm4py's own formula over variant replays, weighted by cases."""
    w = weights
    m = sum(r["missing_tokens"] * k for r, k in zip(replayed, w))
    c = sum(r["consumed_tokens"] * k for r, k in zip(replayed, w))
    rem = sum(r["remaining_tokens"] * k for r, k in zip(replayed, w))
    p = sum(r["produced_tokens"] * k for r, k in zip(replayed, w))
    total = float(w.sum())
    n_cases = len(case_conforming)
    conformance = {
        "fitness": float(0.5 * (1 - m / c) + 0.5 * (1 - rem / p)) if c > 0 and p > 0 else 0.0,
        "average_trace_fitness": float(sum(r["trace_fitness"] * k for r, k in zip(replayed, w))
                                       / total) if total else 0.0,
        "fit_case_share": float(w[fits].sum() / total) if total else 0.0,
        "conforming_case_share": float(case_conforming.sum() / n_cases) if n_cases else 0.0,
        "conforming_cases": int(case_conforming.sum()),
        "cases": int(n_cases),
        "method": "token-based replay (pm4py), one replay per distinct trace",
        "alignment_fitness": None,
    }
    done = sorted(i for i in aligned if i in wanted)
    if done:
        aw = w[done]
        conformance["alignment_fitness"] = float(
            sum(aligned[i]["fitness"] * k for i, k in zip(done, aw)) / aw.sum())
        conformance["aligned_variants"] = len(done)
        conformance["aligned_case_share"] = float(aw.sum() / total) if total else 0.0
    return conformance


def _variant_table(tab: Tables, replayed, fits, conforming_v, vdev: pd.DataFrame,
                   aligned: dict | None) -> pd.DataFrame:
    text = vdev.assign(what=lambda d: d["kind"] + ":" + d["activity"].fillna(
        d["source"].fillna("") + "->" + d["target"].fillna(""))).groupby("variant")["what"] \
        .agg(list) if len(vdev) else pd.Series(dtype=object)
    variants = pd.DataFrame({
        "variant": tab.variants["variant"],
        "cases": tab.variants["cases"],
        "activities": tab.variants["activities"],
        "trace_fitness": [float(r["trace_fitness"]) for r in replayed],
        "fits": fits,
        "conforming": conforming_v,
        "deviations": [text.get(v, []) for v in tab.variants["variant"]],
    })
    if aligned is not None:
        variants["alignment_fitness"] = [aligned[i]["fitness"] if i in aligned else None
                                         for i in range(len(variants))]
    return variants


def compare(log, flowchart: Flowchart, *, open_after=None, open_cases: bool = False,
            alignments: bool = False, max_variants: int = 1000,
            clock_stopped=None, calendar=None, min_cases: int | None = None,
            targets_in: str = "calendar", progress: bool | None = None) -> Comparison:
    """Compare a log with the flowchart: deviations, conformance, the actual flow.

    Parameters
    ----------
    log : LoadedLog or pandas.DataFrame
        The event log (see :func:`cs_mining.load_log`).
    flowchart : Flowchart
        The intended process (see :func:`cs_mining.read_flowchart`).
    open_after : str or pandas.Timestamp, optional
        Cases whose last event is at or after this instant are still open:
        ending early makes them ``incomplete_case``, not ``wrong_end``.
    open_cases : bool, default=False
        Take ``open_after`` as the last event of the log minus the 90th
        percentile of conforming cases' throughput time: a case that stopped
        more recently than that may still be running.
    alignments : bool, default=False
        Also align every variant (up to ``max_variants``, most frequent first)
        with pm4py and add alignment fitness per variant. Slow on large logs.
    max_variants : int, default=1000
        Cap on aligned variants.
    clock_stopped : list of str or str, optional
        Activities that pause the service clock (names, step labels, or a
        regular expression): their time is not counted against targets.
    calendar : Calendar, optional
        Working hours; waits are then also measured in working time.
    min_cases : int, optional
        Minimum cases for a transition to be ranked as a bottleneck.
    targets_in : {"calendar", "working"}, default="calendar"
        The clock the flowchart's time targets are read in.
    progress : bool, optional
        Show a progress bar while aligning (default: when stderr is a terminal).

    Returns
    -------
    Comparison

    Notes
    -----
    ``time_cost_s`` is the median throughput time of the cases affected by a
    deviation minus that of the conforming cases (None when no case
    conforms); ``impact_s`` is ``cases x time_cost_s`` and ranks deviations.

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("Tickets").start("s").step("open", "Open")
    ...          .step("solve", "Solve").step("close", "Close").end("e")
    ...          .chain("s", "open", "solve", "close", "e").build())
    >>> log = log_from_text('''
    ...     T1: Open 09:00, Solve 10:00, Close 11:00
    ...     T2: Open 09:00, Close 09:10
    ...     T3: Open 09:00, Solve 09:30, Solve 12:00, Close 13:00
    ... ''')
    >>> result = compare(log, chart)
    >>> result.deviations[["kind", "source", "target", "activity", "cases"]]
               kind source target activity  cases
    0        rework  Solve  Solve    Solve      1
    1  skipped_step   Open  Close    Solve      1
    >>> round(result.conformance["conforming_case_share"], 3)
    0.333
    """
    from .load import as_events

    if open_after is not None:
        _instant("open_after", open_after)
    problems = flowchart.check()
    if problems:
        from .errors import FlowchartError

        raise FlowchartError.from_problems(problems)
    events = as_events(log)
    tab = build_tables(events)
    names = list(pd.unique(events["concept:name"]))
    to_step = flowchart.map_activities(names)
    # pm4py sees each mapped activity under its step's label, and unknown ones as they are.
    label = {a: a if s is None else flowchart.label_of(s) for a, s in to_step.items()}
    petri = flowchart.to_petri_net()
    replaying = _replay([tuple(label[a] for a in v) for v in tab.variants["activities"]], petri)
    try:
        flow = discover(tab)
        notes = _rejected_notes(log) + _mapping_notes(flowchart, flow, to_step, len(events))
        judgements = _judge_variants(tab.variants["activities"], flowchart, to_step)
        from .bottlenecks import RANKING_COLUMNS, bottlenecks
        from .report.json import to_jsonable

        waits = bottlenecks(events, flowchart, tables=tab, clock_stopped=clock_stopped,
                            calendar=calendar, min_cases=min_cases, targets_in=targets_in)
    finally:
        replayed = replaying()
    runs, aligned, wanted = _align_variants(judgements, replayed, flowchart, petri,
                                            alignments=alignments,
                                            max_variants=max_variants, progress=progress)

    vdev = _variant_deviations(judgements, flowchart)
    fits = np.array([bool(r["trace_is_fit"]) for r in replayed])
    allowed_runs = fits | np.isin(np.arange(len(judgements)), list(runs))
    has_unaccepted = np.zeros(len(judgements), dtype=bool)
    if len(vdev):
        has_unaccepted[vdev.loc[~vdev["accepted"], "variant"].unique()] = True
    has_any = np.array([bool(j.deviations) for j in judgements])
    conforming_v = (allowed_runs & ~has_any) | (has_any & ~has_unaccepted)

    cases = tab.cases
    throughput = cases["throughput_s"].to_numpy()
    case_conforming = conforming_v[cases["variant"].to_numpy()] if len(cases) \
        else np.array([], bool)
    if open_cases and open_after is None and len(cases):
        reference = throughput[case_conforming] if case_conforming.any() else throughput
        open_after = cases["end"].max() - pd.Timedelta(seconds=float(np.quantile(reference, 0.9)))
    if open_after is not None:
        open_after = _instant("open_after", open_after)

    case_dev = _case_deviations(cases, vdev, open_after)
    baseline = float(np.median(throughput[case_conforming])) if case_conforming.any() else None
    table = _deviation_table(case_dev, len(cases), baseline)
    parts = [t for t in (table, _unused_paths(judgements, flowchart)) if len(t)]
    table = _rank(pd.concat(parts, ignore_index=True) if parts else table)
    deviations = table[~table["accepted"].astype(bool)][DEVIATION_COLUMNS].reset_index(drop=True)
    accepted = table[table["accepted"].astype(bool)][DEVIATION_COLUMNS].reset_index(drop=True)

    conformance = _conformance(replayed, tab.variants["cases"].to_numpy(dtype=float), fits,
                               case_conforming, aligned if alignments else {}, wanted)
    variants = _variant_table(tab, replayed, fits, conforming_v, vdev,
                              aligned if alignments else None)
    notes += _fitness_note(conformance, to_step)

    return Comparison(flowchart=flowchart, flow=flow, deviations=deviations,
                      bottleneck_result=waits, events=events, notes=notes,
                      bottleneck_table=to_jsonable(waits.ranking[RANKING_COLUMNS]),
                      accepted_deviations=accepted, conformance=conformance, variants=variants,
                      case_deviations=case_dev[["case_id", "variant", "kind", "source", "target",
                                                "activity", "accepted"]],
                      log_summary=_log_summary(log, events, tab),
                      options={"open_after": None if open_after is None
                               else open_after.isoformat(), "alignments": alignments,
                               "clock_stopped": clock_stopped, "targets_in": targets_in,
                               "min_cases": waits.options.get("min_cases"),
                               "calendar": None if calendar is None else calendar.to_dict()})
