"""Build a flowchart in code, one call per shape, for notebooks and tests.

Examples
--------
>>> b = FlowchartBuilder("Complaint by e-mail", touchpoint="e-mail",
...                      request_type="complaint", case_target="48h")
>>> chart = (b.start("start", "E-mail arrives")
...           .step("triage", "Triage", wait_target="4h", activities=["Triage", "Sort mail"])
...           .decision("valid", "Complaint valid?")
...           .step("refund", "Refund").step("reject", "Reject")
...           .end("end", "Answered")
...           .chain("start", "triage", "valid")
...           .arrow("valid", "refund", label="yes", probability=0.7)
...           .arrow("valid", "reject", label="no", probability=0.3)
...           .chain("refund", "end").chain("reject", "end")
...           .accept("skipped_step", activity="triage", reason="VIP customers")
...           .build())
>>> chart
<Flowchart 'Complaint by e-mail': 3 steps, 1 decisions, 6 arrows>
>>> chart.case_target_s, chart.nodes["triage"].wait_target_s
(172800.0, 14400.0)
"""

from __future__ import annotations

from ..errors import FlowchartError
from .model import AcceptedDeviation, Arrow, Flowchart, Node, parse_duration

__all__ = ["FlowchartBuilder"]


class FlowchartBuilder:
    """Collect nodes, arrows and accepted deviations; :meth:`build` checks them.

    Parameters
    ----------
    name : str
        The chart's name.
    touchpoint, request_type, description : str or None
    case_target : str or float or None
        Longest acceptable case duration (``"48h"`` or seconds).

    Every method returns the builder, so calls chain.  Durations that cannot
    be read are reported by :meth:`build`, together with every problem
    :meth:`Flowchart.check` finds.
    """

    def __init__(self, name: str, *, touchpoint: str | None = None,
                 request_type: str | None = None, case_target=None,
                 description: str | None = None):
        self._problems: list[str] = []
        self._meta = dict(name=name, touchpoint=touchpoint, request_type=request_type,
                          description=description,
                          case_target_s=self._seconds("case_target", case_target))
        self._nodes: list[Node] = []
        self._arrows: list[Arrow] = []
        self._accepted: list[AcceptedDeviation] = []

    def __repr__(self) -> str:
        return (f"<FlowchartBuilder {self._meta['name']!r}: {len(self._nodes)} nodes, "
                f"{len(self._arrows)} arrows>")

    def _seconds(self, what, value):
        if value is None:
            return None
        try:
            return parse_duration(value)
        except ValueError as err:
            self._problems.append(f"{what}: {err}")
            return None

    def _add(self, node_id, kind, label, **kw):
        self._nodes.append(Node(node_id, kind, label or "", **kw))
        return self

    def start(self, node_id: str, label: str | None = None) -> FlowchartBuilder:
        """Add a start oval."""
        return self._add(node_id, "start", label)

    def end(self, node_id: str, label: str | None = None) -> FlowchartBuilder:
        """Add an end oval."""
        return self._add(node_id, "end", label)

    def step(self, node_id: str, label: str | None = None, *, activities=(),
             pattern: str | None = None, wait_target=None) -> FlowchartBuilder:
        """Add a step box; ``activities`` and ``pattern`` say which log names mean it."""
        wait = self._seconds(f"step {node_id!r}: wait_target", wait_target)
        if isinstance(activities, str):
            activities = (activities,)
        return self._add(node_id, "step", label, activities=tuple(activities), pattern=pattern,
                         wait_target_s=wait)

    def decision(self, node_id: str, label: str | None = None) -> FlowchartBuilder:
        """Add a decision diamond (either/or)."""
        return self._add(node_id, "decision", label)

    def parallel(self, node_id: str, label: str | None = None) -> FlowchartBuilder:
        """Add a parallel gateway: splits into branches that all run, or waits for all of them."""
        return self._add(node_id, "parallel", label)

    def inclusive(self, node_id: str, label: str | None = None) -> FlowchartBuilder:
        """Add an inclusive gateway: one or more branches, joined by a later inclusive node."""
        return self._add(node_id, "inclusive", label)

    def arrow(self, source: str, target: str, label: str | None = None,
              probability: float | None = None) -> FlowchartBuilder:
        """Add one arrow, optionally a labelled decision branch with its probability."""
        self._arrows.append(Arrow(source, target, label,
                                  None if probability is None else float(probability)))
        return self

    def chain(self, *ids: str) -> FlowchartBuilder:
        """Add plain arrows joining the given nodes in order."""
        for a, b in zip(ids, ids[1:]):
            self.arrow(a, b)
        return self

    def accept(self, kind: str, *, activity: str | None = None, source: str | None = None,
               target: str | None = None, reason: str | None = None) -> FlowchartBuilder:
        """Record a known, tolerated deviation."""
        self._accepted.append(AcceptedDeviation(kind, activity, source, target, reason))
        return self

    def build(self) -> Flowchart:
        """Return the Flowchart.

        Raises
        ------
        FlowchartError
            Listing every problem (unreadable durations, then :meth:`Flowchart.check`).

        Examples
        --------
        >>> FlowchartBuilder("x").start("s").step("a").chain("s", "a").build()
        Traceback (most recent call last):
        ...
        cs_mining.errors.FlowchartError: no end (add a step with kind: end)
        """
        chart = Flowchart(nodes=self._nodes, arrows=self._arrows, accepted=self._accepted,
                          **self._meta)
        found = self._problems + chart.check()
        if found:
            raise FlowchartError.from_problems(found)
        return chart
