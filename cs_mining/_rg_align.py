"""Optimal alignments of a case's steps on the flowchart's reachability graph.

On charts with parallel or inclusive blocks the pairwise rules of
:mod:`cs_mining._deviations` see only neighbouring steps, and every neighbour
pair inside a block is some legal interleaving: a step done twice inside the
block, or both branches of a decision inside it, breaks no pair.  An optimal
alignment sees the whole case.  The chart's reachability graph is small (its
states are the markings of the flowchart's Petri net), so the alignment is a
shortest path in the product of the graph and the case, found by dynamic
programming over the case's events:

* a *sync* move does the case's next step on an arrow of the graph (cost 0);
* a *log* move passes over one of the case's steps (cost ``STEP + EXTRA``, or
  ``STEP - REPEAT`` when the case did that step before);
* a *model* move does a step the case left out (cost ``STEP``);
* a silent move (a gateway) costs 1.

So the fewest log and model moves win, as in pm4py's standard costs; among
those, a step done again is read as done again (``Call, Call, E-mail`` in a
loop of ``Call || E-mail`` redoes Call rather than running a second round that
leaves E-mail out), and otherwise a step left out beats a step extra (it
explains ``B, D`` in a block ``B || (C -> D)`` better than calling D extra);
then the fewest silent moves.  Remaining ties are broken so that a
repeated step is the *later* occurrence passed over, and a step left out is
placed as late as it could be.

Examples
--------
>>> from cs_mining.flowchart import FlowchartBuilder
>>> chart = (FlowchartBuilder("Order").start("s").step("open", "Open")
...          .parallel("split").step("stock", "Check stock").step("credit", "Check credit")
...          .parallel("join").step("confirm", "Confirm").end("e")
...          .chain("s", "open", "split").arrow("split", "stock").arrow("split", "credit")
...          .arrow("stock", "join").arrow("credit", "join").chain("join", "confirm", "e")
...          .build())
>>> aligner = Aligner.of(chart)
>>> aligner.align(["open", "stock", "credit", "stock", "confirm"])
[('sync', 'open'), ('sync', 'stock'), ('sync', 'credit'), ('log', 'stock'), ('sync', 'confirm')]
>>> aligner.align(["open", "confirm"])
[('sync', 'open'), ('model', 'stock'), ('model', 'credit'), ('sync', 'confirm')]
"""

from __future__ import annotations

import heapq

import numpy as np

from .flowchart.graph import relations

STEP = 1_000_000
EXTRA = 1_000
REPEAT = 500
MAX_STATES = 1500


