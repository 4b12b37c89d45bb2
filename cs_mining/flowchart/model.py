"""The intended process: nodes, arrows, time targets and accepted deviations.

A flowchart has nodes of six kinds: ``start`` and ``end`` (ovals), ``step``
(boxes: the only kind that maps to log activities), ``decision`` (diamonds,
an either/or choice or merge), and the BPMN gateways ``parallel`` (all
branches, in any interleaving) and ``inclusive`` (one or more branches).
Arrows join nodes; an arrow out of a decision may carry a branch label.

Examples
--------
>>> chart = Flowchart(
...     name="Order by phone",
...     nodes=[Node("s", "start", "Call"), Node("take", "step", "Take order"),
...            Node("e", "end", "Done")],
...     arrows=[Arrow("s", "take"), Arrow("take", "e")],
... )
>>> chart
<Flowchart 'Order by phone': 1 steps, 0 decisions, 2 arrows>
>>> [s.label for s in chart.steps]
['Take order']
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import FlowchartError

__all__ = ["Node", "Arrow", "AcceptedDeviation", "Flowchart", "parse_duration",
           "format_duration", "format_total", "NODE_KINDS", "DEVIATION_KINDS"]

NODE_KINDS = ("start", "end", "step", "decision", "parallel", "inclusive")
DEVIATION_KINDS = ("unknown_activity", "skipped_step", "rework", "unexpected_transition",
                   "wrong_start", "wrong_end", "incomplete_case", "unused_path")

_UNITS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d|w)\s*", re.IGNORECASE)


def fold(name: str) -> str:
    """A name as matching compares it: one Unicode form (NFC), case folded.

    An activity exported as decomposed Unicode (``e`` + combining macron, as
    macOS file names are) matches a step typed as composed ``ē``.

    >>> fold("Slēgt") == fold("SLE\u0304GT")
    True
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def parse_duration(text) -> float:
    """Return seconds for a duration written as ``60s``, ``15min``, ``4h``, ``2d``.

    Parts may be combined (``1h30min``); a bare number is seconds.

    Raises
    ------
    ValueError
        When the text is not a duration; the message quotes it.

    Examples
    --------
    >>> parse_duration("15min"), parse_duration("2d"), parse_duration("1h 30min")
    (900.0, 172800.0, 5400.0)
    >>> parse_duration(45)
    45.0
    >>> parse_duration("soon")
    Traceback (most recent call last):
    ...
    ValueError: malformed duration 'soon' (write e.g. '60s', '15min', '4h', '2d')
    """
    if isinstance(text, bool):
        raise ValueError(f"malformed duration {text!r} (write e.g. '60s', '15min', '4h', '2d')")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"malformed duration {text!r} (must not be negative)")
        return float(text)
    s = str(text).strip()
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2).lower()]
        pos = m.end()
    if not s or pos != len(s):
        raise ValueError(f"malformed duration {text!r} (write e.g. '60s', '15min', '4h', '2d')")
    return total


def format_duration(seconds) -> str:
    """Write seconds the way people read them: ``45s``, ``15min``, ``4h``, ``2d 3h``.

    >>> format_duration(45), format_duration(900), format_duration(5400), format_duration(183600)
    ('45s', '15min', '1h 30min', '2d 3h')
    >>> format_duration(113115.9 * 86400)
    '113,116d'
    >>> format_duration(None)
    '-'
    """
    if seconds is None or seconds != seconds:
        return "-"
    sign = "-" if seconds < 0 else ""
    s = abs(float(seconds))
    if s < 60:
        return f"{sign}{s:.0f}s"
    if s < 3600:
        return f"{sign}{s / 60:.0f}min"
    if s < 86400:
        h, m = divmod(round(s / 60), 60)
        return f"{sign}{h}h" + (f" {m}min" if m else "")
    d, h = divmod(round(s / 3600), 24)
    if d >= 100:
        return f"{sign}{round(s / 86400):,}d"
    return f"{sign}{d}d" + (f" {h}h" if h else "")


