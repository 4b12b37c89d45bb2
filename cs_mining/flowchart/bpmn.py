"""Read a BPMN 2.0 diagram into a :class:`Flowchart`.

BPMN files come from modellers (bpmn.io, Camunda Modeler, Signavio, ...) and
from people who draw BPMN the way they draw flowcharts.  :func:`read_bpmn`
reads both into the same model, parsing the XML defensively: a DOCTYPE or
entity declaration is refused, entities are never expanded and nothing is
fetched from the network or the disk.

How BPMN elements become flowchart nodes:

==============================================  =================================
BPMN                                            Flowchart
==============================================  =================================
startEvent, endEvent                            start, end
task, userTask, serviceTask, manualTask,        step (label = name, or the id
sendTask, receiveTask, scriptTask,              when unnamed)
businessRuleTask, callActivity, collapsed
subProcess
subProcess with its own flow                    inlined: its steps join the chart
exclusiveGateway                                decision (also when only a merge)
parallelGateway, inclusiveGateway               parallel, inclusive
sequenceFlow                                    arrow; its name is the branch label
intermediate throw/catch events on a flow       spliced out (arrow in joined to
                                                arrow out), with a warning
boundaryEvent, eventBasedGateway,               refused (FlowchartError naming
complexGateway, event sub-process,              the element)
adHocSubProcess, transaction
lanes, data objects, annotations, diagram       ignored
layout (bpmndi), documentation
messageFlow between pools                       ignored, with a warning
==============================================  =================================

BPMN as business people draw it is read for what it means:

- several arrows out of a task or start event run in parallel (BPMN 2.0,
  section 13.2.1), so an explicit ``parallel`` node is inserted after it
  (``inclusive`` when the arrows carry conditions);
- parallel or inclusive branches that meet again at a task or an exclusive
  merge get the join they need (an ``implicit join``), and branches that end
  in separate end events are joined before a single end event, so the final
  state of the Petri net is reachable; both are reported in one warning.

Examples
--------
>>> xml = '''<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
...   <process id="p" name="Order by phone">
...     <startEvent id="s" name="Call"/>
...     <userTask id="take" name="Take order"/>
...     <endEvent id="e" name="Done"/>
...     <sequenceFlow id="f1" sourceRef="s" targetRef="take"/>
...     <sequenceFlow id="f2" sourceRef="take" targetRef="e"/>
...   </process>
... </definitions>'''
>>> chart = read_bpmn(xml)
>>> chart
<Flowchart 'Order by phone': 1 steps, 0 decisions, 2 arrows>
>>> [(n.id, n.kind, n.label) for n in chart.node_list]
[('s', 'start', 'Call'), ('take', 'step', 'Take order'), ('e', 'end', 'Done')]
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ..errors import CsMiningWarning, FlowchartError, and_more
from .model import Arrow, Flowchart, Node

__all__ = ["read_bpmn", "BPMN_NAMESPACE"]

BPMN_NAMESPACE = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = "{" + BPMN_NAMESPACE + "}"

_TASKS = {"task", "userTask", "serviceTask", "manualTask", "sendTask", "receiveTask",
          "scriptTask", "businessRuleTask", "callActivity"}
_GATEWAYS = {"exclusiveGateway": "decision", "parallelGateway": "parallel",
             "inclusiveGateway": "inclusive"}
_SPLICED = {"intermediateCatchEvent", "intermediateThrowEvent"}
_FLOW_NODES = _TASKS | set(_GATEWAYS) | _SPLICED | {"startEvent", "endEvent", "subProcess"}
_REFUSED = {
    "boundaryEvent": "draw the exception path as a decision after the step",
    "eventBasedGateway": "draw it as a decision whose branches are the events",
    "complexGateway": "draw it with exclusive, parallel or inclusive gateways",
    "adHocSubProcess": "draw its steps with an inclusive gateway",
    "transaction": "draw it as a sub-process",
}
_EVENT_KINDS = ("timer", "message", "signal", "conditional", "escalation", "error",
                "compensate", "link")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class _Arrow:
    source: str
    target: str
    label: str | None
    line: int | None
    conditional: bool = False


def read_bpmn(source, *, name: str | None = None) -> Flowchart:
    """Read a BPMN 2.0 process into a Flowchart.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        A file path, or the XML itself (bytes, or a str starting with ``<``).
    name : str, optional
        The chart's name; by default the process name, else its pool's name,
        else the file name.

    Returns
    -------
    Flowchart
        ``path`` is the file; each node's and arrow's ``line`` is its line in
        the XML.

    Raises
    ------
    FlowchartError
        When the XML is malformed (with its line), declares a DOCTYPE or
        entities (refused unparsed), is not BPMN 2.0, has no process or several
        processes with steps, or uses elements that have no flowchart meaning
        (``problems`` lists each, with its line).

    Warns
    -----
    CsMiningWarning
        When intermediate events were spliced out, joins were inserted, or
        message flows between pools were ignored.

    See Also
    --------
    cs_mining.read_flowchart : reads ``.bpmn`` files with this function.

    Examples
    --------
    >>> xml = b'''<?xml version="1.0" encoding="UTF-8"?>
    ... <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
    ...   <bpmn:process id="p">
    ...     <bpmn:startEvent id="s"/>
    ...     <bpmn:task id="a" name="Answer call"/>
    ...     <bpmn:task id="r" name="Record request"/>
    ...     <bpmn:task id="c" name="Check account"/>
    ...     <bpmn:endEvent id="e"/>
    ...     <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>
    ...     <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="r"/>
    ...     <bpmn:sequenceFlow id="f3" sourceRef="a" targetRef="c"/>
    ...     <bpmn:sequenceFlow id="f4" sourceRef="r" targetRef="e"/>
    ...     <bpmn:sequenceFlow id="f5" sourceRef="c" targetRef="e"/>
    ...   </bpmn:process>
    ... </bpmn:definitions>'''
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     chart = read_bpmn(xml, name="Phone request")
    >>> [(n.id, n.kind) for n in chart.node_list if n.kind != "step"]
    [('s', 'start'), ('a_split', 'parallel'), ('a_split_join', 'parallel'), ('e', 'end')]
    >>> sorted((a.source, a.target) for a in chart.arrows)  # doctest: +NORMALIZE_WHITESPACE
    [('a', 'a_split'), ('a_split', 'c'), ('a_split', 'r'), ('a_split_join', 'e'),
     ('c', 'a_split_join'), ('r', 'a_split_join'), ('s', 'a')]
    >>> print(caught[0].message)
    inserted a parallel join before 'e' for the branches from 'Answer call'
    """
    data, path = _read_source(source)
    root = _parse(data, path)
    if root.tag != _NS + "definitions":
        raise FlowchartError(
            f"not a BPMN 2.0 file: the root element is {_local(root.tag)!r} in namespace "
            f"{_namespace(root.tag) or 'none'!r}; expected 'definitions' in {BPMN_NAMESPACE!r}",
            path=path)
    process = _pick_process(root, path)
    reader = _Reader(path)
    reader.collect(process, inner=False)
    reader.raise_problems()
    reader.inline_subprocesses()
    reader.splice()
    reader.explicit_splits()
    reader.joins()

    notes = []
    message_flows = sum(1 for _ in root.iter(_NS + "messageFlow"))
    if message_flows:
        notes.append(f"ignored {message_flows} message flow(s) between pools")
    notes += reader.notes
    if notes:
        where = f"{path}: " if path else ""
        warnings.warn(where + "; ".join(notes), CsMiningWarning, stacklevel=2)

    chart_name = name or _chart_name(root, process, path)
    doc = process.find(_NS + "documentation")
    description = " ".join(doc.text.split()) if doc is not None and doc.text else None
    arrows = [Arrow(a.source, a.target, a.label, line=a.line) for a in reader.arrows]
    return Flowchart(name=chart_name, nodes=reader.nodes.values(), arrows=arrows,
                     description=description, path=path)


def _read_source(source) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), None
    if isinstance(source, str) and source.lstrip().startswith("<"):
        # lxml refuses str input with an encoding declaration: drop it, encode as UTF-8.
        text = re.sub(r"^\s*<\?xml[^>]*\?>", "", source, count=1)
        return text.encode("utf-8"), None
    path = Path(source)
    try:
        return path.read_bytes(), str(source)
    except OSError as err:
        raise FlowchartError(f"cannot read BPMN file: {err.strerror}", path=source) from None


def _xml_parser():
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True,
                           remove_pis=True)


def _parse(data: bytes, path: str | None):
    from lxml import etree

    scanned = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        for encoding in ("utf-16", "utf-32"):
            try:
                scanned = data.decode(encoding).encode("utf-8")
                break
            except UnicodeDecodeError:
                continue
    refusal = ("refusing XML with a DOCTYPE/entity declaration (hostile or unsupported XML; "
               "BPMN needs none: delete the <!DOCTYPE ...> line if you trust the file)")
    if _DOCTYPE.search(scanned):
        raise FlowchartError(refusal, path=path)
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as err:
        message = re.sub(r",? line \d+, column \d+$", "", str(err.msg or err))
        raise FlowchartError(f"not well-formed XML: {message}", path=path,
                             row=err.lineno) from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise FlowchartError(refusal, path=path)
    return root


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _namespace(tag) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _name(element) -> str:
    return " ".join((element.get("name") or "").split())


def _has_flow_nodes(process) -> bool:
    return any(_namespace(c.tag) == BPMN_NAMESPACE and
               (_local(c.tag) in _FLOW_NODES or _local(c.tag) in _REFUSED) for c in process)


def _pick_process(root, path):
    processes = [p for p in root.iter(_NS + "process") if _has_flow_nodes(p)]
    if not processes:
        raise FlowchartError("no BPMN process with steps found", path=path)
    if len(processes) > 1:
        names = ", ".join(f"{p.get('id')!r}" + (f" ({_name(p)})" if _name(p) else "")
                          for p in processes)
        raise FlowchartError(f"several BPMN processes have steps: {names}; "
                             "keep one process per file", path=path)
    return processes[0]


def _chart_name(root, process, path) -> str:
    if _name(process):
        return _name(process)
    for participant in root.iter(_NS + "participant"):
        if participant.get("processRef") == process.get("id") and _name(participant):
            return _name(participant)
    if _name(root):
        return _name(root)
    if path:
        return Path(path).stem
    return process.get("id") or "BPMN process"


def _event_kind(element) -> str:
    for child in element:
        local = _local(child.tag)
        if local.endswith("EventDefinition"):
            return local[: -len("EventDefinition")]
    return "none"


class _Reader:
    """Collects nodes and arrows of one process, then rewrites them step by step."""

    def __init__(self, path):
        self.path = path
        self.nodes: dict[str, Node] = {}
        self.arrows: list[_Arrow] = []
        self.spliced: dict[str, tuple[str, str, int | None]] = {}  # id -> (tag, name, line)
        self.subprocesses: dict[str, tuple[list[str], list[str]]] = {}
        self.problems: list[tuple[int | None, str]] = []
        self.notes: list[str] = []
        self.event_kinds: dict[str, str] = {}
        self.split_origin: dict[str, str] = {}
        self.refused: set[str] = set()
        self._flows: list = []

    # -- reading ---------------------------------------------------------------
    def collect(self, container, *, inner: bool) -> tuple[list[str], list[str]]:
        starts, ends = [], []
        for el in container:
            if _namespace(el.tag) != BPMN_NAMESPACE:
                continue
            tag, eid, line = _local(el.tag), el.get("id"), el.sourceline
            if tag == "sequenceFlow":
                self._flows.append(el)
                continue
            if tag not in _FLOW_NODES and tag not in _REFUSED:
                continue
            if not eid:
                self.problems.append((line, f"{tag} without an id"))
                continue
            if eid in self.nodes or eid in self.spliced or eid in self.subprocesses:
                self.problems.append((line, f"duplicate id {eid!r} ({tag})"))
                continue
            label = _name(el)
            if tag in _REFUSED:
                attached = el.get("attachedToRef")
                where = f" on {attached!r}" if attached else ""
                self.refused.add(eid)
                self.problems.append(
                    (line, f"{tag} {eid!r}{where} is not supported: {_REFUSED[tag]}"))
            elif tag == "subProcess" and el.get("triggeredByEvent") == "true":
                self.problems.append((line, f"subProcess {eid!r} is an event sub-process, "
                                            "which is not supported: draw its path as a decision"))
            elif tag == "subProcess" and _has_flow_nodes(el):
                inner_starts, inner_ends = self.collect(el, inner=True)
                if len(inner_starts) != 1:
                    self.problems.append((line, f"subProcess {eid!r} needs exactly one start "
                                                f"event; it has {len(inner_starts)}"))
                self.subprocesses[eid] = (inner_starts, inner_ends)
            elif tag in _TASKS or tag == "subProcess":
                self.nodes[eid] = Node(eid, "step", label or eid, line=line)
            elif tag in _GATEWAYS:
                self.nodes[eid] = Node(eid, _GATEWAYS[tag], label, line=line)
            elif tag in ("startEvent", "endEvent") and inner:
                self.spliced[eid] = (tag, label, line)
                (starts if tag == "startEvent" else ends).append(eid)
            elif tag == "startEvent":
                self.nodes[eid] = Node(eid, "start", label, line=line)
            elif tag == "endEvent":
                self.nodes[eid] = Node(eid, "end", label, line=line)
            else:
                self.spliced[eid] = (tag, label, line)
                self.event_kinds[eid] = _event_kind(el)
        if not inner:
            self._read_flows()
        return starts, ends

    def _read_flows(self) -> None:
        known = set(self.nodes) | set(self.spliced) | set(self.subprocesses)
        for el in self._flows:
            fid, line = el.get("id"), el.sourceline
            ends = (el.get("sourceRef"), el.get("targetRef"))
            unknown = [ref for ref in ends if ref not in known]
            if set(ends) & self.refused:
                continue
            if unknown:
                ref = unknown[0]
                owner = next(iter(el.getroottree().getroot().iterfind(
                    f".//*[@id='{ref}']")), None) if ref and "'" not in ref else None
                what = f" ({_local(owner.tag)})" if owner is not None else ""
                self.problems.append(
                    (line, f"sequenceFlow {fid!r} points to {ref!r}{what}, which is not a "
                           "step, event or gateway of this process"))
                continue
            conditional = el.find(_NS + "conditionExpression") is not None
            self.arrows.append(_Arrow(ends[0], ends[1], _name(el) or None, line, conditional))

    def raise_problems(self) -> None:
        if not self.problems:
            return
        first_line, first = self.problems[0]
        problems = [(f"{self.path}:{line}: " if self.path else f"line {line}: ") + text
                    for line, text in self.problems]
        more = len(self.problems) - 1
        message = first + and_more(more)
        if not self.path:
            message = f"line {first_line}: {message}"
        raise FlowchartError(message, path=self.path, row=first_line, problems=problems)

    # -- rewriting ------------------------------------------------------------
    def _unique(self, wanted: str) -> str:
        taken = set(self.nodes) | set(self.spliced)
        candidate, n = wanted, 2
        while candidate in taken:
            candidate, n = f"{wanted}{n}", n + 1
        return candidate

    def inline_subprocesses(self) -> None:
        arrows, subs = [], self.subprocesses
        for a in self.arrows:
            sources = subs[a.source][1] if a.source in subs else [a.source]
            target = (subs[a.target][0] or [a.target])[0] if a.target in subs else a.target
            arrows += [_Arrow(s, target, a.label, a.line, a.conditional) for s in sources]
        self.arrows = arrows

    def splice(self) -> None:
        described = []
        for eid, (tag, label, line) in self.spliced.items():
            self.arrows = [a for a in self.arrows if a.source != eid or a.target != eid]
            ins = [a for a in self.arrows if a.target == eid]
            outs = [a for a in self.arrows if a.source == eid]
            shown = label or eid
            if tag in _SPLICED:
                kind = self.event_kinds.get(eid, "none")
                described.append(f"{shown!r} ({kind}, line {line})")
            if not ins:
                self.nodes[eid] = Node(eid, "start", label, line=line)
            elif not outs:
                self.nodes[eid] = Node(eid, "end", label, line=line)
            elif len(outs) > 1:
                self.nodes[eid] = Node(eid, "parallel", label, line=line)
            else:
                out = outs[0]
                for a in ins:
                    a.target, a.label = out.target, a.label or out.label
                    a.conditional = a.conditional or out.conditional
                self.arrows = [a for a in self.arrows if a is not out]
        if described:
            self.notes.append("spliced out intermediate event(s) " + ", ".join(described)
                              + ": no log step stands for them, their arrows were joined")

    def explicit_splits(self) -> None:
        for node in list(self.nodes.values()):
            if node.kind not in ("step", "start"):
                continue
            outs = [a for a in self.arrows if a.source == node.id]
            if len(outs) < 2:
                continue
            kind = "inclusive" if any(a.conditional for a in outs) else "parallel"
            split = self._unique(f"{node.id}_split")
            self.split_origin[split] = node.id
            self._insert_after(node.id, Node(split, kind, line=node.line))
            at = next(i for i, a in enumerate(self.arrows) if a is outs[0])
            for a in outs:
                a.source = split
            self.arrows.insert(at, _Arrow(node.id, split, None, node.line))

    def _insert_after(self, anchor: str, node: Node) -> None:
        items = list(self.nodes.items())
        at = next(i for i, (k, _) in enumerate(items) if k == anchor) + 1
        items.insert(at, (node.id, node))
        self.nodes = dict(items)

    def _dag(self) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_nodes_from(self.nodes)
        graph.add_edges_from((a.source, a.target) for a in self.arrows)
        roots = [n for n, node in self.nodes.items() if node.kind == "start"]
        from .draw import back_edges

        graph.remove_edges_from(back_edges(graph, roots))
        return graph

    def joins(self) -> None:
        done: set[str] = set()
        while True:
            dag = self._dag()
            order = {n: i for i, n in enumerate(nx.topological_sort(dag))}
            splits = [n for n, node in self.nodes.items()
                      if node.kind in ("parallel", "inclusive") and n not in done
                      and sum(a.source == n for a in self.arrows) > 1]
            if not splits:
                return
            split = max(splits, key=order.__getitem__)  # innermost first
            done.add(split)
            self._join(split, dag)

    def _join(self, split: str, dag: nx.DiGraph) -> None:
        kind = self.nodes[split].kind
        outs = [a for a in self.arrows if a.source == split]
        reach = [nx.descendants(dag, a.target) | {a.target} for a in outs]
        common = set.intersection(*reach)
        first = [c for c in common if not (nx.ancestors(dag, c) & common)]
        ends = {n for n, node in self.nodes.items() if node.kind == "end"}
        if first and not set(first) <= ends:
            if len(first) > 1:
                return
            meet = self.nodes[first[0]]
            if meet.kind in ("parallel", "inclusive"):
                return  # an explicit join (or a mixed one, left as drawn)
            targets, after = {meet.id}, nx.descendants(dag, meet.id) | {meet.id}
        else:
            targets, after = ends, set()
        groups: list[list[_Arrow]] = [[] for _ in outs]
        for a in self.arrows:
            if a.target not in targets or a.source in after:
                continue
            if a.source == split:
                owners = [i for i, o in enumerate(outs) if o is a]
            else:
                owners = [i for i, r in enumerate(reach) if a.source in r]
            if len(owners) > 1:
                self.notes.append(f"could not tell which branch from {self._shown(split)} "
                                  f"{self._shown(a.source)} belongs to; no join inserted")
                return
            if owners:
                groups[owners[0]].append(a)
        if not all(groups):
            return
        join = self._unique(f"{split}_join")
        used = list(dict.fromkeys(a.target for g in groups for a in g))
        if targets == ends and len(used) > 1:
            end_id = self._unique(f"{join}_end")
            labels = dict.fromkeys(self.nodes[e].label for e in used)
            self.nodes[join] = Node(join, kind)
            self.nodes[end_id] = Node(end_id, "end", " / ".join(labels))
            self.arrows.append(_Arrow(join, end_id, None, None))
            where = "before a single end"
        else:
            (meet,) = used
            self._insert_before(meet, Node(join, kind))
            self.arrows.append(_Arrow(join, meet, None, None))
            where = f"before {self._shown(meet)}"
        for i, group in enumerate(groups):
            if len(group) == 1:
                group[0].target = join
                continue
            merge = self._unique(f"{join}_merge{i + 1}")
            self._insert_before(join, Node(merge, "decision"))
            for a in group:
                a.target = merge
            self.arrows.append(_Arrow(merge, join, None, None))
        if targets == ends and len(used) > 1:
            for e in used:
                if not any(a.target == e for a in self.arrows):
                    del self.nodes[e]
        origin = self.split_origin.get(split, split)
        article = "an" if kind == "inclusive" else "a"
        self.notes.append(f"inserted {article} {kind} join {where} "
                          f"for the branches from {self._shown(origin)}")

    def _shown(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return repr(node.label if node is not None and node.kind == "step" else node_id)

    def _insert_before(self, anchor: str, node: Node) -> None:
        items = list(self.nodes.items())
        at = next(i for i, (k, _) in enumerate(items) if k == anchor)
        items.insert(at, (node.id, node))
        self.nodes = dict(items)

