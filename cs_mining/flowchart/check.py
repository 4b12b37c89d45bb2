"""Validation of a flowchart: every problem, one line each.

:func:`problems` returns ``(line, message)`` pairs; :meth:`Flowchart.check`
prefixes them with the file and line.  Soundness (no run gets stuck, parallel
branches are joined before the end) is checked on the Petri net's reachable
states, and only when the chart has no structural problem.

Examples
--------
>>> from cs_mining.flowchart.model import Arrow, Flowchart, Node
>>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("triage"), Node("e", "end")],
...                   arrows=[Arrow("s", "triage"), Arrow("triage", "ed")])
>>> for line, message in problems(chart):
...     print(message)
arrow 'triage -> ed' points to unknown step 'ed' (did you mean 'e'?)
step 'e' cannot be reached from the start
no end can be reached from step 'triage'
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict, deque

import networkx as nx

from .model import DEVIATION_KINDS, NODE_KINDS, fold

__all__ = ["problems", "suggest", "format_problem"]

_STEP_DEVIATIONS = {"skipped_step", "rework", "unexpected_transition", "wrong_start",
                    "wrong_end", "unused_path"}


def suggest(word, candidates) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""``.

    >>> suggest("asign", ["assign", "close"])
    " (did you mean 'assign'?)"
    """
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def format_problem(path, line, message) -> str:
    """Prefix a problem with where it is: ``file:line: message``.

    >>> format_problem("chart.yaml", 4, "no end"), format_problem(None, 4, "no end")
    ('chart.yaml:4: no end', 'line 4: no end')
    """
    if path is not None:
        return f"{path}:{line}: {message}" if line is not None else f"{path}: {message}"
    return f"line {line}: {message}" if line is not None else message


def problems(chart, also=()) -> list[tuple[int | None, str]]:
    """Return every problem of the chart as ``(line, message)``.

    Problems with the nodes and arrows themselves, and those in ``also`` (found
    while reading the file), come first, in file order; then what follows from
    them, such as a step no arrow reaches because an arrow names a step that
    does not exist.
    """
    found = list(also)
    seen = set()
    found += _node_problems(chart)
    found += _arrow_problems(chart)
    found += _activity_problems(chart)
    found += _probability_problems(chart)
    found += _accepted_problems(chart)
    found = sorted(_unique(found, seen), key=lambda p: p[0] or 0)
    found += sorted(_unique(_reach_problems(chart), seen), key=lambda p: p[0] or 0)
    if not found:
        from .petri import inclusive_blocks, stuck_problems
        found += inclusive_blocks(chart)[1]
        if not found:
            found += stuck_problems(chart)
    return found


def _unique(found, seen):
    """``found`` without the messages in ``seen`` (which is updated) or repeated."""
    kept = []
    for line, message in found:
        if message not in seen:
            seen.add(message)
            kept.append((line, message))
    return kept


def _node_problems(chart):
    found, seen_ids, seen_labels = [], {}, {}
    for n in chart.node_list:
        if n.id in seen_ids:
            first = seen_ids[n.id].line
            where = f" (first defined on line {first})" if first else ""
            found.append((n.line, f"duplicate id {n.id!r}{where}"))
        else:
            seen_ids[n.id] = n
        if n.kind not in NODE_KINDS:
            choices = ", ".join(repr(k) for k in NODE_KINDS)
            found.append((n.line, f"step {n.id!r} has unknown kind {n.kind!r}; use one of "
                                  f"{choices}{suggest(n.kind, NODE_KINDS)}"))
        if n.kind == "step":
            if n.label in seen_labels and seen_labels[n.label] != n.id:
                found.append((n.line, f"steps {seen_labels[n.label]!r} and {n.id!r} have the "
                                      f"same label {n.label!r} (labels name steps in reports)"))
            seen_labels.setdefault(n.label, n.id)
            if n.pattern is not None:
                try:
                    re.compile(n.pattern)
                except re.error as err:
                    found.append((n.line, f"step {n.id!r}: pattern {n.pattern!r} is not a valid "
                                          f"regular expression ({err})"))
    kinds = {n.kind for n in chart.node_list}
    if "start" not in kinds:
        found.append((None, "no start (add a step with kind: start)"))
    if "end" not in kinds:
        found.append((None, "no end (add a step with kind: end)"))
    return found