def format_total(seconds) -> str:
    """Write a duration summed over many cases: years from one year up.

    Waiting time added up over thousands of cases runs to years, which reads
    better than days ('14,557 years', not '5,316,788d').

    >>> format_total(90000), format_total(1.5 * 365.25 * 86400), format_total(5316788 * 86400)
    ('1d 1h', '1.5 years', '14,557 years')
    """
    year = 365.25 * 86400
    if seconds is None or seconds != seconds or abs(seconds) < 365 * 86400:
        return format_duration(seconds)
    years = seconds / year
    return f"{years:,.1f} years" if abs(years) < 10 else f"{years:,.0f} years"


@dataclass(frozen=True)
class Node:
    """One shape of the flowchart.

    Parameters
    ----------
    id : str
        Short identifier used by arrows.
    kind : str
        One of ``start``, ``end``, ``step``, ``decision``, ``parallel``, ``inclusive``.
    label : str
        What people read in the box; for a step, also its name in every report.
    activities : tuple of str, default=()
        Log activity names that mean this step (matched case-insensitively).
        A step with neither ``activities`` nor ``pattern`` matches its label.
    pattern : str or None
        A regular expression that log activity names must match in full.
    wait_target_s : float or None
        Longest acceptable wait before this step starts, in seconds.
    line : int or None
        Line in the source file, for error messages.

    Examples
    --------
    >>> Node("answer", label="Answer call", activities=("Call answered",), wait_target_s=60)
    Node(id='answer', kind='step', label='Answer call', activities=('Call answered',), pattern=None, wait_target_s=60)
    >>> Node("d", "decision").label
    'd'
    """

    id: str
    kind: str = "step"
    label: str = ""
    activities: tuple[str, ...] = ()
    pattern: str | None = None
    wait_target_s: float | None = None
    line: int | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        if not self.label:
            object.__setattr__(self, "label", self.id)
        object.__setattr__(self, "activities", tuple(self.activities))

    def matches(self, activity: str) -> bool:
        """True when the log activity name means this step.

        >>> Node("c", label="Close case", activities=("Closed", "Case closed")).matches("CLOSED")
        True
        >>> Node("c", label="Close case").matches("close case")
        True
        >>> Node("r", label="Resolve", pattern="Resolve.*").matches("Resolve ticket")
        True
        """
        if self.kind != "step":
            return False
        folded = fold(activity)
        names = self.activities or (() if self.pattern else (self.label,))
        if any(folded == fold(n) for n in names):
            return True
        return bool(self.pattern) and re.fullmatch(unicodedata.normalize("NFC", self.pattern),
                                                   unicodedata.normalize("NFC", activity)) is not None


@dataclass(frozen=True)
class Arrow:
    """A sequence arrow; ``label`` names a decision branch, ``probability`` feeds the simulator.

    Examples
    --------
    >>> Arrow("stock", "backorder", label="out of stock", probability=0.1)
    Arrow(source='stock', target='backorder', label='out of stock', probability=0.1)
    """

    source: str
    target: str
    label: str | None = None
    probability: float | None = None
    line: int | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class AcceptedDeviation:
    """A known, tolerated departure: reported apart, not counted against conformance.

    Examples
    --------
    >>> AcceptedDeviation("skipped_step", activity="record", reason="repeat callers are on file")
    AcceptedDeviation(kind='skipped_step', activity='record', source=None, target=None, reason='repeat callers are on file')

    Fields left ``None`` match anything; ``activity``, ``source`` and ``target``
    name steps by id or label.
    """

    kind: str
    activity: str | None = None
    source: str | None = None
    target: str | None = None
    reason: str | None = None
    line: int | None = field(default=None, compare=False, repr=False)


