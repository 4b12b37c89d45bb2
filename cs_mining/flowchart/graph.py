"""What the flowchart allows, step by step, read off the Petri net's reachable states.

Every relation here comes from one place, the reachability graph of
:meth:`Flowchart.to_petri_net`, so parallel interleavings, inclusive
branches and gateways are handled once.  Silent moves (gateways, start,
end) are skipped over: ``A`` is followed by ``B`` when some run has ``B``
right after ``A`` with only silent moves in between.

Examples
--------
>>> from cs_mining.flowchart import FlowchartBuilder
>>> chart = (FlowchartBuilder("Parallel").start("s").step("A").parallel("fork")
...          .step("B").step("C").parallel("join").step("D").end("e")
...          .chain("s", "A", "fork", "B", "join", "D", "e").chain("fork", "C", "join")
...          .build())
>>> sorted(chart.allowed_transitions())
[('A', 'B'), ('A', 'C'), ('B', 'C'), ('B', 'D'), ('C', 'B'), ('C', 'D')]
>>> chart.first_steps(), chart.last_steps()
({'A'}, {'D'})
>>> chart.runs()
[('A', 'B', 'C', 'D'), ('A', 'C', 'B', 'D')]
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque

import networkx as nx

from ..errors import ConfigError
from .petri import coreachable, explore

__all__ = ["to_networkx", "relations", "step_graph", "runs", "arrow_pairs", "StepRelations"]


def to_networkx(chart) -> nx.DiGraph:
    """Return the chart as drawn: one graph node per flowchart node, one edge per arrow."""
    g = nx.DiGraph(name=chart.name)
    for n in chart.node_list:
        g.add_node(n.id, kind=n.kind, label=n.label, activities=list(n.activities),
                   pattern=n.pattern, wait_target_s=n.wait_target_s)
    for a in chart.arrows:
        g.add_edge(a.source, a.target, label=a.label, probability=a.probability)
    return g


class StepRelations:
    """The step-level facts of one chart, computed once from its reachability graph.

    ``concurrent`` holds the pairs of steps enabled together in some reachable
    marking that has tokens enough for both at once: the branches of a
    parallel block, or of an inclusive one.  Either/or branches, even inside a
    loop, compete for one token and are not concurrent.
    """

    def __init__(self, chart):
        self.chart = chart
        self.model = chart.to_petri_net()
        self.rg = explore(self.model)
        self.alive = coreachable(self.rg)
        rg, alive = self.rg, self.alive
        closure = [self._silent_closure(k) for k in range(len(rg.states))]
        next_steps = [{step for s in closure[k] for step, j in rg.edges[s]
                       if step is not None and j in alive} for k in range(len(rg.states))]
        self.first = set(next_steps[0]) if 0 in alive else set()
        self.allowed, self.last = set(), set()
        later_of = {}
        self.reach = set()
        for k, out in enumerate(rg.edges):
            if k not in alive:
                continue
            for step, j in out:
                if step is None or j not in alive:
                    continue
                self.allowed.update((step, b) for b in next_steps[j])
                if rg.final in closure[j]:
                    self.last.add(step)
                if j not in later_of:
                    later_of[j] = self._later_steps(j)
                self.reach.update((step, b) for b in later_of[j])
        self.concurrent = self._concurrent()

    def _concurrent(self):
        """Pairs of steps enabled together in a reachable marking with tokens enough for both."""
        visible = [(self.model.step_of[t.name], Counter({a.source.name: a.weight
                                                         for a in t.in_arcs}))
                   for t in self.model.transitions if t.label is not None]
        pairs = set()
        for k in self.alive:
            marking = Counter(dict(self.rg.states[k]))
            enabled = [(step, pre) for step, pre in visible
                       if all(marking[p] >= w for p, w in pre.items())]
            for i, (x, pre_x) in enumerate(enabled):
                for y, pre_y in enabled[i + 1:]:
                    if x != y and all(marking[p] >= w for p, w in (pre_x + pre_y).items()):
                        pairs.update({(x, y), (y, x)})
        return pairs

    def _silent_closure(self, k):
        seen, queue = {k}, deque([k])
        while queue:
            for step, j in self.rg.edges[queue.popleft()]:
                if step is None and j not in seen and j in self.alive:
                    seen.add(j)
                    queue.append(j)
        return seen

    def _later_steps(self, k):
        seen, queue, steps = {k}, deque([k]), set()
        while queue:
            for step, j in self.rg.edges[queue.popleft()]:
                if j not in self.alive:
                    continue
                if step is not None:
                    steps.add(step)
                if j not in seen:
                    seen.add(j)
                    queue.append(j)
        return steps


def relations(chart) -> StepRelations:
    """Return the chart's cached :class:`StepRelations`."""
    if "relations" not in chart._cache:
        chart._cache["relations"] = StepRelations(chart)
    return chart._cache["relations"]


