"""Event logs played out of a flowchart, with planted problems and their ground truth.

:func:`simulate` walks every case through the chart (branch probabilities,
lognormal waits and processing times, working hours, agents in teams,
channels, repeat customers) and plants deviations in disjoint sets of cases,
so that every later stage can be tested against a known answer: the
:class:`GroundTruth` names each planted deviation, its exact case ids, the
slowed transition and the ping-pong cases.

How it stays fast: the chart's runs (loops bounded by ``max_loops``) are
enumerated once with their probabilities; every planted deviation is a
modified copy of a run.  Each case then picks one run with a single numpy
call, and timestamps are computed position by position for all cases at once.

Examples
--------
>>> from cs_mining.flowchart import read_flowchart
>>> chart = read_flowchart('''
... name: Phone order
... touchpoint: phone
... steps:
...   - {id: start, kind: start}
...   - {id: take, label: Take order}
...   - {id: check, label: Check stock}
...   - {id: confirm, label: Confirm order}
...   - {id: end, kind: end}
... arrows:
...   - start -> take -> check -> confirm -> end
... ''')
>>> sim = simulate(chart, cases=200, seed=1, plant="skip:check=0.1")
>>> sim
<SimulatedLog 'Phone order': 200 cases, 580 events, 1 planted deviation in 20 cases>
>>> sim.truth.planted[["kind", "activity", "source", "target", "cases"]]
           kind     activity      source         target  cases
0  skipped_step  Check stock  Take order  Confirm order     20
"""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import ConfigError, CsMiningWarning, FlowchartError
from .flowchart.model import Flowchart, parse_duration

__all__ = ["simulate", "SimulatedLog", "GroundTruth", "parse_plant", "make_samples", "SAMPLES"]

SCHEMA_VERSION = 1
_DAY = 86400
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PLANT_KINDS = {"skip": "skipped_step", "skipped_step": "skipped_step", "rework": "rework",
                "unknown": "unknown_activity", "unknown_activity": "unknown_activity",
                "unexpected": "unexpected_transition",
                "unexpected_transition": "unexpected_transition", "wrong_end": "wrong_end",
                "slow": "slow", "pingpong": "pingpong", "ping_pong": "pingpong"}
_PLANT_HELP = ("write e.g. 'skip:record=0.05,rework:diagnose=0.03,"
               "unknown:Transfer to billing@diagnose=0.04,unexpected:in_stock->backorder=0.02,"
               "wrong_end=0.03,slow:triage->diagnose=x6,pingpong:0.05'")
_ONE_LINE_LISTS = re.compile(r'\[\s+("[^"\\]*"(?:,\s+"[^"\\]*")*)\s+\]')


# ----------------------------------------------------------------------------- plant spec

@dataclass(frozen=True)
class _Plant:
    kind: str
    step: str | None = None       # skip / rework / unknown@ / wrong_end / pingpong step
    source: str | None = None     # rework jump, unexpected, slow
    target: str | None = None
    name: str | None = None       # unknown activity name
    value: float = 0.0            # share of cases, or the slow factor
    text: str = field(default="", compare=False)


def parse_plant(spec) -> list:
    """Read a plant specification into a list of planted problems.

    Parameters
    ----------
    spec : str, dict or None
        ``"kind[:argument]=value"`` items separated by commas, or the same as a
        dict ``{"kind[:argument]": value}``.  Kinds: ``skip:STEP``,
        ``rework:STEP`` (done twice in a row) or ``rework:LATER->EARLIER`` (jump
        back and redo), ``unknown:NAME[@STEP]``, ``unexpected:FROM->TO``,
        ``wrong_end[:STEP]``, ``pingpong[:STEP]`` (values are shares of cases,
        0..1) and ``slow:FROM->TO`` (value: the factor, ``x6`` or ``6``).
        Steps are named by id or label.

    Returns
    -------
    list
        One entry per item, in the order written (used by :func:`simulate`).

    Raises
    ------
    ConfigError
        On an unknown kind, a missing argument or a value that is not a number.

    Examples
    --------
    >>> [(p.kind, p.step, p.value) for p in parse_plant("skip:record=0.05,pingpong:0.02")]
    [('skipped_step', 'record', 0.05), ('pingpong', None, 0.02)]
    >>> parse_plant({"slow:triage->diagnose": "x6"})[0].value
    6.0
    >>> parse_plant("skipp:record=0.1")
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: simulate(): unknown plant kind 'skipp' in 'skipp:record=0.1' (kinds: skip, rework, unknown, unexpected, wrong_end, slow, pingpong)
    """
    if spec is None:
        return []
    if isinstance(spec, str):
        items = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            key, sep, value = part.rpartition("=")
            if not sep:
                key, sep, value = part.rpartition(":")
            if not sep or not key:
                raise ConfigError(f"simulate(): plant item {part!r} has no value; {_PLANT_HELP}")
            items.append((key.strip(), value.strip(), part))
    elif isinstance(spec, dict):
        items = [(str(k).strip(), v, f"{k}={v}") for k, v in spec.items()]
    else:
        raise ConfigError(f"simulate(): plant must be a string or a dict; "
                          f"got {type(spec).__name__}")
    return [_plant_item(key, value, text) for key, value, text in items]


def _plant_item(key, value, text):
    word, _, arg = key.partition(":")
    kind = _PLANT_KINDS.get(word.strip().lower())
    if kind is None:
        raise ConfigError(f"simulate(): unknown plant kind {word!r} in {text!r} (kinds: skip, "
                          f"rework, unknown, unexpected, wrong_end, slow, pingpong)")
    raw = str(value).strip()
    try:
        number = float(raw[1:] if kind == "slow" and raw[:1] in "xX" else raw)
    except ValueError:
        raise ConfigError(f"simulate(): plant {text!r} needs a number after '='; got {raw!r}") \
            from None
    arg = arg.strip()
    pair = [s.strip() for s in arg.split("->")] if "->" in arg else None
    if kind == "slow":
        if not pair or number <= 0:
            raise ConfigError(f"simulate(): write a slow transition as 'slow:FROM->TO=x6'; "
                              f"got {text!r}")
        return _Plant(kind, source=pair[0], target=pair[1], value=number, text=text)
    if not 0 <= number <= 1:
        raise ConfigError(f"simulate(): plant {text!r} needs a share of cases between 0 and 1; "
                          f"got {number:g}")
    if kind == "rework" and pair:
        return _Plant(kind, source=pair[0], target=pair[1], value=number, text=text)
    if kind == "unexpected_transition":
        if not pair:
            raise ConfigError(f"simulate(): write an unexpected transition as "
                              f"'unexpected:FROM->TO=0.02'; got {text!r}")
        return _Plant(kind, source=pair[0], target=pair[1], value=number, text=text)
    if kind == "unknown_activity":
        name, _, step = arg.partition("@")
        if not name.strip():
            raise ConfigError(f"simulate(): write an unknown activity as "
                              f"'unknown:NAME[@STEP]=0.04'; got {text!r}")
        return _Plant(kind, step=step.strip() or None, name=name.strip(), value=number, text=text)
    if kind in ("skipped_step", "rework") and not arg:
        raise ConfigError(f"simulate(): plant {text!r} needs a step, e.g. '{word}:record=0.05'")
    return _Plant(kind, step=arg or None, value=number, text=text)