def _arrow_problems(chart):
    found, ids = [], list(chart.nodes)
    outgoing, incoming = defaultdict(int), defaultdict(int)
    for a in chart.arrows:
        for end, verb in ((a.source, "starts at"), (a.target, "points to")):
            if end not in chart.nodes:
                found.append((a.line, f"arrow '{a.source} -> {a.target}' {verb} unknown step "
                                      f"{end!r}{suggest(end, ids)}"))
        if a.target in chart.nodes and chart.nodes[a.target].kind == "start":
            found.append((a.line, f"arrow '{a.source} -> {a.target}' points to the start "
                                  f"{a.target!r} (a start has no incoming arrows)"))
        if a.source in chart.nodes and chart.nodes[a.source].kind == "end":
            found.append((a.line, f"arrow '{a.source} -> {a.target}' leaves the end "
                                  f"{a.source!r} (an end has no outgoing arrows)"))
        if a.target in chart.nodes and a.source in chart.nodes:
            outgoing[a.source] += 1
            incoming[a.target] += 1
    for n in chart.node_list:
        # A diamond with several arrows in and one out is a merge (BPMN's converging
        # exclusive gateway), not a decision missing a branch.
        merge = outgoing[n.id] == 1 and incoming[n.id] > 1
        if n.kind == "decision" and outgoing[n.id] < 2 and not merge:
            found.append((n.line, f"decision {n.id!r} has {outgoing[n.id]} outgoing "
                                  f"branch{'es' if outgoing[n.id] != 1 else ''}; a decision "
                                  "needs at least two"))
    return found


def _reach_problems(chart):
    forward, backward = defaultdict(list), defaultdict(list)
    for a in chart.arrows:
        if a.source in chart.nodes and a.target in chart.nodes:
            forward[a.source].append(a.target)
            backward[a.target].append(a.source)
    starts = [n.id for n in chart.node_list if n.kind == "start"]
    ends = [n.id for n in chart.node_list if n.kind == "end"]
    found = []
    if starts:
        reached = _closure(starts, forward)
        found += [(n.line, f"step {n.id!r} cannot be reached from the start")
                  for n in _first_of_components(chart, reached, forward)]
    if ends:
        finishing = _closure(ends, backward)
        found += [(n.line, f"no end can be reached from step {n.id!r}")
                  for n in _first_of_components(chart, finishing, backward)]
    return found


def _first_of_components(chart, good, edges):
    """The first node of each group of bad nodes that touches good ones only through others.

    Reporting every node behind a dead end would repeat one mistake many times,
    so only the strongly connected groups nearest the break are named.
    """
    bad = list(dict.fromkeys(n.id for n in chart.node_list if n.id not in good))
    g = nx.DiGraph()
    g.add_nodes_from(bad)
    g.add_edges_from((a, b) for a in bad for b in edges[a] if b not in good)
    dag = nx.condensation(g)
    order = {node_id: k for k, node_id in enumerate(bad)}
    firsts = [min(dag.nodes[c]["members"], key=order.get) for c in dag if dag.in_degree(c) == 0]
    return [chart.nodes[i] for i in sorted(firsts, key=order.get)]


def _closure(roots, edges):
    seen, queue = set(roots), deque(roots)
    while queue:
        for nxt in edges[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _activity_problems(chart):
    found, claimed = [], {}
    steps = chart.steps
    for n in steps:
        names = n.activities or (() if n.pattern else (n.label,))
        for name in names:
            key = fold(name)
            if key in claimed and claimed[key][0] != n.id:
                found.append((n.line, f"activity {name!r} is claimed by steps "
                                      f"{claimed[key][0]!r} and {n.id!r}"))
            claimed.setdefault(key, (n.id, n))
    for n in steps:
        if not n.pattern:
            continue
        try:
            regex = re.compile(n.pattern)
        except re.error:
            continue
        for other_id, other in dict(claimed.values()).items():
            if other_id == n.id:
                continue
            for name in other.activities or (other.label,):
                if regex.fullmatch(name):
                    found.append((n.line, f"activity {name!r} is claimed by steps "
                                          f"{other_id!r} and {n.id!r} (its pattern "
                                          f"{n.pattern!r} matches it)"))
    return found


def _probability_problems(chart):
    found, by_source = [], defaultdict(list)
    for a in chart.arrows:
        if a.probability is None:
            by_source[a.source].append(None)
            continue
        if not (0 <= a.probability <= 1):
            found.append((a.line, f"arrow '{a.source} -> {a.target}' has probability "
                                  f"{a.probability!r}; use a number between 0 and 1"))
        by_source[a.source].append(a.probability)
    for n in chart.node_list:
        probs = by_source.get(n.id, [])
        if n.kind in ("decision", "step") and len(probs) > 1 and None not in probs \
                and not math.isclose(sum(probs), 1.0, abs_tol=1e-6):
            found.append((n.line, f"probabilities out of {n.kind} {n.id!r} sum to "
                                  f"{sum(probs):g}, not 1"))
    return found


def _accepted_problems(chart):
    found = []
    names = {}
    for n in chart.steps:
        names[n.id] = n.id
        names.setdefault(n.label, n.id)
    for d in chart.accepted:
        if d.kind not in DEVIATION_KINDS:
            choices = ", ".join(repr(k) for k in DEVIATION_KINDS)
            found.append((d.line, f"accepted deviation has unknown kind {d.kind!r}; use one of "
                                  f"{choices}{suggest(d.kind, DEVIATION_KINDS)}"))
            continue
        fields = ("source", "target") + (("activity",) if d.kind in _STEP_DEVIATIONS else ())
        for key in fields:
            value = getattr(d, key)
            if value is not None and value not in names:
                found.append((d.line, f"accepted {d.kind} names unknown step {value!r} in "
                                      f"{key}{suggest(value, names)}"))
    return found