class Flowchart:
    """The team's intended process for one touchpoint and request type.

    Build one with :func:`cs_mining.read_flowchart` (YAML or BPMN), or in code
    with :class:`cs_mining.flowchart.FlowchartBuilder`.  Constructing a
    Flowchart never raises; :meth:`check` lists its problems.
    """

    def __init__(self, *, name: str, nodes: Iterable[Node], arrows: Iterable[Arrow],
                 touchpoint: str | None = None, request_type: str | None = None,
                 case_target_s: float | None = None,
                 accepted: Iterable[AcceptedDeviation] = (),
                 description: str | None = None, path: str | None = None):
        self.name = name
        self.node_list = list(nodes)
        self.nodes = {n.id: n for n in self.node_list}
        self.arrows = list(arrows)
        self.touchpoint = touchpoint
        self.request_type = request_type
        self.case_target_s = case_target_s
        self.accepted = list(accepted)
        self.description = description
        self.path = path
        self._cache: dict = {}

    @property
    def steps(self) -> list[Node]:
        """The step boxes, in the order they were written."""
        return [n for n in self.node_list if n.kind == "step"]

    def __repr__(self) -> str:
        decisions = sum(n.kind == "decision" for n in self.node_list)
        return (f"<Flowchart {self.name!r}: {len(self.steps)} steps, {decisions} decisions, "
                f"{len(self.arrows)} arrows>")

    def __str__(self) -> str:
        return _summary(self)

    def _repr_html_(self) -> str:
        return _summary_html(self)

    def to_dict(self) -> dict:
        """Return the chart as JSON-native types (``schema_version`` 1).

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "e")])
        >>> d = chart.to_dict()
        >>> d["schema_version"], d["arrows"]
        (1, [{'source': 's', 'target': 'e', 'label': None, 'probability': None}])
        """
        return {
            "schema_version": 1,
            "name": self.name,
            "touchpoint": self.touchpoint,
            "request_type": self.request_type,
            "description": self.description,
            "case_target_s": self.case_target_s,
            "path": self.path,
            "nodes": [{"id": n.id, "kind": n.kind, "label": n.label,
                       "activities": list(n.activities), "pattern": n.pattern,
                       "wait_target_s": n.wait_target_s} for n in self.node_list],
            "arrows": [{"source": a.source, "target": a.target, "label": a.label,
                        "probability": a.probability} for a in self.arrows],
            "accepted": [{"kind": d.kind, "activity": d.activity, "source": d.source,
                          "target": d.target, "reason": d.reason} for d in self.accepted],
        }

    def to_yaml(self) -> str:
        """Return the chart in the YAML flowchart format; reading it back gives the same chart.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "e")])
        >>> print(chart.to_yaml())
        name: x
        steps:
        - {id: s, kind: start}
        - {id: e, kind: end}
        arrows:
        - s -> e
        <BLANKLINE>
        """
        from .yaml import to_yaml
        return to_yaml(self)

    def check(self) -> list[str]:
        """Return every problem of the chart, one line each (``file:line: message``).

        An empty list means the chart is fine.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("take")],
        ...                   arrows=[Arrow("s", "take")])
        >>> chart.check()
        ['no end (add a step with kind: end)']
        """
        from .check import format_problem, problems
        if "problems" not in self._cache:
            self._cache["problems"] = [format_problem(self.path, line, message)
                                       for line, message in problems(self)]
        return list(self._cache["problems"])

    def label_of(self, node_id: str) -> str:
        """Return the label of a node; anything else (an unknown activity) is returned unchanged.

        >>> chart = Flowchart(name="x", nodes=[Node("t", label="Triage")], arrows=[])
        >>> chart.label_of("t"), chart.label_of("Lunch")
        ('Triage', 'Lunch')
        """
        node = self.nodes.get(node_id)
        return node.label if node is not None else node_id

    def step_for(self, activity: str) -> str | None:
        """Return the id of the step a log activity means, or None when no step claims it.

        Raises
        ------
        FlowchartError
            When two steps claim the activity.

        Examples
        --------
        >>> chart = Flowchart(name="x", nodes=[
        ...     Node("close", label="Close case", activities=("Closed", "Case closed")),
        ...     Node("fix", label="Fix", pattern="Fix(ed)? .*")], arrows=[])
        >>> chart.step_for("CLOSED"), chart.step_for("Fixed printer"), chart.step_for("Lunch")
        ('close', 'fix', None)
        """
        if not isinstance(activity, str):
            return None
        literal, patterns = self._matchers()
        hits = list(literal.get(fold(activity), ()))
        composed = unicodedata.normalize("NFC", activity)
        hits += [step for step, regex in patterns if regex.fullmatch(composed) and step not in hits]
        if len(hits) > 1:
            raise FlowchartError(f"activity {activity!r} matches two steps, {hits[0]!r} and "
                                 f"{hits[1]!r} (make their activities or patterns distinct)",
                                 path=self.path)
        return hits[0] if hits else None

    def map_activities(self, names: Iterable[str]) -> dict[str, str | None]:
        """Return ``{activity: step id or None}`` for each distinct name.

        >>> chart = Flowchart(name="x", arrows=[],
        ...                   nodes=[Node("t", label="Triage", activities=("triage", "Sort"))])
        >>> chart.map_activities(["sort", "TRIAGE", "lunch", "sort"])
        {'sort': 't', 'TRIAGE': 't', 'lunch': None}
        """
        return {name: self.step_for(name) for name in dict.fromkeys(names)}

    def _matchers(self):
        if "matchers" not in self._cache:
            literal, patterns = {}, []
            for n in self.steps:
                names = n.activities or (() if n.pattern else (n.label,))
                for name in names:
                    ids = literal.setdefault(fold(name), [])
                    if n.id not in ids:
                        ids.append(n.id)
                if n.pattern:
                    patterns.append((n.id, re.compile(unicodedata.normalize("NFC", n.pattern))))
            self._cache["matchers"] = (literal, patterns)
        return self._cache["matchers"]

    def to_networkx(self):
        """Return the chart as a ``networkx.DiGraph`` (node attributes kind, label, activities,
        pattern, wait_target_s; edge attributes label, probability).

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "e", label="go")])
        >>> chart.to_networkx().edges["s", "e"]["label"]
        'go'
        """
        from .graph import to_networkx
        return to_networkx(self)

    def to_petri_net(self):
        """Return the chart as a sound workflow net (:class:`PetriNetModel`).

        Raises
        ------
        FlowchartError
            When :meth:`check` finds problems.

        Examples
        --------
        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "a"), Arrow("a", "e")])
        >>> sorted(t.label for t in chart.to_petri_net().net.transitions if t.label)
        ['a']
        """
        if "petri" not in self._cache:
            from .petri import require_net
            self._cache["petri"] = require_net(self)
        return self._cache["petri"]

    def allowed_transitions(self) -> set[tuple[str, str]]:
        """Pairs of step ids ``(A, B)`` such that some run has B right after A.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("b"),
        ...                   Node("e", "end")], arrows=[Arrow("s", "a"), Arrow("a", "b"),
        ...                   Arrow("b", "a"), Arrow("b", "e")])
        >>> sorted(chart.allowed_transitions())
        [('a', 'b'), ('b', 'a')]
        """
        from .graph import relations
        return set(relations(self).allowed)

    def first_steps(self) -> set[str]:
        """Steps that can come first in a run.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "a"), Arrow("a", "e")])
        >>> chart.first_steps()
        {'a'}
        """
        from .graph import relations
        return set(relations(self).first)

    def last_steps(self) -> set[str]:
        """Steps that can come last in a run.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("e", "end")],
        ...                   arrows=[Arrow("s", "a"), Arrow("a", "e")])
        >>> chart.last_steps()
        {'a'}
        """
        from .graph import relations
        return set(relations(self).last)

    def can_reach(self, a: str, b: str) -> bool:
        """True when step ``b`` can happen some time after step ``a`` in one run.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("b"),
        ...                   Node("e", "end")], arrows=[Arrow("s", "a"), Arrow("a", "b"),
        ...                   Arrow("b", "e")])
        >>> chart.can_reach("a", "b"), chart.can_reach("b", "a")
        (True, False)
        """
        from .graph import relations, require_step
        require_step(self, "can_reach()", a)
        require_step(self, "can_reach()", b)
        return (a, b) in relations(self).reach

    def shortest_path(self, a: str, b: str) -> list[str]:
        """Fewest steps from ``a`` to ``b``, ids, both included; ``[]`` when b never follows a.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("b"),
        ...                   Node("c"), Node("e", "end")], arrows=[Arrow("s", "a"),
        ...                   Arrow("a", "b"), Arrow("b", "c"), Arrow("a", "c"), Arrow("c", "e")])
        >>> chart.shortest_path("a", "c"), chart.shortest_path("c", "a")
        (['a', 'c'], [])
        """
        from .graph import shortest_path
        return shortest_path(self, a, b)

    def step_graph(self):
        """Return a ``networkx.DiGraph`` with the steps as nodes and allowed transitions as edges.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("b"),
        ...                   Node("e", "end")], arrows=[Arrow("s", "a"), Arrow("a", "b"),
        ...                   Arrow("b", "e")])
        >>> list(chart.step_graph().edges)
        [('a', 'b')]
        """
        from .graph import step_graph
        return step_graph(self).copy()

    def runs(self, max_runs: int = 1000, max_repeats: int = 1) -> list[tuple[str, ...]]:
        """Step-id sequences the chart allows, loops taken at most ``max_repeats`` extra times.

        >>> chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("b"),
        ...                   Node("e", "end")], arrows=[Arrow("s", "a"), Arrow("a", "b"),
        ...                   Arrow("b", "a"), Arrow("b", "e")])
        >>> chart.runs()
        [('a', 'b'), ('a', 'b', 'a', 'b')]
        """
        from .graph import runs
        return runs(self, max_runs=max_runs, max_repeats=max_repeats)

    def draw(self, ax=None, **kw):
        """Draw the chart with matplotlib and return the Axes (see ``draw_flowchart``)."""
        from .draw import draw_flowchart
        return draw_flowchart(self, ax=ax, **kw)


