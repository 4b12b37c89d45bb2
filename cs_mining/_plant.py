"""Which problems to plant, and into which runs of the chart each one fits.

A plant specification is read into :class:`_Plant` items (:func:`_plant_item`,
used by :func:`cs_mining.simulate.parse_plant`), checked against the chart
(:func:`_resolve_plants`) and turned into modified copies of the chart's runs
(:func:`_variants`, :func:`_planted_runs`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import ConfigError

_PLANT_KINDS = {"skip": "skipped_step", "skipped_step": "skipped_step", "rework": "rework",
                "unknown": "unknown_activity", "unknown_activity": "unknown_activity",
                "unexpected": "unexpected_transition",
                "unexpected_transition": "unexpected_transition", "wrong_end": "wrong_end",
                "slow": "slow", "pingpong": "pingpong", "ping_pong": "pingpong"}
_PLANT_HELP = ("write e.g. 'skip:record=0.05,rework:diagnose=0.03,"
               "unknown:Transfer to billing@diagnose=0.04,unexpected:in_stock->backorder=0.02,"
               "wrong_end=0.03,slow:triage->diagnose=x6,pingpong:0.05'")


@dataclass(frozen=True)
class _Plant:
    kind: str
    step: str | None = None       # skip / rework / unknown@ / wrong_end / pingpong step
    source: str | None = None     # rework jump, unexpected, slow
    target: str | None = None
    name: str | None = None       # unknown activity name
    value: float = 0.0            # share of cases, or the slow factor
    text: str = field(default="", compare=False)


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


def _team_of_outside(name, outside_team):
    if outside_team:
        return outside_team
    m = re.search(r"\bto (?:the )?(.+)$", name, flags=re.IGNORECASE)
    return m.group(1)[:1].upper() + m.group(1)[1:] if m else "Other department"


def _planted_runs(plants, base, info, names, team_of, all_teams, outside_team, pingpong_team,
                  cases):
    """Return ([(plant, derived runs)], home, partner): each plant's runs, logged and staffed.

    ``home`` and ``partner`` are the two teams ping-pong cases bounce between.
    """
    home = partner = None
    groups = []                                  # (plant, derived runs)
    for p in plants:
        outside = _team_of_outside(p.name, outside_team) if p.name else None
        derived = _variants(p, base, info, outside)
        if not derived and round(p.value * cases) > 0:
            raise ConfigError(f"simulate(): plant {p.text!r} fits no run of {info.chart.name!r}"
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
    return groups, home, partner