def step_graph(chart) -> nx.DiGraph:
    """Steps as nodes (with their labels), allowed transitions as edges."""
    if "step_graph" not in chart._cache:
        g = nx.DiGraph(name=chart.name)
        for n in chart.steps:
            g.add_node(n.id, label=n.label)
        g.add_edges_from(sorted(relations(chart).allowed))
        chart._cache["step_graph"] = g
    return chart._cache["step_graph"]


def require_step(chart, function, step_id):
    """Raise ConfigError unless ``step_id`` names a step of the chart."""
    ids = [n.id for n in chart.steps]
    if step_id not in ids:
        from .check import suggest
        raise ConfigError(f"{function}: {step_id!r} is not a step of {chart.name!r}"
                          f"{suggest(step_id, ids)}")


def shortest_path(chart, a, b) -> list:
    """Fewest steps from ``a`` to ``b`` (both included); ``[]`` when ``b`` never follows ``a``."""
    require_step(chart, "shortest_path()", a)
    require_step(chart, "shortest_path()", b)
    g = step_graph(chart)
    if a == b:
        return [a]
    try:
        return nx.shortest_path(g, a, b)
    except nx.NetworkXNoPath:
        return []


def runs(chart, max_runs=1000, max_repeats=1) -> list:
    """Step-id sequences of complete runs, shortest first.

    Each reachable state is visited at most ``1 + max_repeats`` times per run.
    """
    rel = relations(chart)
    rg, alive = rel.rg, rel.alive
    if rg.final is None:
        return []
    found, visits = {}, defaultdict(int)
    sequence = []

    def walk(k):
        if len(found) >= max_runs:
            return
        if k == rg.final:
            found.setdefault(tuple(sequence), None)
            return
        visits[k] += 1
        for step, j in rg.edges[k]:
            if j in alive and visits[j] <= max_repeats:
                if step is not None:
                    sequence.append(step)
                walk(j)
                if step is not None:
                    sequence.pop()
        visits[k] -= 1

    walk(0)
    return sorted(found, key=lambda run: (len(run), run))


def arrow_pairs(chart) -> set:
    """Pairs of steps joined by an arrow as drawn, through decisions and gateways.

    ``(None, B)`` marks a step an arrow from a start oval leads to, ``(A, None)``
    one that leads to an end oval.  Unlike the allowed relation, interleavings
    of parallel branches are not pairs here: nobody drew an arrow between them.

    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("P").start("s").step("A").parallel("fork")
    ...          .step("B").step("C").parallel("join").end("e")
    ...          .chain("s", "A", "fork", "B", "join", "e").chain("fork", "C", "join")
    ...          .build())
    >>> sorted(arrow_pairs(chart), key=str)
    [('A', 'B'), ('A', 'C'), ('B', None), ('C', None), (None, 'A')]
    """
    if "arrow_pairs" not in chart._cache:
        g = to_networkx(chart)
        kind = nx.get_node_attributes(g, "kind")

        def split(node):
            return kind[node] == "parallel" and g.out_degree(node) > 1

        def join(node):
            return kind[node] == "parallel" and g.in_degree(node) > 1

        def ends_of(node):
            # A path that enters a parallel branch and leaves by the join without a step
            # took an empty branch: the other branches' steps always come in between.
            seen, todo, found = {(node, False)}, [(node, False)], set()
            while todo:
                here, in_branch = todo.pop()
                for nxt in g.successors(here):
                    if in_branch and join(nxt):
                        continue
                    if kind[nxt] in ("step", "end"):
                        found.add(nxt if kind[nxt] == "step" else None)
                        continue
                    state = (nxt, in_branch or split(nxt))
                    if state not in seen:
                        seen.add(state)
                        todo.append(state)
            return found

        chart._cache["arrow_pairs"] = {
            (None if kind[n] == "start" else n, b)
            for n in g if kind[n] in ("step", "start") for b in ends_of(n)
            if not (kind[n] == "start" and b is None)}
    return chart._cache["arrow_pairs"]