class Aligner:
    """Alignments of step-id sequences on one chart's reachability graph."""

    def __init__(self, chart):
        rel = relations(chart)
        rg, alive = rel.rg, rel.alive
        order = sorted(alive)
        index = {k: i for i, k in enumerate(order)}
        self.n = n = len(order)
        self.initial = index.get(0)
        self.final = index.get(rg.final)
        self.steps = sorted({step for k in order for step, j in rg.edges[k]
                             if step is not None and j in alive})
        code = {s: c for c, s in enumerate(self.steps)}
        self.code = code
        # edges[i] = [(target, cost, step code or -1 for silent)], alive states only
        self.out = [[(index[j], 1 if step is None else STEP, -1 if step is None else code[step])
                     for step, j in rg.edges[k] if j in alive] for k in order]
        self.by_step = {c: (np.array([i for i in range(n) for t, _, s in self.out[i] if s == c],
                                     dtype=np.int64),
                            np.array([t for i in range(n) for t, _, s in self.out[i] if s == c],
                                     dtype=np.int64))
                        for c in range(len(self.steps))}
        self.succ = [{} for _ in range(n)]
        for i in range(n):
            for t, _, c in self.out[i]:
                if c >= 0:
                    self.succ[i].setdefault(c, []).append(t)
        self._closures = [frozenset(self._closure({i})) for i in range(n)]
        self._all_pairs()

    @classmethod
    def of(cls, chart) -> Aligner | None:
        """The chart's cached aligner; None when its graph is too large to align this way."""
        if "aligner" not in chart._cache:
            rel = relations(chart)
            small = rel.rg.final is not None and len(rel.alive) <= MAX_STATES
            chart._cache["aligner"] = cls(chart) if small else None
        return chart._cache["aligner"]

    def _all_pairs(self):
        """Cheapest model-only paths between all states (Dijkstra from each)."""
        n = self.n
        self.dist = np.full((n, n), np.inf)
        self.parent = np.full((n, n), -1, dtype=np.int64)
        self.parent_step = np.full((n, n), -1, dtype=np.int64)
        for src in range(n):
            dist, parent, parent_step = self.dist[src], self.parent[src], self.parent_step[src]
            dist[src] = 0
            heap = [(0, src)]
            while heap:
                d, i = heapq.heappop(heap)
                if d > dist[i]:
                    continue
                for t, cost, step in self.out[i]:
                    if d + cost < dist[t]:
                        dist[t] = d + cost
                        parent[t], parent_step[t] = i, step
                        heapq.heappush(heap, (d + cost, t))

    def _model_path(self, a: int, b: int) -> list[str]:
        """The visible steps on the cheapest model-only path from state a to state b."""
        steps = []
        while b != a:
            if self.parent_step[a, b] >= 0:
                steps.append(self.steps[self.parent_step[a, b]])
            b = self.parent[a, b]
        return steps[::-1]

    def walk(self, steps) -> frozenset | None:
        """States after doing ``steps`` on sync moves and silent ones only; None when stuck."""
        current = self._closures[self.initial]
        succ, closures, code = self.succ, self._closures, self.code
        for s in steps:
            c = code.get(s)
            nxt = set()
            for state in current:
                for t in succ[state].get(c, ()):
                    nxt |= closures[t]
            if not nxt:
                return None
            current = nxt
        return frozenset(current)

    def complete(self, states) -> bool:
        """True when ``states`` (from :meth:`walk`) include the end."""
        return self.final in states

    def _closure(self, states: set) -> set:
        todo, seen = list(states), set(states)
        while todo:
            for t, _, step in self.out[todo.pop()]:
                if step < 0 and t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen

    def to_final(self, states: set) -> list[str]:
        """The fewest steps that take one of ``states`` to the end."""
        best = min(states, key=lambda s: self.dist[s, self.final])
        return self._model_path(best, self.final)

    def align(self, steps) -> list[tuple[str, str]]:
        """An optimal alignment of ``steps`` (step ids) as ``(move, step)`` pairs.

        ``move`` is ``sync`` (done as designed), ``log`` (done, but the chart
        has no place for it here) or ``model`` (left out).
        """
        dist, n = self.dist, self.n
        e_prev = dist[self.initial].copy()
        fs, es = [], [e_prev]
        log_cost, seen = [], set()
        for s in steps:
            log_cost.append(STEP - REPEAT if s in seen else STEP + EXTRA)
            seen.add(s)
        for s, cost in zip(steps, log_cost):
            f = e_prev + cost
            c = self.code.get(s)
            if c is not None:
                src, dst = self.by_step[c]
                np.minimum.at(f, dst, e_prev[src])
            e_prev = (f[:, None] + dist).min(axis=0)
            fs.append(f)
            es.append(e_prev)
        moves = []
        state = self.final
        for i in range(len(steps), -1, -1):
            e = es[i]
            before = fs[i - 1] if i > 0 else None
            if i > 0:
                total = before + dist[:, state]
            else:
                total = np.full(n, np.inf)
                total[self.initial] = dist[self.initial, state]
            ties = np.flatnonzero(total == e[state])
            # a repeated step passed over as late as possible, then steps left out
            # placed as late as possible: as many model moves here as there can be
            logged = (before[ties] == es[i - 1][ties] + log_cost[i - 1]).astype(int) if i > 0 \
                else np.zeros(len(ties), dtype=int)
            s_from = int(ties[np.lexsort((-dist[ties, state], -logged))[0]])
            moves.extend(("model", m) for m in reversed(self._model_path(s_from, state)))
            state = s_from
            if i == 0:
                break
            step = steps[i - 1]
            if before[state] == es[i - 1][state] + log_cost[i - 1]:
                moves.append(("log", step))
                continue
            c = self.code[step]
            src, dst = self.by_step[c]
            prev = [int(f) for f, t in zip(src, dst)
                    if t == state and es[i - 1][f] == before[state]]
            moves.append(("sync", step))
            state = prev[0]
        return moves[::-1]
