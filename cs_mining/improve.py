"""improvement_areas(): where to act first, ranked by the customer time at stake.

Each area joins a number from :mod:`cs_mining.compare` or
:mod:`cs_mining.bottlenecks` to the question a service team asks of it
(``docs`` of the domain: first-contact resolution, relays to other
departments, hand-offs, waits against targets).  The ranking key,
``impact_s``, is the customer time at stake:

* a bottleneck: its excess waiting time (waiting above the target, or above
  the log's usual wait), summed over cases;
* a deviation: the extra median throughput time of the affected cases over
  conforming ones, times the cases (deviations that make cases faster are
  listed too, with impact 0, because they may still break a rule).

Every area names up to five ``example_cases`` (case ids, as strings), so
that an analyst can open the cases behind the number:

* a deviation: the deviation's own ``example_cases`` (its first affected
  cases in log order, see :attr:`Comparison.deviations`);
* a bottleneck: the cases that waited longest on that transition, the
  longest wait first, each case once, as the bottleneck ranking measures
  waits (its ``worst_cases``: on the targets' clock, paused statuses
  skipped).  Where a step has a wait target these are also the cases that
  breached it worst.
"""

from __future__ import annotations

import pandas as pd

from .flowchart.model import format_duration, format_total
from .report.text import plural, where

__all__ = ["improvement_areas"]

AREA_COLUMNS = ["rank", "area", "kind", "where", "cases", "case_share", "impact_s", "evidence",
                "question", "example_cases"]
EXAMPLES = 5

_QUESTIONS = {
    "unknown_activity": "Cases pass through '{activity}', which the flowchart does not know: "
                        "a relay to another department or an undocumented step? Either give the "
                        "desk the power to resolve, or add the step to the flowchart.",
    "skipped_step": "Cases skip '{activity}': is the step unnecessary for them (redesign or "
                    "accept it), or are staff missing it (training, a checklist)?",
    "rework": "Cases do '{activity}' again after '{source}': what was missing the first time? "
              "Rework points at first-contact resolution.",
    "unexpected_transition": "Cases go from '{source}' to '{target}', which the flowchart does "
                             "not allow: an alternative to draw in, or a shortcut to stop?",
    "wrong_start": "Cases begin at '{activity}' instead of a designed first step: are requests "
                   "arriving through another touchpoint or being re-opened?",
    "wrong_end": "Cases stop at '{activity}' without a designed last step: abandoned, closed "
                 "in another system, or redirected without resolution?",
    "incomplete_case": "Cases still open at '{activity}'.",
    "bottleneck": "Cases wait before '{target}' (after '{source}'){target_text}: staff the queue, "
                  "automate the hand-off, or revise the target.",
}


def _faster(cost) -> str:
    """A first sentence for deviations whose cases end sooner than conforming ones."""
    if cost is None or cost != cost or cost >= 0:
        return ""
    return (f"These cases end {format_duration(-cost)} sooner than conforming ones (median): "
            "check that the customer got what was asked for before calling it a shortcut. ")


def _deviation_areas(comparison) -> list[dict]:
    areas = []
    for row in comparison.deviations.to_dict("records"):
        if row["kind"] in ("unused_path", "incomplete_case") or row["cases"] == 0:
            continue
        cost = row["time_cost_s"]
        impact = max(0.0, row["cases"] * cost) if cost is not None and cost == cost else 0.0
        evidence = (f"{row['cases']:,} {'case' if row['cases'] == 1 else 'cases'} "
                    f"({row['case_share']:.1%}); median throughput "
                    + (f"{'+' if cost >= 0 else ''}{format_duration(cost)} against conforming "
                       "cases" if cost is not None and cost == cost else "not comparable"))
        areas.append({
            "area": "deviation", "kind": row["kind"], "where": where(row), "cases": row["cases"],
            "case_share": row["case_share"], "impact_s": impact, "evidence": evidence,
            "question": _faster(cost) + _QUESTIONS[row["kind"]].format(
                activity=row["activity"], source=row["source"], target=row["target"]),
            "example_cases": [str(c) for c in row["example_cases"]][:EXAMPLES],
        })
    return areas


