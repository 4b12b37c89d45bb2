"""How long do steps and cases take, and how often do they break their time targets?

The tables of :func:`cs_mining.bottlenecks.bottlenecks` built after the waits:
processing time per step, throughput per case and per variant, breaches of
each step's wait target and of the case target, and the time spent in
clock-stopped statuses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._codes import _Grouped, _Instances, _Segments, _utc
from ._waits import _Activities, _self_loop_caveat
from .calendar import Calendar
from .flowchart.model import Flowchart


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


def _target_caveats(breaches: pd.DataFrame, flowchart: Flowchart | None, service: dict,
                    acts: _Activities) -> list[str]:
    if flowchart is None:
        return []
    never = breaches[(breaches["kind"] == "step") & (breaches["cases"] == 0)]["step"]
    out = [f"wait target of {step!r} cannot be checked: no case has an event of another step "
           "before it" for step in pd.unique(never)]
    out += _self_loop_caveat(service, acts)
    if all(n.wait_target_s is None for n in flowchart.steps) and flowchart.case_target_s is None:
        out.append("the flowchart sets no time targets")
    return out


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
