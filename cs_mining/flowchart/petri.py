"""The flowchart as a Petri net, and the net's reachable states.

The net is built directly from pm4py's objects rather than through pm4py's
BPMN converter, which merges several end events into one sink without a join
and drops what it does not know (pm4py 2.7,
objects/conversion/bpmn/variants/to_petri_net.py).

Construction
------------
- every step is one visible transition, labelled with the step's label;
  start, end, decisions and gateways become silent transitions (label None);
- several arrows into a step, decision or end are an either/or merge (they
  share one place); several arrows out of a step or decision are an either/or
  choice (one silent transition per arrow);
- a ``parallel`` node is one silent transition that waits for a token on
  every incoming arrow and puts one on every outgoing arrow;
- an ``inclusive`` split opens every branch; each branch is then either
  started or skipped by a silent transition, skipping is allowed only once some
  branch has started (a private place remembers it), and the matching inclusive
  join waits for every branch.  This has the same language as one split
  transition per non-empty subset of branches, but lets pm4py's token-based
  replay, which picks silent transitions greedily, replay every run: with one
  transition per subset it commits to ``{B}`` on seeing ``B`` and then cannot
  replay ``A, B, C, D`` (fitness 0.89);
- every start shares the source place and every end the sink place, so the
  final marking (one token in the sink) is reached on every run of a sound
  chart.

:meth:`Flowchart.to_petri_net` then removes the silent transitions that only
pass a token on (:func:`fuse_silent`): a decision becomes one place that its
branches' steps consume from, and a parallel split right after a step becomes
part of that step.  The language stays the same; pm4py's token replay, which
tests every transition for every event and searches silent paths for every
event that is not enabled, runs faster and guesses less.

Examples
--------
>>> from cs_mining.flowchart import FlowchartBuilder
>>> chart = (FlowchartBuilder("Order").start("s").step("take", "Take order")
...          .end("e").chain("s", "take", "e").build())
>>> model = chart.to_petri_net()
>>> model
<PetriNetModel 'Order': 2 places, 1 transitions (1 visible)>
>>> sorted(t.label for t in model.net.transitions if t.label)
['Take order']
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import networkx as nx

if TYPE_CHECKING:  # pm4py takes about a second to import: only when a net is built
    from pm4py.objects.petri_net.obj import Marking, PetriNet

from ..errors import FlowchartError

__all__ = ["PetriNetModel", "build_petri_net", "explore", "fuse_silent"]

SOURCE, SINK = "source", "sink"
MAX_STATES = 200_000
MAX_TOKENS = 20


@dataclass(frozen=True, eq=False)
class PetriNetModel:
    """A workflow net with its initial and final marking, ready for pm4py.

    Attributes
    ----------
    net : pm4py.objects.petri_net.obj.PetriNet
    initial_marking, final_marking : pm4py.objects.petri_net.obj.Marking
    step_of : dict
        Visible transition name -> step id.

    Examples
    --------
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = FlowchartBuilder("x").start("s").step("a").end("e").chain("s", "a", "e").build()
    >>> import pm4py
    >>> m = chart.to_petri_net()
    >>> pm4py.check_soundness(m.net, m.initial_marking, m.final_marking)[0]
    True
    """

    net: PetriNet
    initial_marking: Marking
    final_marking: Marking
    step_of: dict = field(default_factory=dict, repr=False)
    transitions: tuple = field(default=(), repr=False)
    place_names: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        visible = sum(t.label is not None for t in self.net.transitions)
        return (f"<PetriNetModel {self.net.name!r}: {len(self.net.places)} places, "
                f"{len(self.net.transitions)} transitions ({visible} visible)>")


def _adjacency(chart):
    outgoing, incoming = defaultdict(list), defaultdict(list)
    for i, a in enumerate(chart.arrows):
        if a.source in chart.nodes and a.target in chart.nodes:
            outgoing[a.source].append(i)
            incoming[a.target].append(i)
    return outgoing, incoming


def inclusive_blocks(chart):
    """Match every inclusive split with its join.

    Returns ``(blocks, problems)``: ``blocks`` maps a split id to
    ``(join id, [(arrow out of the split, arrow into the join), ...])`` and
    ``problems`` lists ``(line, message)`` for splits and joins left unmatched.
    The join is the split's immediate post-dominator; each branch must reach
    the join through exactly one of its incoming arrows.
    """
    outgoing, incoming = _adjacency(chart)
    inclusive = [n for n in chart.node_list if n.kind == "inclusive"]
    problems, blocks = [], {}
    if not inclusive:
        return blocks, problems
    exit_ = object()
    reverse = nx.DiGraph()
    reverse.add_node(exit_)
    for a in chart.arrows:
        if a.source in chart.nodes and a.target in chart.nodes:
            reverse.add_edge(a.target, a.source)
    for n in chart.node_list:
        if n.kind == "end" or not outgoing[n.id]:
            reverse.add_edge(exit_, n.id)
    postdom = nx.immediate_dominators(reverse, exit_)
    joined = set()
    for node in inclusive:
        outs, ins = outgoing[node.id], incoming[node.id]
        if len(outs) > 1 and len(ins) > 1:
            problems.append((node.line, f"inclusive node {node.id!r} both joins and splits "
                                        "branches (use two inclusive nodes)"))
            continue
        if len(outs) <= 1:
            continue
        join = postdom.get(node.id)
        pairs = _branch_pairs(chart, outs, join, incoming, outgoing) \
            if join in chart.nodes and chart.nodes[join].kind == "inclusive" else None
        if pairs is None:
            problems.append((node.line, f"inclusive split {node.id!r} has no matching inclusive "
                                        "join (its branches must meet again at one inclusive "
                                        "node, one arrow per branch)"))
            continue
        blocks[node.id] = (join, pairs)
        joined.add(join)
    for node in inclusive:
        if len(incoming[node.id]) > 1 and len(outgoing[node.id]) <= 1 and node.id not in joined:
            problems.append((node.line, f"inclusive join {node.id!r} does not close an inclusive "
                                        "split"))
    return blocks, problems


def _branch_pairs(chart, outs, join, incoming, outgoing):
    join_arrows = incoming[join]
    if len(join_arrows) != len(outs) or len(outgoing[join]) > 1:
        return None
    pairs, used = [], set()
    for i in outs:
        first = chart.arrows[i].target
        if first == join:
            hits = [i]
        else:
            seen, queue = {first}, deque([first])
            while queue:
                for j in outgoing[queue.popleft()]:
                    t = chart.arrows[j].target
                    if t != join and t not in seen:
                        seen.add(t)
                        queue.append(t)
            hits = [j for j in join_arrows if chart.arrows[j].source in seen]
        if len(hits) != 1 or hits[0] in used:
            return None
        used.add(hits[0])
        pairs.append((i, hits[0]))
    return pairs


def build_petri_net(chart) -> PetriNetModel:
    """Build the workflow net of a chart without checking it (see module docstring)."""
    outgoing, incoming = _adjacency(chart)
    blocks, _ = inclusive_blocks(chart)
    join_of = {join: (split, pairs) for split, (join, pairs) in blocks.items()}
    from pm4py.objects.petri_net.obj import Marking, PetriNet
    from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

    net = PetriNet(chart.name)
    places, transitions, step_of, place_names = {}, [], {}, {}

    def place(name, meaning):
        if name not in places:
            places[name] = PetriNet.Place(name)
            net.places.add(places[name])
            place_names[name] = meaning
        return places[name]

    def transition(name, label, inputs, outputs, step=None):
        t = PetriNet.Transition(name, label)
        net.transitions.add(t)
        transitions.append(t)
        for p in inputs:
            add_arc_from_to(place(*p), t, net)
        for p in outputs:
            add_arc_from_to(t, place(*p), net)
        if step is not None:
            step_of[name] = step
        return t

    def is_join(node_id):
        return chart.nodes[node_id].kind in ("parallel", "inclusive") and len(incoming[node_id]) > 1

    def entry(node_id):
        node = chart.nodes[node_id]
        if node.kind == "start":
            return (SOURCE, "at the start")
        if node.kind == "end":
            return (SINK, "at the end")
        return (f"in:{node_id}", f"before {node.label!r}")

    def on_arrow(i):
        a = chart.arrows[i]
        if is_join(a.target):
            return (f"arrow:{i}:{a.source}->{a.target}", f"on arrow '{a.source} -> {a.target}'")
        return entry(a.target)

    place(SOURCE, "at the start")
    place(SINK, "at the end")
    for node in chart.node_list:
        if node.kind not in ("start", "step", "decision", "parallel", "inclusive"):
            continue
        nid, outs, ins = node.id, outgoing[node.id], incoming[node.id]
        inputs = [on_arrow(i) for i in ins] if is_join(nid) else [entry(nid)]
        if node.kind == "step":
            if len(outs) == 1:
                transition(nid, node.label, inputs, [on_arrow(outs[0])], step=nid)
            else:
                after = (f"out:{nid}", f"after {node.label!r}")
                transition(nid, node.label, inputs, [after], step=nid)
                for i in outs:
                    transition(f"tau:{nid}->{chart.arrows[i].target}", None, [after], [on_arrow(i)])
        elif node.kind == "parallel" or (node.kind == "inclusive" and nid not in blocks
                                         and nid not in join_of):
            transition(f"tau:{nid}", None, inputs, [on_arrow(i) for i in outs])
        elif nid in blocks:
            none = (f"none:{nid}", f"inside {node.label!r}, no branch started yet")
            some = (f"some:{nid}", f"inside {node.label!r}")
            entries = [(f"entry:{nid}:{k}", f"inside {node.label!r}")
                       for k in range(len(blocks[nid][1]))]
            transition(f"tau:{nid}", None, inputs, entries + [none])
            for k, (first, last) in enumerate(blocks[nid][1]):
                branch = on_arrow(first)
                transition(f"tau:{nid}:start:{k}", None, [entries[k], none], [branch, some])
                transition(f"tau:{nid}:also:{k}", None, [entries[k], some], [branch, some])
                transition(f"tau:{nid}:skip:{k}", None, [entries[k], some],
                           [on_arrow(last), some])
        elif nid in join_of:
            split = join_of[nid][0]
            some = (f"some:{split}", f"inside {chart.nodes[split].label!r}")
            transition(f"tau:{nid}", None, inputs + [some], [on_arrow(i) for i in outs])
        else:
            for i in outs:
                transition(f"tau:{nid}->{chart.arrows[i].target}", None, inputs, [on_arrow(i)])
    initial, final = Marking(), Marking()
    initial[places[SOURCE]] = 1
    final[places[SINK]] = 1
    return PetriNetModel(net, initial, final, step_of, tuple(transitions), place_names)


@dataclass
class ReachabilityGraph:
    """Markings as sorted ``(place name, tokens)`` tuples, numbered from 0 (the initial one).

    ``edges[k]`` lists ``(step id or None, target state)`` out of state ``k``;
    ``final`` is the number of the final marking or None; ``truncated`` tells
    that exploration stopped at the bound.
    """

    states: list
    edges: list
    final: int | None
    truncated: bool


def explore(model: PetriNetModel, max_states: int = MAX_STATES) -> ReachabilityGraph:
    """Enumerate the reachable markings breadth-first, in a reproducible order."""
    pre, post = [], []
    for t in model.transitions:
        pre.append([(a.source.name, a.weight) for a in t.in_arcs])
        post.append([(a.target.name, a.weight) for a in t.out_arcs])
    steps = [model.step_of.get(t.name) if t.label is not None else None
             for t in model.transitions]
    start = tuple(sorted((p.name, n) for p, n in model.initial_marking.items()))
    final_key = tuple(sorted((p.name, n) for p, n in model.final_marking.items()))
    index, states, edges = {start: 0}, [start], [[]]
    queue, truncated = deque([0]), False
    while queue:
        k = queue.popleft()
        marking = dict(states[k])
        for t, (ins, outs) in enumerate(zip(pre, post)):
            if not all(marking.get(p, 0) >= w for p, w in ins):
                continue
            new = dict(marking)
            for p, w in ins:
                new[p] -= w
            for p, w in outs:
                new[p] = new.get(p, 0) + w
            key = tuple(sorted((p, n) for p, n in new.items() if n))
            if key not in index:
                if len(states) >= max_states or any(n > MAX_TOKENS for _, n in key):
                    truncated = True
                    continue
                index[key] = len(states)
                states.append(key)
                edges.append([])
                queue.append(index[key])
            edges[k].append((steps[t], index[key]))
    return ReachabilityGraph(states, edges, index.get(final_key), truncated)


def stuck_problems(chart) -> list:
    """Return ``(None, message)`` problems for a chart whose net is not a sound workflow net."""
    model = build_petri_net(chart)
    rg = explore(model)
    if rg.truncated:
        return [(None, f"the flowchart has more than {MAX_STATES:,} states or an unbounded "
                       "number of parallel branches (is a parallel split inside a loop?)")]
    alive = coreachable(rg)
    bad = [k for k in range(len(rg.states)) if k not in alive]
    if not bad:
        return []
    stuck = [k for k in bad if not rg.edges[k]] or bad
    marking = rg.states[stuck[0]]
    where = " and ".join(f"{'a token' if n == 1 else f'{n} tokens'} {model.place_names[p]}"
                         for p, n in marking)
    if any(p == SINK for p, _ in marking):
        return [(None, f"a run can reach the end while other branches still run ({where}); "
                       "join parallel branches before the end")]
    return [(None, f"a run can get stuck with {where} (does a parallel or inclusive join "
                   "wait for a branch that was not taken?)")]


def coreachable(rg: ReachabilityGraph) -> set:
    """States from which the final marking can be reached."""
    if rg.final is None:
        return set()
    back = defaultdict(list)
    for k, out in enumerate(rg.edges):
        for _, j in out:
            back[j].append(k)
    seen, queue = {rg.final}, deque([rg.final])
    while queue:
        for k in back[queue.popleft()]:
            if k not in seen:
                seen.add(k)
                queue.append(k)
    return seen


def require_net(chart) -> PetriNetModel:
    """Build the lean net of a chart that passes :meth:`Flowchart.check`, else raise FlowchartError."""
    problems = chart.check()
    if problems:
        raise FlowchartError.from_problems(problems)
    return fuse_silent(build_petri_net(chart))


def fuse_silent(model: PetriNetModel) -> PetriNetModel:
    """Remove, in place, the silent transitions that only pass one token on; return the model.

    Two language-preserving fusions (Murata 1989, series places and series
    transitions), repeated until neither applies; neither touches the source or
    the sink:

    - a silent transition whose only input place has no other consumer and
      exactly one producer ``u`` is merged into ``u`` (``u`` puts the tokens
      where the silent transition would have);
    - a silent transition with one input place ``p`` and one output place ``q``
      that nothing else fills is removed with ``q``; ``q``'s consumers take
      from ``p`` instead (a decision becomes a choice between the steps that
      consume from one place);
    - a silent transition with several input places that feed nothing else
      and one output place ``q`` that nothing else fills (a parallel join) is
      removed with ``q``; each of ``q``'s consumers takes from all those
      places instead.

    A flowchart without inclusive blocks or loops back to a join usually
    ends with no silent transition at all; then token replay never searches
    for silent paths, and its result cannot depend on the order in which it
    meets the net's transitions.

    Examples
    --------
    >>> from cs_mining.flowchart import FlowchartBuilder
    >>> chart = (FlowchartBuilder("Route").start("s").step("a", "A").decision("d")
    ...          .step("b", "B").step("c", "C").end("e")
    ...          .chain("s", "a", "d").chain("d", "b", "e").chain("d", "c", "e").build())
    >>> build_petri_net(chart)
    <PetriNetModel 'Route': 6 places, 6 transitions (3 visible)>
    >>> fuse_silent(build_petri_net(chart))
    <PetriNetModel 'Route': 3 places, 3 transitions (3 visible)>
    """
    from pm4py.objects.petri_net.utils.petri_utils import (add_arc_from_to, remove_place,
                                                           remove_transition)

    net = model.net
    kept = set(model.initial_marking) | set(model.final_marking)

    def single(arcs, end):
        return len(arcs) == 1 and next(iter(arcs)).weight == 1 and end(next(iter(arcs)))

    def inputs(x):
        return {a.source for a in x.in_arcs}

    def outputs(x):
        return {a.target for a in x.out_arcs}

    def fuse_once() -> bool:
        for t in sorted(net.transitions, key=lambda t: t.name):
            if t.label is None and len(t.in_arcs) > 1 and single(t.out_arcs, lambda a: True):
                (q,) = outputs(t)
                ins, consumers = inputs(t), outputs(q)
                if q not in kept and inputs(q) == {t} and t not in consumers \
                        and all(outputs(p) == {t} and p not in kept for p in ins) \
                        and all(a.weight == 1 for x in (t, q) for a in x.in_arcs | x.out_arcs) \
                        and not any(ins & inputs(v) for v in consumers):
                    remove_transition(net, t)
                    remove_place(net, q)
                    for v in consumers:
                        for p in ins:
                            add_arc_from_to(p, v, net)
                    return True
            if t.label is not None or not single(t.in_arcs, lambda a: True):
                continue
            (p,) = inputs(t)
            if p not in kept and outputs(p) == {t} and single(p.in_arcs, lambda a: a.source is not t) \
                    and all(a.weight == 1 for a in t.out_arcs):
                (u,) = inputs(p)
                if not outputs(u) & outputs(t):
                    targets = outputs(t)
                    remove_transition(net, t)
                    remove_place(net, p)
                    for q in targets:
                        add_arc_from_to(u, q, net)
                    return True
            if single(t.out_arcs, lambda a: True):
                (q,) = outputs(t)
                consumers = outputs(q)
                if q not in kept and q is not p and inputs(q) == {t} and t not in consumers \
                        and single(q.in_arcs, lambda a: True) \
                        and all(a.weight == 1 for a in q.out_arcs) and not consumers & outputs(p):
                    remove_transition(net, t)
                    remove_place(net, q)
                    for v in consumers:
                        add_arc_from_to(p, v, net)
                    return True
        return False

    while fuse_once():
        pass
    transitions = tuple(t for t in model.transitions if t in net.transitions)
    names = {p.name for p in net.places}
    return PetriNetModel(net, model.initial_marking, model.final_marking, model.step_of,
                         transitions, {k: v for k, v in model.place_names.items() if k in names})