def _longest_waits(comparison) -> dict[tuple[str, str], list[str]]:
    """Up to EXAMPLES case ids per ranked ``(source, target)``: the ranking's own worst cases."""
    ranking = getattr(comparison.bottleneck_result, "ranking", None)
    if ranking is None or "worst_cases" not in ranking.columns:
        return {}
    return {(s, t): [str(c) for c in w][:EXAMPLES]
            for s, t, w in zip(ranking["source"], ranking["target"], ranking["worst_cases"])}


def _bottleneck_areas(comparison, cases_total: int) -> list[dict]:
    areas = []
    ranked = [b for b in comparison.bottleneck_table if (b.get("excess_wait_s") or 0.0) > 0]
    examples = _longest_waits(comparison)
    for b in ranked:
        excess = b["excess_wait_s"]
        target = b.get("target_s")
        target_text = f", {b['breach_cases']:,} of them beyond the {format_duration(target)} " \
                      "target" if target is not None and b.get("breach_cases") else ""
        evidence = (f"{plural(b['cases'], 'case')}; "
                    f"median wait {format_duration(b['median_wait_s'])}, "
                    f"p90 {format_duration(b['p90_wait_s'])}; "
                    f"{format_total(excess)} above "
                    + (f"the {format_duration(target)} target" if target is not None
                       else "the usual wait"))
        areas.append({
            "area": "bottleneck", "kind": "bottleneck",
            "where": f"{b['source']} -> {b['target']}", "cases": b["cases"],
            "case_share": b["cases"] / cases_total if cases_total else 0.0,
            "impact_s": float(excess), "evidence": evidence,
            "question": _QUESTIONS["bottleneck"].format(source=b["source"], target=b["target"],
                                                        target_text=target_text),
            "example_cases": examples.get((b["source"], b["target"]), []),
        })
    return areas


def improvement_areas(comparison, *, top: int | None = 10) -> pd.DataFrame:
    """Rank deviations and bottlenecks of a comparison by the customer time at stake.

    Parameters
    ----------
    comparison : Comparison
        The result of :func:`cs_mining.compare`.
    top : int or None, default=10
        How many areas to return (None: all).

    Returns
    -------
    pandas.DataFrame
        One row per area, most impact first: ``rank``, ``area`` (``deviation``
        or ``bottleneck``), ``kind``, ``where``, ``cases``, ``case_share``,
        ``impact_s``, ``evidence``, ``question`` (what to find out) and
        ``example_cases`` (up to five case ids to open first; see the module
        docstring for how they are chosen).

    Examples
    --------
    >>> from cs_mining import compare
    >>> from cs_mining.testing import log_from_text
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("T").start("s").step("a", "Open").step("b", "Solve")
    ...          .step("c", "Close").end("e").chain("s", "a", "b", "c", "e").build())
    >>> log = log_from_text('''
    ...     T1: Open 09:00, Solve 09:10, Close 09:20
    ...     T2: Open 09:00, Solve 09:10, Close 09:20
    ...     T3: Open 09:00, Solve 09:10, Solve 11:00, Close 11:10
    ... ''')
    >>> areas = improvement_areas(compare(log, chart))
    >>> areas[["rank", "area", "where", "cases", "impact_s"]].iloc[:1]
       rank       area                    where  cases  impact_s
    0     1  deviation  Solve again (after Solve)      1    6600.0
    >>> areas["example_cases"].iloc[0]
    ['T3']
    """
    cases_total = comparison.conformance["cases"]
    areas = _deviation_areas(comparison) + _bottleneck_areas(comparison, cases_total)
    frame = pd.DataFrame(areas, columns=AREA_COLUMNS[1:])
    frame = frame.sort_values(["impact_s", "cases"], ascending=False, kind="stable")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    frame = frame.reset_index(drop=True)
    return frame if top is None else frame.head(top)
