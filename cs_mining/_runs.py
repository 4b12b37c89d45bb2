"""The ways through a flowchart a case can take, and how likely each is.

:func:`_enumerate_runs` walks the chart once (loops bounded by ``max_loops``)
and lists every run with its probability; a :class:`_Run` is one of them,
with the edits the planting makes to it (remove, insert, truncate).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .errors import ConfigError


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