# ----------------------------------------------------------------------------- runs

@dataclass
class _Run:
    """One way through the chart: events in topological order, each with its predecessors.

    A predecessor ``-1`` is the case's arrival; ``par`` marks events inside a
    parallel block (their order in the log depends on timing).
    """

    steps: list
    acts: list
    preds: list
    par: list
    teams: list
    weight: float = 1.0
    key: tuple | None = None

    def copy(self):
        return _Run(list(self.steps), list(self.acts), list(self.preds), list(self.par),
                    list(self.teams), self.weight, self.key)

    def sequential(self, i):
        """Event i follows only i-1 and precedes at most i+1, outside parallel blocks."""
        if self.par[i] or (i > 0 and self.preds[i] != (i - 1,)):
            return False
        users = [j for j in range(i + 1, len(self.steps)) if i in self.preds[j]]
        return users in ([], [i + 1])

    def remove(self, i):
        out = self.copy()
        for seq in (out.steps, out.acts, out.par, out.teams):
            del seq[i]
        old = out.preds.pop(i)
        out.preds = [tuple(sorted({q for p in ps for q in (old if p == i else (p - (p > i),))}))
                     for ps in out.preds]
        return out

    def insert_after(self, i, events):
        """Insert a chain of ``(step, act, team)`` after event i."""
        out, m = self.copy(), len(events)
        shift = [tuple(p + m if p > i else p for p in ps) for ps in out.preds]
        shift = [tuple(i + m if (p == i and j > i) else p for p in ps)
                 for j, ps in enumerate(shift)]
        new_preds = [(i + k,) for k in range(m)]
        out.preds = shift[:i + 1] + new_preds + shift[i + 1:]
        for seq, values in ((out.steps, [e[0] for e in events]), (out.acts, [e[1] for e in events]),
                            (out.teams, [e[2] for e in events]), (out.par, [False] * m)):
            seq[i + 1:i + 1] = values
        return out

    def truncate(self, k):
        out = self.copy()
        for name in ("steps", "acts", "preds", "par", "teams"):
            setattr(out, name, getattr(out, name)[:k + 1])
        return out


_EMPTY = ((), (), (), (-1,))     # steps, preds, par, tails


def _concat(f, g):
    n = len(f[0])

    def remap(p):
        return f[3] if p == -1 else (p + n,)

    preds = f[1] + tuple(tuple(sorted({q for p in ps for q in remap(p)})) for ps in g[1])
    tails = tuple(sorted({q for t in g[3] for q in remap(t)}))
    return f[0] + g[0], preds, f[2] + g[2], tails


def _parallel(frags):
    steps, preds, par, tails = (), (), (), set()
    busy = sum(bool(f[0]) for f in frags) > 1
    for f in frags:
        n = len(steps)
        steps += f[0]
        preds += tuple(tuple(p if p == -1 else p + n for p in ps) for ps in f[1])
        par += tuple(busy or x for x in f[2])
        tails |= {t if t == -1 else t + n for t in f[3]}
    return steps, preds, par, tuple(sorted(tails))


def _branch_probabilities(arrows):
    given = [a.probability for a in arrows]
    missing = sum(p is None for p in given)
    rest = max(0.0, 1.0 - sum(p for p in given if p is not None))
    probs = [rest / missing if p is None else p for p in given]
    total = sum(probs)
    return [p / total for p in probs] if total > 0 else [1 / len(arrows)] * len(arrows)


def _enumerate_runs(chart, max_loops, max_runs, min_probability=1e-7):
    out, indeg = {}, {}
    for a in chart.arrows:
        out.setdefault(a.source, []).append(a)
        indeg[a.target] = indeg.get(a.target, 0) + 1
    nodes, found = chart.nodes, [0]

    def is_join(nid):
        return nodes[nid].kind in ("parallel", "inclusive") and indeg.get(nid, 0) > 1

    def walk(nid, visits, p):
        node = nodes[nid]
        if node.kind == "end":
            return [(_EMPTY, 1.0, None)]
        if is_join(nid):
            return [(_EMPTY, 1.0, nid)]
        if p < min_probability or visits.get(nid, 0) > max_loops:
            return []
        visits[nid] = visits.get(nid, 0) + 1
        head = ((nid,), ((-1,),), (False,), (0,)) if node.kind == "step" else _EMPTY
        rest = leave(nid, node.kind, visits, p)
        visits[nid] -= 1
        return [(_concat(head, f), q, stop) for f, q, stop in rest]

    def leave(nid, kind, visits, p):
        arrows = out.get(nid, [])
        results = []
        if kind in ("parallel", "inclusive") and len(arrows) > 1:
            for subset, ps in _split_subsets(kind, arrows):
                branches = [walk(a.target, visits, p * ps) for a in subset]
                for combo in itertools.product(*branches):
                    stops = {stop for _, _, stop in combo}
                    if len(stops) != 1 or None in stops:
                        raise ConfigError(f"simulate(): the branches after {kind} gateway {nid!r} "
                                          f"do not meet at one join; the simulator needs each "
                                          f"split closed by a join of the same kind")
                    join = stops.pop()
                    q = ps * math.prod(c[1] for c in combo)
                    block = _parallel([c[0] for c in combo])
                    for g, q2, stop in leave(join, nodes[join].kind, visits, p * q):
                        results.append((_concat(block, g), q * q2, stop))
        else:
            for a, pa in zip(arrows, _branch_probabilities(arrows)):
                if pa > 0:
                    results += [(f, pa * q, stop) for f, q, stop in walk(a.target, visits, p * pa)]
        found[0] += len(results)
        if found[0] > 50 * max_runs:
            raise ConfigError(f"simulate(): {chart.name!r} has more than {max_runs:,} runs; "
                              f"lower max_loops (now {max_loops})")
        return results

    starts = [n.id for n in chart.node_list if n.kind == "start"]
    runs = {}
    for s in starts:
        for f, q, stop in leave(s, "start", {}, 1.0 / len(starts)):
            if stop is not None:
                raise ConfigError(f"simulate(): join {stop!r} of {chart.name!r} has no split")
            key = (f[0], f[1])
            runs[key] = (f, runs.get(key, (f, 0.0))[1] + q / len(starts))
    if not runs:
        raise ConfigError(f"simulate(): {chart.name!r} has no run that reaches an end")
    if len(runs) > max_runs:
        raise ConfigError(f"simulate(): {chart.name!r} has {len(runs):,} runs, more than "
                          f"max_runs={max_runs:,}; lower max_loops (now {max_loops})")
    total = sum(q for _, q in runs.values())
    return [(f, q / total) for f, q in runs.values()]


def _split_subsets(kind, arrows):
    if kind == "parallel":
        return [(arrows, 1.0)]
    p = [0.5 if a.probability is None else a.probability for a in arrows]
    subsets = []
    for mask in itertools.product((0, 1), repeat=len(arrows)):
        if any(mask):
            w = math.prod(pi if m else 1 - pi for pi, m in zip(p, mask))
            if w > 0:
                subsets.append(([a for a, m in zip(arrows, mask) if m], w))
    total = sum(w for _, w in subsets)
    return [(s, w / total) for s, w in subsets]


# ----------------------------------------------------------------------------- plants on runs