def _summary_rows(chart):
    head = [("touchpoint", chart.touchpoint), ("request type", chart.request_type),
            ("case target", format_duration(chart.case_target_s)
             if chart.case_target_s is not None else None),
            ("description", chart.description), ("file", chart.path)]
    head = [(k, v) for k, v in head if v is not None]
    steps = []
    for n in chart.steps:
        names = list(n.activities) + ([f"/{n.pattern}/"] if n.pattern else [])
        steps.append((n.id, n.label, format_duration(n.wait_target_s), ", ".join(names) or n.label))
    out = defaultdict(list)
    for a in chart.arrows:
        out[a.source].append(a)
    decisions = []
    for n in chart.node_list:
        if n.kind == "decision":
            branches = []
            for a in out[n.id]:
                p = f" ({a.probability:.0%})" if a.probability is not None else ""
                branches.append(f"{a.label + ': ' if a.label else ''}{chart.label_of(a.target)}{p}")
            decisions.append((n.id, n.label, "; ".join(branches)))
    accepted = []
    for d in chart.accepted:
        what = ", ".join(f"{k}={getattr(d, k)}" for k in ("activity", "source", "target")
                         if getattr(d, k) is not None)
        accepted.append((d.kind, what, d.reason or ""))
    return head, steps, decisions, accepted


