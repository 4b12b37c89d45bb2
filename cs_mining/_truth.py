"""Which cases carry which planted problem (the answer key), and whether the log agrees.

:func:`_truth_fields` gathers the arguments of
:class:`cs_mining.simulate.GroundTruth`; :func:`_warn_natural_pingpong` warns
when cases that were not planted with ping-pong show it anyway.
"""

from __future__ import annotations

import warnings

import numpy as np

from .errors import CsMiningWarning


def _truth_fields(chart, seed, cases, n_events, groups, n_planted, order, run_of, n_base,
                  case_ids, slow, ev_slow, wait_s, case_of, info, plant, pingpong_teams):
    """Keyword arguments of GroundTruth: planted deviations, slow transition, ping-pong."""
    planted, ping, offset = [], None, 0
    spec = plant if isinstance(plant, str) or plant is None else \
        ",".join(f"{k}={v}" for k, v in plant.items())
    first = n_base
    for (p, derived), n in zip(groups, n_planted):
        who = np.sort(order[offset:offset + n])
        keys = [derived[i - first].key for i in run_of[who]]
        offset += n
        first += len(derived)
        if p.kind == "pingpong":
            ids = [case_ids[i] for i in who]
            ping = {"activity": info.label(p.step), "teams": list(pingpong_teams),
                    "min_handoffs": 3, "cases": len(ids), "case_ids": ids}
            continue
        by_key = {}
        for i, key in zip(who, keys):
            by_key.setdefault(key, []).append(case_ids[i])
        for key in sorted(by_key, key=lambda k: tuple("" if v is None else v for v in k)):
            planted.append({"kind": key[0], "activity": key[1], "source": key[2],
                            "target": key[3], "cases": len(by_key[key]),
                            "case_ids": by_key[key]})
    slow_info = None
    if slow:
        on = ev_slow
        slow_info = {"source": info.label(slow.source), "target": info.label(slow.target),
                     "factor": float(slow.value),
                     "cases": int(len(np.unique(case_of[on]))),
                     "median_wait_s": float(np.median(wait_s[on])) if on.any() else None,
                     "others_median_wait_s": float(np.median(wait_s[~on])) if (~on).any()
                     else None}
    return dict(seed=seed, cases=cases, events=n_events, flowchart=chart.name,
                planted=planted, slow_transition=slow_info, pingpong=ping, plant=spec)


def _pingpong_cases(events) -> set:
    """Cases whose team alternates between two teams at least 3 times in a row."""
    case = events["case:concept:name"].cat.codes.to_numpy()
    group = events["org:group"].cat.codes.to_numpy()
    keep = np.ones(len(case), dtype=bool)
    keep[1:] = (case[1:] != case[:-1]) | (group[1:] != group[:-1])
    c, g = case[keep], group[keep]
    if len(c) < 4:
        return set()
    hit = (c[:-3] == c[3:]) & (g[:-3] == g[2:-1]) & (g[1:-2] == g[3:])
    cats = events["case:concept:name"].cat.categories
    return set(cats[np.unique(c[:-3][hit])])


def _warn_natural_pingpong(events, truth):
    found = _pingpong_cases(events)
    planted = set(truth.pingpong["case_ids"]) if truth.pingpong else set()
    extra = found - planted
    if extra:
        warnings.warn(f"simulate(): {len(extra)} cases not planted with ping-pong still show it "
                      f"(e.g. {sorted(extra)[0]}): give the steps of each loop one team",
                      CsMiningWarning, stacklevel=3)