class _Chart:
    """What the planting needs to know about the chart, computed once."""

    def __init__(self, chart):
        import networkx as nx
        self.chart = chart
        self.steps = [n.id for n in chart.steps]
        self.allowed = chart.allowed_transitions()
        self.last = chart.last_steps()
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(self.steps)
        self.graph.add_edges_from(self.allowed)
        self._nx = nx

    def label(self, step):
        return None if step is None else self.chart.label_of(step)

    def step_id(self, name, text):
        if name in self.chart.nodes and self.chart.nodes[name].kind == "step":
            return name
        for n in self.chart.steps:
            if n.label == name or n.label.casefold() == str(name).casefold():
                return n.id
        from .flowchart.check import suggest
        raise ConfigError(f"simulate(): plant {text!r} names {name!r}, which is not a step of "
                          f"{self.chart.name!r}{suggest(name, self.steps)}")

    def dominates(self, step, a, b):
        """True when every way from a to b passes through step."""
        g = self.graph.copy()
        g.remove_node(step)
        return not self._nx.has_path(g, a, b)

    def on_cycle(self, step):
        return (step, step) in self.allowed or any(
            self._nx.has_path(self.graph, b, step) for a, b in self.allowed if a == step)


def _variants(plant, runs, info, outside_team):
    """Return [(run, weight)] for every way this plant can modify each run."""
    label = info.label
    found = []
    for run in runs:
        n, steps = len(run.steps), run.steps
        options = []
        if plant.kind == "skipped_step":
            step = plant.step
            for i in range(1, n - 1):
                p, s = steps[i - 1], steps[i + 1]
                if steps[i] == step and None not in (p, s) and run.sequential(i) \
                        and run.sequential(i - 1) and not run.par[i + 1] \
                        and (p, s) not in info.allowed and s not in steps[:i] \
                        and info.dominates(step, p, s):
                    options.append((run.remove(i), ("skipped_step", label(step), label(p),
                                                    label(s))))
        elif plant.kind == "rework" and plant.step:
            step = plant.step
            for i in range(n):
                if steps[i] == step and run.sequential(i):
                    options.append((run.insert_after(i, [(step, run.acts[i], run.teams[i])]),
                                    ("rework", label(step), label(step), label(step))))
        elif plant.kind == "rework":
            later, earlier = plant.source, plant.target
            for j in range(n):
                back = [i for i in range(j) if steps[i] == earlier]
                if steps[j] != later or not back:
                    continue
                i = back[-1]
                if all(run.sequential(k) for k in range(i, j + 1)):
                    segment = [(steps[k], run.acts[k], run.teams[k]) for k in range(i, j + 1)]
                    options.append((run.insert_after(j, segment),
                                    ("rework", label(earlier), label(later), label(earlier))))
        elif plant.kind == "unknown_activity":
            for i in range(n - 1):
                if (plant.step is None or steps[i] == plant.step) and run.sequential(i) \
                        and not run.par[i + 1]:
                    options.append((run.insert_after(i, [(None, plant.name, outside_team)]),
                                    ("unknown_activity", plant.name, None, None)))
        elif plant.kind == "unexpected_transition":
            x, y = plant.source, plant.target
            for i in range(n - 1):
                if steps[i] == x and y not in steps and run.sequential(i) \
                        and not run.par[i + 1] and (y, steps[i + 1]) in info.allowed:
                    options.append((run.insert_after(i, [(y, None, None)]),
                                    ("unexpected_transition", None, label(x), label(y))))
        elif plant.kind == "wrong_end":
            for k in range(1, n - 1):
                if steps[k] is not None and (plant.step is None or steps[k] == plant.step) \
                        and not run.par[k] and steps[k] not in info.last:
                    options.append((run.truncate(k), ("wrong_end", label(steps[k]), None, None)))
        elif plant.kind == "pingpong":
            at = [i for i in range(n) if steps[i] == plant.step]
            if len(at) >= 2 and at[-1] - at[0] >= 3 \
                    and not any(run.par[at[0]:at[-1] + 1]):
                options.append((run.copy(), ("pingpong", label(plant.step), None, None)))
        for new, key in options:
            new.weight, new.key = run.weight / len(options), key
            found.append(new)
    return found


def _resolve_plants(plants, info, runs, cases):
    """Check each plant against the chart; return (share plants, slow, pingpong plant)."""
    shares, slow, pingpong = [], None, None
    for p in plants:
        if p.kind == "slow":
            if slow is not None:
                raise ConfigError(f"simulate(): only one slow transition can be planted; got "
                                  f"{slow.text!r} and {p.text!r}")
            slow = _Plant("slow", source=info.step_id(p.source, p.text),
                          target=info.step_id(p.target, p.text), value=p.value, text=p.text)
            if (slow.source, slow.target) not in info.allowed:
                raise ConfigError(f"simulate(): plant {p.text!r}: the chart has no transition "
                                  f"{p.source!r} -> {p.target!r} to slow down")
            continue
        if p.kind == "pingpong":
            if pingpong is not None:
                raise ConfigError(f"simulate(): only one ping-pong can be planted; got "
                                  f"{pingpong.text!r} and {p.text!r}")
            if p.step:
                step = info.step_id(p.step, p.text)
            else:
                looping = [s for s in info.steps if info.on_cycle(s)]
                counts = {s: sum(r.steps.count(s) >= 2 for r in runs) for s in looping}
                if not looping or not any(counts.values()):
                    raise ConfigError(f"simulate(): plant {p.text!r} needs a step the chart lets "
                                      f"repeat (a loop); {info.chart.name!r} has none")
                step = max(looping, key=lambda s: counts[s])
            p = pingpong = _Plant("pingpong", step=step, value=p.value, text=p.text)
        else:
            kw = {}
            for attr in ("step", "source", "target"):
                value = getattr(p, attr)
                kw[attr] = None if value is None else info.step_id(value, p.text)
            p = _Plant(p.kind, name=p.name, value=p.value, text=p.text, **kw)
            _check_plant(p, info)
        shares.append(p)
    if sum(p.value for p in shares) > 1 + 1e-9:
        raise ConfigError(f"simulate(): the planted shares add up to "
                          f"{sum(p.value for p in shares):g}, more than all cases")
    if sum(round(p.value * cases) for p in shares) > cases:
        raise ConfigError(f"simulate(): the planted deviations need more than {cases} cases")
    return shares, slow, pingpong


def _check_plant(p, info):
    label = info.label
    if p.kind == "rework" and p.step and (p.step, p.step) in info.allowed:
        raise ConfigError(f"simulate(): plant {p.text!r}: the chart already lets "
                          f"{label(p.step)!r} repeat, so doing it twice is not rework")
    if p.kind == "rework" and p.source and (p.source, p.target) in info.allowed:
        raise ConfigError(f"simulate(): plant {p.text!r}: the chart already allows "
                          f"{label(p.source)!r} -> {label(p.target)!r}, so it is not rework")
    if p.kind == "unexpected_transition":
        if (p.source, p.target) in info.allowed:
            raise ConfigError(f"simulate(): plant {p.text!r}: the chart allows "
                              f"{label(p.source)!r} -> {label(p.target)!r}")
        if info.chart.can_reach(p.source, p.target):
            raise ConfigError(f"simulate(): plant {p.text!r}: {label(p.target)!r} can follow "
                              f"{label(p.source)!r} later, so the move would be a skip; "
                              f"plant 'skip:...' instead")
    if p.kind == "unknown_activity" and info.chart.step_for(p.name) is not None:
        raise ConfigError(f"simulate(): plant {p.text!r}: {p.name!r} is claimed by step "
                          f"{info.chart.step_for(p.name)!r}, so it is not unknown")


