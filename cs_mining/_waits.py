"""How long does each transition wait, and which waits rank worst?

Pairs each activity instance with the next one of its case, twice: as observed
(every status) and on the service clock (clock-stopped statuses skipped,
measured on the targets' clock, calendar or working time).  From those come
the normal wait, the ranking by excess wait and the table of every observed
transition.  Also here: what the flowchart says about each activity code
(shown name, step, wait target, paused, designed transitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._codes import _Grouped, _Instances, _Segments, _utc
from .calendar import Calendar
from .errors import ConfigError
from .flowchart.model import Flowchart, fold

#: Fields of each ranked bottleneck (also the entries of compare's JSON ``bottlenecks``).
RANKING_COLUMNS = ["source", "target", "cases", "events", "median_wait_s", "p90_wait_s",
                   "total_wait_s", "target_s", "breach_cases", "excess_wait_s", "wait_share"]


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
    names = {fold(str(n)) for n in clock_stopped}
    return lambda name: fold(name) in names


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
    service["target_s"], service["self_loop"] = _wait_targets(acts, service["src_act"],
                                                              service["tgt_act"])
    service["breach"] = w > service["target_s"]
    return observed, service, start_w


def _wait_targets(acts: _Activities, src_act: np.ndarray, tgt_act: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The target of each wait, and which waits lost theirs for being a self-loop.

    A target says how soon a step should start after the previous one; the
    time between two records of the same activity, or of two activities of
    the same step, is time in that step, not a wait for it.
    """
    src, tgt = acts.step[src_act], acts.step[tgt_act]
    loop = (src_act == tgt_act) | ((tgt >= 0) & (src == tgt))
    target = acts.target_s[tgt_act]
    return np.where(loop, np.nan, target), loop & ~np.isnan(target)


def _self_loop_caveat(service: dict, acts: _Activities) -> list[str]:
    """How many waits a self-loop kept from a wait target, naming the most frequent one."""
    loops = service["tgt_act"][service["self_loop"]]
    if not len(loops):
        return []
    name = acts.names[np.bincount(acts.name[loops], minlength=len(acts.names)).argmax()]
    waits = "1 wait" if len(loops) == 1 else f"{len(loops):,} waits"
    verb = "is" if len(loops) == 1 else "are"
    return [f"{waits} between repeated records of the same step (such as {name} -> {name}) "
            f"{verb} not judged against wait targets"]


def _reference(service: dict, charted: bool, quantile: float) -> float | None:
    """The normal wait: a quantile of designed transitions' waits, else of all waits."""
    w = service["w"]
    pool = w[service["designed"]] if charted else w[:0]
    pool = pool if len(pool) else w
    pool = pool[~np.isnan(pool)]
    return float(np.quantile(pool, quantile)) if len(pool) else None



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
             charted: bool, case_ids: pd.Series) -> tuple[pd.DataFrame, int]:
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
    out["worst_cases"] = g.worst(np.nan_to_num(w, nan=-np.inf), ~np.isnan(w), case_ids)
    below = int((out["cases"] < min_cases).sum())
    out = out[out["cases"] >= min_cases].sort_values(
        ["excess_wait_s", "total_wait_s", "source", "target"],
        ascending=[False, False, True, True], kind="stable")
    return out[segments + RANKING_COLUMNS + ["designed", "worst_cases"]] \
        .reset_index(drop=True), below


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

