"""Build the variants, cases and transitions tables with pandas and numpy.

Events must come ordered by case, then time, with file order kept for ties
(:func:`cs_mining.load.as_events` guarantees it).  Work is vectorised over
events; the only Python loops run once per case, to cut the activity-code
array into per-case byte strings that name the variant, and once per variant.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"

__all__ = ["Tables", "build_tables"]


@dataclass(frozen=True)
class Tables:
    """The intermediate tables of one log.

    Attributes
    ----------
    cases : pandas.DataFrame
        One row per case, in log order: ``case_id``, ``variant``, ``events``,
        ``start``, ``end``, ``throughput_s``.
    variants : pandas.DataFrame
        One row per distinct activity sequence, most frequent first (ties by
        first appearance): ``variant`` (0, 1, ...), ``activities`` (tuple),
        ``length``, ``cases``, ``case_share``, ``example_cases`` (up to 5 ids),
        ``median_throughput_s``, ``mean_throughput_s``.
    transitions : pandas.DataFrame
        One row per pair of consecutive events in a case: ``case_id``,
        ``source``, ``target``, ``wait_s`` (target time minus source time),
        ``source_time``, ``target_time``.
    """

    cases: pd.DataFrame
    variants: pd.DataFrame
    transitions: pd.DataFrame

    def __repr__(self) -> str:
        return (f"<Tables: {len(self.cases):,} cases, {len(self.variants):,} variants, "
                f"{len(self.transitions):,} transitions>")


def build_tables(events: pd.DataFrame) -> Tables:
    """Return the cases, variants and transitions tables of an ordered event frame.

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``case:concept:name``, ``concept:name``, ``time:timestamp``,
        ordered by case, then time, then file order.

    Returns
    -------
    Tables

    Examples
    --------
    >>> from cs_mining.testing import log_from_text
    >>> t = build_tables(log_from_text('''
    ...     T1: open 09:00, triage 09:05, close 10:00
    ...     T2: open 09:00, close 09:30
    ...     T3: open 08:00, triage 08:01, close 08:02
    ... '''))
    >>> t.variants[["variant", "activities", "cases"]]
       variant                activities  cases
    0        0  (open, triage, close)      2
    1        1            (open, close)      1
    >>> t.transitions[["case_id", "source", "target", "wait_s"]].head(3)
      case_id  source  target  wait_s
    0      T1    open  triage   300.0
    1      T1  triage   close  3300.0
    2      T2    open   close  1800.0
    """
    case_codes, case_ids = pd.factorize(events[CASE], sort=False)
    act_codes, act_names = pd.factorize(events[ACTIVITY], sort=False)
    times = events[TIME].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    n = len(events)

    boundary = np.flatnonzero(np.diff(case_codes)) + 1
    starts = np.concatenate(([0], boundary)) if n else np.array([], dtype=int)
    ends = np.concatenate((boundary, [n])) if n else np.array([], dtype=int)
    if len(starts) != len(case_ids):
        raise ValueError("events are not grouped by case; order them with cs_mining.load.as_events")

    width = np.uint16 if len(act_names) < 2**16 else np.uint32
    buffer = act_codes.astype(width).tobytes()
    size = np.dtype(width).itemsize
    keys = [buffer[s * size:e * size] for s, e in zip(starts.tolist(), ends.tolist())]
    raw_variant, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)

    t_start, t_end = times[starts], times[ends - 1]
    throughput = (t_end - t_start) / np.timedelta64(1, "s")
    cases = pd.DataFrame({
        "case_id": case_ids.to_numpy(dtype=object) if hasattr(case_ids, "to_numpy") else case_ids,
        "variant": raw_variant,
        "events": (ends - starts),
        "start": pd.to_datetime(t_start, utc=True) if n else pd.Series([], dtype="datetime64[ns, UTC]"),
        "end": pd.to_datetime(t_end, utc=True) if n else pd.Series([], dtype="datetime64[ns, UTC]"),
        "throughput_s": throughput.astype(float),
    })

    grouped = cases.groupby("variant", sort=False)
    stats = grouped.agg(cases=("case_id", "size"),
                        median_throughput_s=("throughput_s", "median"),
                        mean_throughput_s=("throughput_s", "mean"))
    first_five = cases[["variant", "case_id"]].groupby("variant", sort=False).head(5) \
        .sort_values("variant", kind="stable")
    per_variant = np.bincount(first_five["variant"].to_numpy(), minlength=len(stats))
    examples = np.split(first_five["case_id"].to_numpy(dtype=object), np.cumsum(per_variant)[:-1])
    stats["example_cases"] = [examples[v].tolist() for v in stats.index]
    stats["first"] = np.arange(len(stats))
    stats = stats.sort_values(["cases", "first"], ascending=[False, True], kind="stable")
    rank = np.empty(len(stats), dtype=np.int64)
    rank[stats.index.to_numpy()] = np.arange(len(stats))
    cases["variant"] = rank[raw_variant] if n else raw_variant

    names = np.asarray(act_names, dtype=object)
    activities = [tuple(names[np.frombuffer(uniques[v], dtype=width)].tolist())
                  for v in stats.index]
    variants = pd.DataFrame({
        "variant": np.arange(len(stats)),
        "activities": activities,
        "length": [len(a) for a in activities],
        "cases": stats["cases"].to_numpy(),
        "case_share": stats["cases"].to_numpy() / max(len(cases), 1),
        "example_cases": stats["example_cases"].to_list(),
        "median_throughput_s": stats["median_throughput_s"].to_numpy(),
        "mean_throughput_s": stats["mean_throughput_s"].to_numpy(),
    })

    same_case = case_codes[1:] == case_codes[:-1]
    src = np.flatnonzero(same_case)
    labels = pd.Series(names).array  # taken by code below: no Python string per event
    transitions = pd.DataFrame({
        "case_id": case_ids.take(case_codes[src]) if n else [],
        "source": labels.take(act_codes[src]) if n else [],
        "target": labels.take(act_codes[src + 1]) if n else [],
        "wait_s": ((times[src + 1] - times[src]) / np.timedelta64(1, "s")).astype(float),
        "source_time": pd.to_datetime(times[src], utc=True),
        "target_time": pd.to_datetime(times[src + 1], utc=True),
    })
    return Tables(cases=cases, variants=variants, transitions=transitions)