# ----------------------------------------------------------------------------- working hours

class _Hours:
    """Working hours such as ``Mon-Fri 08:00-18:00`` in one time zone."""

    def __init__(self, spec, timezone):
        m = re.fullmatch(r"\s*([A-Za-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*",
                         spec)
        days = set()
        if m:
            for part in m.group(1).lower().replace(" ", "").split(","):
                a, _, b = part.partition("-")
                if a[:3] not in _WEEKDAYS or (b and b[:3] not in _WEEKDAYS):
                    days = set()
                    break
                i, j = _WEEKDAYS.index(a[:3]), _WEEKDAYS.index((b or a)[:3])
                days |= {(i + k) % 7 for k in range((j - i) % 7 + 1)}
        if not m or not days:
            raise ConfigError(f"simulate(): working_hours {spec!r} is not like "
                              f"'Mon-Fri 08:00-18:00'")
        self.open = int(m.group(2)) * 3600 + int(m.group(3)) * 60
        self.close = int(m.group(4)) * 3600 + int(m.group(5)) * 60
        if not 0 <= self.open < self.close <= _DAY:
            raise ConfigError(f"simulate(): working_hours {spec!r}: opening must come before "
                              f"closing on the same day")
        self.days = np.array(sorted(days))
        self.next_day = np.array([min(d for d in range(1, 8) if (w + d) % 7 in days)
                                  for w in range(7)])
        self.tz = timezone
        self.utc = str(timezone).upper() in ("UTC", "Z", "ETC/UTC")

    def _offset(self, t):
        if self.utc or len(t) == 0:
            return np.zeros_like(t)
        local = pd.DatetimeIndex(t.astype("datetime64[s]")).tz_localize("UTC").tz_convert(self.tz)
        return local.tz_localize(None).values.astype("datetime64[s]").astype(np.int64) - t

    def _to_utc(self, wall):
        if self.utc or len(wall) == 0:
            return wall
        local = pd.DatetimeIndex(wall.astype("datetime64[s]")).tz_localize(
            self.tz, ambiguous=np.zeros(len(wall), dtype=bool), nonexistent="shift_forward")
        return local.tz_convert("UTC").tz_localize(None).values.astype("datetime64[s]") \
            .astype(np.int64)

    def next_open(self, t):
        """Earliest moment at or after t inside working hours."""
        wall = t + self._offset(t)
        day = wall // _DAY
        sec = wall - day * _DAY
        weekday = (day + 3) % 7          # 1970-01-01 was a Thursday
        open_day = np.isin(weekday, self.days)
        inside = open_day & (sec >= self.open) & (sec < self.close)
        before = open_day & (sec < self.open)
        target = np.where(before, day, day + self.next_day[weekday]) * _DAY + self.open
        out = t.copy()
        out[~inside] = self._to_utc(target[~inside])
        return out

    def place(self, start, duration):
        """Move each step to the first opening where it starts and ends inside working hours."""
        duration = np.minimum(duration, self.close - self.open)
        start = self.next_open(start)
        wall = start + self._offset(start)
        closing = wall // _DAY * _DAY + self.close
        late = wall + duration > closing
        if late.any():
            start[late] = self.next_open(self._to_utc(closing[late]))
        return start, start + duration


# ----------------------------------------------------------------------------- results