def _table(rows, indent="  "):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
            for r in rows]


def _summary(chart) -> str:
    head, steps, decisions, accepted = _summary_rows(chart)
    lines = [f"Flowchart: {chart.name}"] + _table(head) if head else [f"Flowchart: {chart.name}"]
    lines.append(f"Steps ({len(steps)})")
    if steps:
        lines += _table([("id", "label", "wait target", "activities")] + steps)
    if decisions:
        lines.append(f"Decisions ({len(decisions)})")
        lines += _table(decisions)
    if accepted:
        lines.append(f"Accepted deviations ({len(accepted)})")
        lines += _table(accepted)
    return "\n".join(lines)


def _html_table(header, rows):
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary_html(chart) -> str:
    head, steps, decisions, accepted = _summary_rows(chart)
    parts = [f"<div><strong>Flowchart: {html.escape(chart.name)}</strong>"]
    if head:
        parts.append(_html_table(("", ""), head))
    parts.append(f"<p>Steps ({len(steps)})</p>")
    parts.append(_html_table(("id", "label", "wait target", "activities"), steps))
    if decisions:
        parts.append(f"<p>Decisions ({len(decisions)})</p>")
        parts.append(_html_table(("id", "label", "branches"), decisions))
    if accepted:
        parts.append(f"<p>Accepted deviations ({len(accepted)})</p>")
        parts.append(_html_table(("kind", "where", "reason"), accepted))
    return "".join(parts) + "</div>"