class GroundTruth:
    """What :func:`simulate` planted: the answer every later stage should find.

    Attributes
    ----------
    planted : pandas.DataFrame
        One row per planted deviation: ``kind``, ``activity``, ``source``,
        ``target`` (step labels, ``None`` where the kind has none; see Notes
        of :func:`simulate`), ``cases`` and ``case_ids`` (a sorted list).
    slow_transition : dict or None
        ``source``, ``target``, ``factor``, ``cases`` (cases that pass it),
        ``median_wait_s`` on it and ``others_median_wait_s`` on all other
        transitions, measured from each step's start to the end of the one before.
    pingpong : dict or None
        ``activity`` (the repeated step), ``teams``, ``min_handoffs`` (3),
        ``cases`` and ``case_ids``.
    seed, cases, events, flowchart, conforming_cases : int or str

    Examples
    --------
    >>> truth = GroundTruth.from_dict({"schema_version": 1, "seed": 0, "cases": 10, "events": 40,
    ...     "flowchart": "x", "planted": [{"kind": "wrong_end", "activity": "Triage",
    ...     "source": None, "target": None, "cases": 2, "case_ids": ["T03", "T07"]}],
    ...     "slow_transition": None, "pingpong": None})
    >>> truth
    <GroundTruth 'x': 1 planted deviation in 2 of 10 cases, no slow transition, no ping-pong>
    >>> truth.case_ids(kind="wrong_end")
    ['T03', 'T07']
    """

    def __init__(self, *, seed: int, cases: int, events: int, flowchart: str, planted: list,
                 slow_transition: dict | None = None, pingpong: dict | None = None,
                 conforming_cases: int | None = None, plant: str | None = None):
        self.seed, self.cases, self.events, self.flowchart = seed, cases, events, flowchart
        columns = ["kind", "activity", "source", "target", "cases", "case_ids"]
        self.planted = pd.DataFrame({c: pd.Series([row.get(c) for row in planted], dtype=object)
                                     for c in columns})
        self.planted["cases"] = self.planted["cases"].astype("int64")
        self.slow_transition = slow_transition
        self.pingpong = pingpong
        planted_cases = int(self.planted["cases"].sum()) + (pingpong["cases"] if pingpong else 0)
        self.conforming_cases = cases - planted_cases if conforming_cases is None \
            else conforming_cases
        self.plant = plant

    def case_ids(self, kind: str | None = None, activity: str | None = None,
                 source: str | None = None, target: str | None = None) -> list:
        """Sorted ids of the cases planted with deviations matching every given field.

        ``kind="pingpong"`` returns the ping-pong cases.
        """
        if kind == "pingpong":
            return list(self.pingpong["case_ids"]) if self.pingpong else []
        rows = self.planted
        for col, value in (("kind", kind), ("activity", activity), ("source", source),
                           ("target", target)):
            if value is not None:
                rows = rows[rows[col] == value]
        return sorted(i for ids in rows["case_ids"] for i in ids)

    def to_dict(self) -> dict:
        """JSON-native dict in the documented truth schema (``schema_version`` 1)."""
        planted = [{k: _none(v) for k, v in row.items()}
                   for row in self.planted.to_dict("records")]
        for row in planted:
            row["cases"] = int(row["cases"])
            row["case_ids"] = [str(c) for c in row["case_ids"]]
        return {"schema_version": SCHEMA_VERSION, "seed": self.seed, "cases": self.cases,
                "events": self.events, "flowchart": self.flowchart, "plant": self.plant,
                "conforming_cases": self.conforming_cases, "planted": planted,
                "slow_transition": self.slow_transition, "pingpong": self.pingpong}

    def to_json(self, indent: int | None = 1) -> str:
        """The truth as JSON (UTF-8 text); lists of ids stay on one line."""
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)
        return _ONE_LINE_LISTS.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)

    @classmethod
    def from_dict(cls, data: dict) -> "GroundTruth":
        """Rebuild a truth from :meth:`to_dict` output (or a ``.truth.json`` file's content)."""
        keys = ("seed", "cases", "events", "flowchart", "planted", "slow_transition", "pingpong",
                "conforming_cases", "plant")
        return cls(**{k: data.get(k) for k in keys})

    @classmethod
    def read(cls, path) -> "GroundTruth":
        """Read a ``.truth.json`` file written by :meth:`SimulatedLog.write`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def _headline(self):
        n = len(self.planted)
        cases = int(self.planted["cases"].sum())
        slow = (f"slow {self.slow_transition['source']} -> {self.slow_transition['target']} "
                f"x{self.slow_transition['factor']:g}" if self.slow_transition
                else "no slow transition")
        ping = f"ping-pong in {self.pingpong['cases']} cases" if self.pingpong else "no ping-pong"
        return (f"{n} planted deviation{'s' * (n != 1)} in {cases:,} of {self.cases:,} cases, "
                f"{slow}, {ping}")

    def __repr__(self) -> str:
        return f"<GroundTruth {self.flowchart!r}: {self._headline()}>"

    def _rows(self):
        return [(r.kind, _none(r.activity) or "-", _none(r.source) or "-",
                 _none(r.target) or "-", f"{r.cases:,}") for r in self.planted.itertuples()]

    def __str__(self) -> str:
        lines = [f"Ground truth for {self.flowchart!r} (seed {self.seed}): {self.cases:,} cases, "
                 f"{self.events:,} events, {self.conforming_cases:,} conforming"]
        rows = [("kind", "activity", "source", "target", "cases")] + self._rows()
        widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
        lines += ["  " + "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()
                  for r in rows] if len(rows) > 1 else ["  nothing planted"]
        if self.slow_transition:
            s = self.slow_transition
            lines.append(f"Slow transition: {s['source']} -> {s['target']} x{s['factor']:g} "
                         f"({s['cases']:,} cases; median wait {_fmt(s['median_wait_s'])} "
                         f"against {_fmt(s['others_median_wait_s'])} elsewhere)")
        if self.pingpong:
            p = self.pingpong
            lines.append(f"Ping-pong: {p['cases']:,} cases bounce between {p['teams'][0]} and "
                         f"{p['teams'][1]} at {p['activity']!r}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_block(f"Ground truth: {self.flowchart}", str(self))


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _fmt(seconds):
    from .flowchart.model import format_duration
    return format_duration(seconds)


def _html_block(title, text):
    return (f"<div><strong>{html.escape(title)}</strong><pre>{html.escape(text)}</pre></div>")


class SimulatedLog:
    """An event log played out of a flowchart, with its :class:`GroundTruth`.

    Attributes
    ----------
    events : pandas.DataFrame
        One row per event, ordered by case, then time: ``case:concept:name``,
        ``concept:name``, ``time:timestamp`` (completion, UTC),
        ``start_timestamp`` (UTC), ``org:resource`` (agent), ``org:group``
        (team), ``channel``, ``request_type``, ``customer``.  Text columns are
        pandas categoricals, which keeps 10M events in memory.
    truth : GroundTruth
    flowchart : Flowchart

    Examples
    --------
    >>> from cs_mining.flowchart import read_flowchart
    >>> sim = simulate(read_flowchart("sample_logs/service_request_phone.yaml"), cases=50,
    ...                seed=3, plant="skip:record=0.1")
    >>> sim
    <SimulatedLog 'Service request by phone': 50 cases, 361 events, 1 planted deviation in 5 cases>
    >>> sim.truth.planted[["kind", "activity", "cases"]]
               kind                activity  cases
    0  skipped_step  Record request details      5
    """

    def __init__(self, events: pd.DataFrame, truth: GroundTruth, flowchart: Flowchart):
        self.events, self.truth, self.flowchart = events, truth, flowchart

    def write(self, path) -> Path:
        """Write the log (``.csv``, ``.csv.gz``, ``.parquet``) and ``<stem>.truth.json`` beside it.

        Returns the path of the log.  CSV is UTF-8 without BOM.
        """
        path = Path(path)
        name = path.name.lower()
        if name.endswith(".parquet"):
            stem = path.name[:-len(".parquet")]
            self.events.to_parquet(path, index=False)
        elif name.endswith(".csv") or name.endswith(".csv.gz"):
            stem = path.name[:-len(".csv")] if name.endswith(".csv") \
                else path.name[:-len(".csv.gz")]
            self.events.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        else:
            raise ConfigError(f"write a log as .csv, .csv.gz or .parquet; got {path.suffix!r}",
                              path=path)
        truth = path.with_name(stem + ".truth.json")
        truth.write_text(self.truth.to_json() + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        t = self.truth
        n, cases = len(t.planted), int(t.planted["cases"].sum())
        ping = f", ping-pong in {t.pingpong['cases']:,} cases" if t.pingpong else ""
        return (f"<SimulatedLog {t.flowchart!r}: {t.cases:,} cases, {t.events:,} events, "
                f"{n} planted deviation{'s' * (n != 1)} in {cases:,} cases{ping}>")

    def __str__(self) -> str:
        ev = self.events
        if len(ev):
            span = (f"{ev['time:timestamp'].min():%Y-%m-%d} .. "
                    f"{ev['time:timestamp'].max():%Y-%m-%d}")
        else:
            span = "-"
        customers = ev.groupby("customer", observed=True)["case:concept:name"].nunique()
        teams = ev.groupby("org:group", observed=True)["org:resource"].nunique()
        lines = [f"Simulated log of {self.truth.flowchart!r}: {self.truth.cases:,} cases, "
                 f"{self.truth.events:,} events, seed {self.truth.seed}",
                 f"  period     {span}",
                 f"  channels   {', '.join(map(str, ev['channel'].unique()))}",
                 "  teams      " + ", ".join(f"{k} ({v} agents)" for k, v in teams.items()),
                 f"  customers  {len(customers):,} ({int((customers > 1).sum()):,} "
                 f"contacted again)", str(self.truth)]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_block(f"Simulated log: {self.truth.flowchart}", str(self))

    def to_dict(self) -> dict:
        """JSON-native summary: size, columns and the ground truth."""
        return {"schema_version": SCHEMA_VERSION, "flowchart": self.truth.flowchart,
                "cases": self.truth.cases, "events": self.truth.events,
                "columns": list(self.events.columns), "truth": self.truth.to_dict()}

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


# ----------------------------------------------------------------------------- simulate

def _median_sigma(value, default_sigma, what, step):
    if isinstance(value, (tuple, list)):
        median, sigma = value
    else:
        median, sigma = value, default_sigma
    try:
        return parse_duration(median), float(sigma)
    except ValueError as e:
        raise ConfigError(f"simulate(): {what} for {step!r}: {e}") from None


def _team_of_outside(name, outside_team):
    if outside_team:
        return outside_team
    m = re.search(r"\bto (?:the )?(.+)$", name, flags=re.IGNORECASE)
    return m.group(1)[:1].upper() + m.group(1)[1:] if m else "Other department"


def _short(team, used):
    letters = "".join(w[0] for w in re.findall(r"\w+", team)).upper() or "A"
    code, k = letters, 2
    while code in used:
        code, k = f"{letters}{k}", k + 1
    used.add(code)
    return code


def simulate(flowchart, *, cases: int = 1000, seed: int = 0, plant=None,
             start: str = "2024-01-01", arrivals_per_day: float = 100.0,
             wait="30min", wait_sigma: float = 1.0, waits: dict | None = None,
             duration="5min", duration_sigma: float = 0.5, durations: dict | None = None,
             working_hours: str | None = None, timezone: str = "UTC",
             teams: dict | None = None, agents_per_team: int = 4,
             pingpong_team: str | None = None, outside_team: str | None = None,
             channels=None, repeat_customer_share: float = 0.2, max_loops: int = 3,
             max_runs: int = 20_000, case_prefix: str = "T",
             customer_prefix: str = "C") -> SimulatedLog:
    """Play a flowchart out into an event log, planting known problems.

    Parameters
    ----------
    flowchart : Flowchart, str or pathlib.Path
        The chart, or a YAML/BPMN file read with :func:`cs_mining.read_flowchart`.
    cases : int, default=1000
    seed : int, default=0
        Same seed, same log (identical DataFrame); another seed, another log.
    plant : str, dict or None
        Problems to plant, e.g. ``"skip:record=0.05,slow:triage->diagnose=x6"``
        (see :func:`parse_plant`).  Each share-valued plant goes to exactly
        ``round(share * cases)`` cases, disjoint from the other plants' cases.
    start : str, default="2024-01-01"
        When the first case may arrive (read in ``timezone`` when naive).
    arrivals_per_day : float, default=100.0
        Cases arrive as a Poisson stream at this rate.
    wait, duration : str or float, default="30min", "5min"
        Median wait before a step and median processing time of a step
        (lognormal, with ``wait_sigma`` and ``duration_sigma``).  A step with a
        ``wait_target`` waits half its target by default.
    waits, durations : dict, optional
        Per step id: a median (``"4h"``) or ``(median, sigma)``.
    working_hours : str, optional
        E.g. ``"Mon-Fri 08:00-18:00"``: every step starts and ends inside
        these hours in ``timezone``; a wait that ends outside them moves to the
        next opening.  Default: round the clock.
    timezone : str, default="UTC"
    teams : dict, optional
        Step id -> team name (default: every step in ``"Service desk"``).
        Each case keeps one agent per team, drawn from ``agents_per_team``.
    pingpong_team : str, optional
        The team that ping-pong cases bounce to (default: another team of the
        chart, else ``"Back office"``).
    outside_team : str, optional
        Team of planted unknown activities (default: read off the name,
        ``"Transfer to billing"`` -> ``"Billing"``).
    channels : str, dict or None
        One channel, or ``{channel: weight}``; default the chart's touchpoint.
    repeat_customer_share : float, default=0.2
        Share of cases opened by a customer who had an earlier case.
    max_loops : int, default=3
        A node is visited at most ``1 + max_loops`` times per case.
    max_runs : int, default=20000
        Refuse charts with more distinct runs than this.
    case_prefix, customer_prefix : str, default="T", "C"

    Returns
    -------
    SimulatedLog
        ``.events`` and ``.truth``; ``.write(path)`` saves both.

    Raises
    ------
    ConfigError
        On a bad option or a plant the chart cannot carry (the message says why).
    FlowchartError
        When the chart has problems (:meth:`Flowchart.check`).

    Notes
    -----
    The planted kinds and the deviation compare must report for each
    (labels of steps; a case gets at most one):

    - ``skip:S`` -> ``skipped_step`` (activity S, source/target the steps
      around the gap): one occurrence of S removed where S lies on every way
      between its neighbours.
    - ``rework:S`` -> ``rework`` (activity S, source S, target S): S done
      twice in a row; ``rework:C->B`` -> ``rework`` (activity B, source C,
      target B): after C the case goes back to B and redoes B..C.
    - ``unknown:NAME[@S]`` -> ``unknown_activity`` (activity NAME): an
      activity no step claims, inserted (after S), done by an outside team.
    - ``unexpected:X->Y`` -> ``unexpected_transition`` (source X, target Y):
      Y inserted after X, where Y can never follow X and Y was not done
      before (e.g. both branches of a decision).
    - ``wrong_end[:S]`` -> ``wrong_end`` (activity = the new last step):
      the case stops before a designed last step.
    - ``slow:X->Y=xF``: every wait on X -> Y is F times longer (all cases).
    - ``pingpong[:S]``: cases whose run repeats S (a loop the chart allows)
      get teams alternating event by event between S's first and last
      occurrence: ``org:group`` alternates between two teams at least 3
      times in a row.  Their activities conform.

    Examples
    --------
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("Ticket").start("s").step("open", "Open").step("fix", "Fix")
    ...          .step("close", "Close").end("e").chain("s", "open", "fix", "close", "e").build())
    >>> sim = simulate(chart, cases=3, seed=7, wait="1h", duration="10min")
    >>> sim.events[["case:concept:name", "concept:name", "org:group"]].head(4)
      case:concept:name concept:name     org:group
    0                T1         Open  Service desk
    1                T1          Fix  Service desk
    2                T1        Close  Service desk
    3                T2         Open  Service desk
    >>> simulate(chart, cases=3, seed=7).events.equals(simulate(chart, cases=3, seed=7).events)
    True
    """
    if isinstance(flowchart, (str, Path)):
        from .flowchart import read_flowchart
        flowchart = read_flowchart(flowchart)
    chart = flowchart
    problems = chart.check()
    if problems:
        raise FlowchartError(problems[0] + (f" (and {len(problems) - 1} more problems)"
                                            if len(problems) > 1 else ""), problems=problems)
    if not isinstance(cases, (int, np.integer)) or isinstance(cases, bool) or cases < 1:
        raise ConfigError(f"simulate(): cases must be a positive whole number; got {cases!r}")
    if not 0 <= repeat_customer_share < 1:
        raise ConfigError(f"simulate(): repeat_customer_share must be in [0, 1); got "
                          f"{repeat_customer_share!r}")
    if agents_per_team < 1 or arrivals_per_day <= 0:
        raise ConfigError("simulate(): agents_per_team and arrivals_per_day must be positive")
    cases = int(cases)
    rng = np.random.default_rng(seed)
    info = _Chart(chart)
    step_ids = info.steps
    teams = dict(teams or {})
    for sid in teams:
        if sid not in chart.nodes:
            info.step_id(sid, f"teams[{sid!r}]")
    team_of = {s: teams.get(s, "Service desk") for s in step_ids}
    names = {}
    for n in chart.steps:
        names[n.id] = n.label if n.matches(n.label) else (n.activities[0] if n.activities else None)
        if names[n.id] is None:
            raise ConfigError(f"simulate(): step {n.id!r} has a pattern that its label "
                              f"{n.label!r} does not match; add an activities: name to log")

    base_frags = _enumerate_runs(chart, max_loops, max_runs)
    base = [_Run(list(f[0]), [names[s] for s in f[0]], list(f[1]), list(f[2]),
                 [team_of[s] for s in f[0]], q) for f, q in base_frags]

    plants, slow, pingpong = _resolve_plants(parse_plant(plant), info, base, cases)
    all_teams = list(dict.fromkeys(team_of[s] for s in step_ids))
    home = partner = None
    groups = []                                  # (plant, derived runs)
    for p in plants:
        outside = _team_of_outside(p.name, outside_team) if p.name else None
        derived = _variants(p, base, info, outside)
        if not derived and round(p.value * cases) > 0:
            raise ConfigError(f"simulate(): plant {p.text!r} fits no run of {chart.name!r}"
                              f"{_why_not(p, info)}")
        for run in derived:
            run.acts = [names[s] if a is None else a for s, a in zip(run.steps, run.acts)]
            run.teams = [team_of[s] if t is None else t for s, t in zip(run.steps, run.teams)]
        if p.kind == "pingpong":
            home = team_of[p.step]
            partner = pingpong_team or next((t for t in all_teams if t != home), "Back office")
            for run in derived:
                at = [i for i, s in enumerate(run.steps) if s == p.step]
                for k, i in enumerate(range(at[0], at[-1] + 1)):
                    run.teams[i] = home if k % 2 == 0 else partner
        groups.append((p, derived))

    runs = base + [r for _, d in groups for r in d]
    # --- choose a run per case
    n_planted = [round(p.value * cases) for p, _ in groups]
    order = rng.permutation(cases)
    run_of = np.empty(cases, dtype=np.int64)
    offset, first = 0, len(base)
    plain = order[sum(n_planted):]
    base_w = np.array([r.weight for r in base])
    run_of[plain] = rng.choice(len(base), size=len(plain), p=base_w / base_w.sum())
    for (p, derived), n in zip(groups, n_planted):
        who = order[offset:offset + n]
        if n:
            w = np.array([r.weight for r in derived])
            run_of[who] = first + rng.choice(len(derived), size=n, p=w / w.sum())
        offset += n
        first += len(derived)

    # --- the run table: one row per event of every run
    act_names = list(dict.fromkeys(a for r in runs for a in r.acts))
    team_names = list(dict.fromkeys(all_teams + [t for r in runs for t in r.teams]))
    act_code = {a: i for i, a in enumerate(act_names)}
    team_code = {t: i for i, t in enumerate(team_names)}
    width = max(max(len(ps) for r in runs for ps in r.preds), 1)
    run_len = np.array([len(r.steps) for r in runs], dtype=np.int64)
    run_start = np.concatenate([[0], np.cumsum(run_len)[:-1]])
    rows = int(run_len.sum())
    t_act = np.empty(rows, dtype=np.int32)
    t_team = np.empty(rows, dtype=np.int32)
    t_pred = np.full((rows, width), -2, dtype=np.int64)
    t_wait = np.empty((rows, 2))
    t_dur = np.empty((rows, 2))
    t_slow = np.zeros(rows, dtype=bool)
    wait_cfg = _step_times(chart, wait, wait_sigma, waits, "wait", half_target=True)
    dur_cfg = _step_times(chart, duration, duration_sigma, durations, "duration")
    k = 0
    for r in runs:
        for i, (s, a, ps, t) in enumerate(zip(r.steps, r.acts, r.preds, r.teams)):
            t_act[k], t_team[k] = act_code[a], team_code[t]
            t_pred[k, :len(ps)] = ps
            t_wait[k] = wait_cfg.get(s, wait_cfg[None])
            t_dur[k] = dur_cfg.get(s, dur_cfg[None])
            if slow and s == slow.target and any(p >= 0 and r.steps[p] == slow.source for p in ps):
                t_slow[k] = True
            k += 1
    if slow:
        t_wait[t_slow, 0] *= slow.value

    # --- events: one row per event of every case
    lengths = run_len[run_of]
    n_events = int(lengths.sum())
    case_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    case_of = np.repeat(np.arange(cases, dtype=np.int64), lengths)
    pos = np.arange(n_events, dtype=np.int64) - case_start[case_of]
    row = run_start[run_of][case_of] + pos
    del pos
    wait_s = np.rint(t_wait[row, 0] * np.exp(t_wait[row, 1] * rng.standard_normal(n_events)))
    dur_s = np.maximum(1, np.rint(t_dur[row, 0] * np.exp(t_dur[row, 1]
                                                           * rng.standard_normal(n_events))))
    wait_s, dur_s = wait_s.astype(np.int64), dur_s.astype(np.int64)

    hours = _Hours(working_hours, _zone(timezone)) if working_hours else None
    t0 = pd.Timestamp(start)
    t0 = (t0.tz_localize(_zone(timezone)) if t0.tzinfo is None else t0).tz_convert("UTC")
    t0 = int(t0.value // 10**9)
    arrival = t0 + np.floor(np.cumsum(rng.exponential(_DAY / arrivals_per_day, cases))) \
        .astype(np.int64)
    if hours:
        arrival = hours.next_open(arrival)
    begin = np.empty(n_events, dtype=np.int64)
    end = np.empty(n_events, dtype=np.int64)
    ready = np.empty(n_events, dtype=np.int64)
    for k in range(int(run_len.max())):
        live = np.nonzero(lengths > k)[0]
        idx = case_start[live] + k
        preds = t_pred[row[idx]]
        at = np.full(len(idx), np.iinfo(np.int64).min)
        for c in range(width):
            p = preds[:, c]
            at = np.maximum(at, np.where(p == -1, arrival[live],
                                         np.where(p >= 0, end[case_start[live] + np.maximum(p, 0)],
                                                  np.iinfo(np.int64).min)))
        ready[idx] = at
        if hours:
            begin[idx], end[idx] = hours.place(at + wait_s[idx], dur_s[idx])
        else:
            begin[idx] = at + wait_s[idx]
            end[idx] = begin[idx] + dur_s[idx]
    del wait_s, dur_s
    if any(any(r.par) for r in runs):
        order_ev = np.lexsort((np.arange(n_events), end, case_of))
    else:
        order_ev = None

    # --- columns
    digits = len(str(cases))
    case_ids = [f"{case_prefix}{i:0{digits}d}" for i in range(1, cases + 1)]
    used = set()
    codes = [_short(t, used) for t in team_names]
    agent_names = [f"{c}-{a + 1}" for c in codes for a in range(agents_per_team)]
    agent_pick = rng.integers(0, agents_per_team, size=(cases, len(team_names)),
                              dtype=np.int16 if agents_per_team < 2**15 else np.int64)
    ch_names, ch_p = _channels(channels, chart)
    channel_of = rng.choice(len(ch_names), size=cases, p=ch_p)
    customer_of = _customers(rng, cases, repeat_customer_share)
    n_customers = int(customer_of.max()) + 1
    cust_digits = len(str(n_customers))
    customer_names = [f"{customer_prefix}{i:0{cust_digits}d}" for i in range(1, n_customers + 1)]
    ev_team = t_team[row]
    agent = ev_team.astype(np.int64) * agents_per_team + agent_pick[case_of, ev_team]

    def take(a):
        return a if order_ev is None else a[order_ev]

    def cat(codes, categories):
        return pd.Categorical.from_codes(take(codes), categories=pd.Index(categories))

    def stamp(seconds):
        return pd.to_datetime(take(seconds) * 1_000_000, unit="us", utc=True)

    events = pd.DataFrame({
        "case:concept:name": cat(case_of, case_ids),
        "concept:name": cat(t_act[row], act_names),
        "time:timestamp": stamp(end),
        "start_timestamp": stamp(begin),
        "org:resource": cat(agent, agent_names),
        "org:group": cat(ev_team, team_names),
        "channel": cat(channel_of[case_of], ch_names),
        "request_type": pd.Categorical.from_codes(np.zeros(n_events, dtype=np.int8),
                                                  categories=[chart.request_type or chart.name]),
        "customer": cat(customer_of[case_of], customer_names),
    })
    truth = _truth(chart, seed, cases, n_events, groups, n_planted, order, run_of, len(base),
                   case_ids, slow, t_slow[row], begin - ready, case_of, info, plant,
                   (home, partner))
    _warn_natural_pingpong(events, truth)
    return SimulatedLog(events, truth, chart)


def _why_not(p, info):
    if p.kind == "skipped_step":
        return (f" (it must skip {info.label(p.step)!r} between two steps that cannot follow "
                f"each other directly, outside parallel branches)")
    if p.kind == "unexpected_transition":
        return (f" (it needs a run with {info.label(p.source)!r} but without "
                f"{info.label(p.target)!r}, where the step after {info.label(p.source)!r} "
                f"may follow {info.label(p.target)!r})")
    if p.kind == "pingpong":
        return (f" (it needs runs where {info.label(p.step)!r} repeats with at least 3 events "
                f"from its first to its last occurrence; raise max_loops)")
    return ""


def _zone(name):
    from zoneinfo import ZoneInfo
    try:
        ZoneInfo(str(name))
    except Exception:
        raise ConfigError(f"simulate(): unknown timezone {name!r} (use e.g. 'Europe/Riga')") \
            from None
    return str(name)


def _step_times(chart, default, sigma, overrides, what, half_target=False):
    cfg = {None: _median_sigma(default, sigma, what, "default")}
    for n in chart.steps:
        if half_target and n.wait_target_s:
            cfg[n.id] = (n.wait_target_s / 2, sigma)
    for sid, value in (overrides or {}).items():
        if sid not in chart.nodes:
            raise ConfigError(f"simulate(): {what}s names {sid!r}, which is not a step of "
                              f"{chart.name!r}")
        cfg[sid] = _median_sigma(value, sigma, what, sid)
    return cfg


def _channels(channels, chart):
    if channels is None:
        channels = chart.touchpoint or "phone"
    if isinstance(channels, str):
        return [channels], np.array([1.0])
    names = list(channels)
    w = np.array([float(channels[c]) for c in names])
    if not len(w) or (w < 0).any() or w.sum() <= 0:
        raise ConfigError(f"simulate(): channels needs positive weights; got {channels!r}")
    return names, w / w.sum()


def _customers(rng, cases, share):
    """Customer number per case: a share of cases come from a customer seen before."""
    again = rng.random(cases) < share
    again[0] = False
    new_so_far = np.cumsum(~again)                     # customers known when the case opens
    pick = np.floor(rng.random(cases) * new_so_far).astype(np.int64)
    return np.where(again, pick, new_so_far - 1)


def _truth(chart, seed, cases, n_events, groups, n_planted, order, run_of, n_base, case_ids,
           slow, ev_slow, wait_s, case_of, info, plant, pingpong_teams):
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
    return GroundTruth(seed=seed, cases=cases, events=n_events, flowchart=chart.name,
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


# ----------------------------------------------------------------------------- samples

_DESK = "Mon-Fri 08:00-18:00"
SAMPLES = {
    "service_request_phone": dict(
        cases=1000, seed=11, start="2024-03-04", arrivals_per_day=60, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/London",
        plant="skip:record=0.04,rework:record=0.03,unknown:Transfer to billing@account=0.03,"
              "slow:create->advise=x8",
        teams={"waitlist": "Scheduling", "report": "Field service", **{
            s: "Call centre" for s in ("answer", "account", "record", "create", "advise",
                                       "close")}}),
    "service_request_phone_lv": dict(
        cases=1000, seed=12, start="2024-03-04", arrivals_per_day=60, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/Riga",
        plant="skip:record=0.04,rework:record=0.03,"
              "unknown:Pārsūtīt uz grāmatvedību@account=0.03,slow:create->advise=x8",
        outside_team="Grāmatvedība",
        teams={"waitlist": "Plānošana", "report": "Lauka serviss", **{
            s: "Zvanu centrs" for s in ("answer", "account", "record", "create", "advise",
                                        "close")}}),
    "order_out_of_stock": dict(
        cases=1000, seed=21, start="2024-05-06", arrivals_per_day=80, wait_sigma=0.5,
        channels={"web": 0.6, "phone": 0.4},
        plant="unexpected:reserve->backorder=0.04,unexpected:backorder->alternative=0.02,"
              "wrong_end=0.05",
        teams={"receive": "Order desk", "check": "Order desk", "alternative": "Order desk",
               "cancel": "Order desk", "reserve": "Warehouse", "confirm": "Warehouse",
               "ship": "Warehouse", "backorder": "Purchasing", "invoice": "Accounts"}),
    "complaint_email": dict(
        cases=1000, seed=31, start="2024-09-02", arrivals_per_day=40, wait_sigma=0.5,
        working_hours=_DESK, timezone="Europe/Dublin",
        plant="unknown:Forward to billing@investigate=0.05,"
              "unknown:Forward to logistics@assign=0.02,"
              "pingpong:investigate=0.05,rework:reply->resolve=0.03,slow:assign->investigate=x5",
        pingpong_team="Product support",
        teams={"log": "Service desk", "acknowledge": "Service desk", "assign": "Service desk",
               "close": "Service desk", "investigate": "Complaints", "reassign": "Complaints",
               "resolve": "Complaints", "reply": "Complaints", "escalate": "Supervisors"}),
    "technical_query_chat": dict(
        cases=1000, seed=41, start="2024-11-04", arrivals_per_day=120, wait_sigma=0.5,
        working_hours="Mon-Sat 08:00-20:00", timezone="Asia/Kolkata",
        plant="skip:kb=0.06,wrong_end=0.03,unknown:Transfer to sales@identify=0.02,"
              "slow:consult->callback=x4",
        teams={"accept": "Chat agents", "identify": "Chat agents", "kb": "Chat agents",
               "answer": "Chat agents", "close": "Chat agents", "consult": "Specialists",
               "callback": "Chat agents"}),
}


def make_samples(folder, *, flowcharts=None) -> list:
    """Rebuild every synthetic sample log in ``folder`` from its flowchart, deterministically.

    For each name in :data:`SAMPLES`, reads ``<name>.yaml`` from ``flowcharts``
    (default: ``folder``), calls :func:`simulate` with the recorded arguments and
    writes ``<name>.csv`` and ``<name>.truth.json`` into ``folder``.

    Parameters
    ----------
    folder : str or pathlib.Path
    flowcharts : str or pathlib.Path, optional

    Returns
    -------
    list of pathlib.Path
        The CSV files written.

    Examples
    --------
    >>> sorted(SAMPLES)  # doctest: +NORMALIZE_WHITESPACE
    ['complaint_email', 'order_out_of_stock', 'service_request_phone',
     'service_request_phone_lv', 'technical_query_chat']
    >>> make_samples("sample_logs")  # doctest: +SKIP
    """
    from .flowchart import read_flowchart
    folder = Path(folder)
    source = Path(flowcharts) if flowcharts is not None else folder
    written = []
    for name, kwargs in SAMPLES.items():
        chart = read_flowchart(source / f"{name}.yaml")
        written.append(simulate(chart, **kwargs).write(folder / f"{name}.csv"))
    return written
