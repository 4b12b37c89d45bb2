"""Read and write the YAML flowchart format (see ``docs/flowchart-format.md``).

Reading collects every problem (unknown keys, malformed durations, bad
regular expressions, then everything :meth:`Flowchart.check` finds), each
with its line, and raises one :class:`FlowchartError`.

Examples
--------
>>> chart = read_flowchart('''
... name: Order by phone
... steps:
...   - {id: start, kind: start}
...   - {id: take, label: Take order, wait_target: 60s}
...   - {id: end, kind: end}
... arrows:
...   - start -> take -> end
... ''')
>>> chart
<Flowchart 'Order by phone': 1 steps, 0 decisions, 2 arrows>
>>> read_flowchart(chart.to_yaml()).nodes["take"].wait_target_s
60.0
>>> read_flowchart('''
... name: Broken
... steps:
...   - {id: start, kind: start}
...   - {id: take, wait_targte: 60s}
...   - {id: end, kind: end}
... arrows:
...   - start -> take -> ned
... ''')
Traceback (most recent call last):
...
cs_mining.errors.FlowchartError: line 5: unknown key 'wait_targte' (did you mean 'wait_target'?) (and 3 more problems)
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .._yaml import _LineLoader, _Map, _Seq
from ..errors import FlowchartError, and_more, check_choice
from .check import format_problem, problems, suggest
from .model import AcceptedDeviation, Arrow, Flowchart, Node, parse_duration

__all__ = ["read_flowchart", "write_flowchart", "to_yaml"]

TOP_KEYS = ("name", "touchpoint", "request_type", "description", "case_target", "steps",
            "arrows", "accepted")
STEP_KEYS = ("id", "kind", "label", "activities", "pattern", "wait_target")
ARROW_KEYS = ("from", "to", "label", "probability")
ACCEPTED_KEYS = ("kind", "activity", "source", "target", "reason")
_SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".bpmn": "bpmn", ".xml": "bpmn"}


class _Loader(_LineLoader):
    """The line-remembering loader, reading plain scalars and booleans as YAML 1.2 does."""

    def scan_plain(self):
        # PyYAML follows YAML 1.1 and ends a plain scalar at '?' inside braces, so
        # `{id: d, label: Engineer available?}` (a decision, written as the format's
        # own example writes it) is a syntax error.  YAML 1.2 allows '?' there;
        # this is PyYAML's Scanner.scan_plain (6.0) with only that character removed.
        chunks = []
        start_mark = self.get_mark()
        end_mark = start_mark
        indent = self.indent + 1
        spaces = []
        breaks = "\0 \t\r\n\x85\u2028\u2029"
        while True:
            length = 0
            if self.peek() == "#":
                break
            while True:
                ch = self.peek(length)
                if ch in breaks \
                        or (ch == ":" and self.peek(length + 1) in breaks
                            + (",[]{}" if self.flow_level else "")) \
                        or (self.flow_level and ch in ",[]{}"):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces)
            chunks.append(self.prefix(length))
            self.forward(length)
            end_mark = self.get_mark()
            spaces = self.scan_plain_spaces(indent, start_mark)
            if not spaces or self.peek() == "#" \
                    or (not self.flow_level and self.column < indent):
                break
        return yaml.tokens.ScalarToken("".join(chunks), True, start_mark, end_mark)


# YAML 1.1 reads yes/no/on/off as booleans, so a branch labelled "no" would
# become False; like YAML 1.2, only true/false are booleans here.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_flowchart(source, *, format: str | None = None) -> Flowchart:
    """Read a flowchart from a YAML or BPMN file, or from YAML text, and validate it.

    Parameters
    ----------
    source : str or pathlib.Path
        A path ending in ``.yaml``/``.yml`` (YAML) or ``.bpmn``/``.xml`` (BPMN), or YAML text.
    format : {"yaml", "bpmn"} or None, default=None
        Overrides the guess from the file name.

    Returns
    -------
    Flowchart

    Raises
    ------
    FlowchartError
        Listing every problem in ``.problems`` (``file:line: message``); the
        message is the first problem and a count of the rest.

    Examples
    --------
    >>> chart = read_flowchart("name: x\\nsteps: [{id: s, kind: start}, {id: e, kind: end}]\\n"
    ...                        "arrows: [s -> e]")
    >>> [n.kind for n in chart.node_list]
    ['start', 'end']
    """
    check_choice("read_flowchart()", "format", format, [None, "yaml", "bpmn"])
    path = _as_path(source)
    if path is None:
        return _from_text(str(source), None, "Flowchart")
    if not path.is_file():
        raise FlowchartError("file not found", path=path)
    kind = format or _SUFFIXES.get(path.suffix.lower(), "yaml")
    if kind == "bpmn":
        from .bpmn import read_bpmn
        chart = read_bpmn(path)
        _raise_if([(None, p) for p in chart.check()], None)
        return chart
    return _from_text(path.read_text(encoding="utf-8-sig"), str(path), path.stem)


def _as_path(source):
    if isinstance(source, Path):
        return source
    text = str(source)
    if "\n" in text:
        return None
    try:
        if Path(text).suffix.lower() in _SUFFIXES or Path(text).is_file():
            return Path(text)
    except OSError:
        pass
    return None


def write_flowchart(chart: Flowchart, path) -> Path:
    """Write the chart as YAML to ``path`` (UTF-8) and return the path.

    Parameters
    ----------
    chart : Flowchart
    path : str or pathlib.Path
        The file to write; its folder must exist.

    Returns
    -------
    pathlib.Path

    See Also
    --------
    read_flowchart : reads it back; the two round-trip.

    Examples
    --------
    >>> import tempfile
    >>> chart = read_flowchart("name: x\\nsteps: [{id: s, kind: start}, {id: e, kind: end}]\\n"
    ...                        "arrows: [s -> e]")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     out = write_flowchart(chart, Path(d) / "x.yaml")
    ...     read_flowchart(out).arrows == chart.arrows
    True
    """
    path = Path(path)
    path.write_text(to_yaml(chart), encoding="utf-8")
    return path


def _raise_if(found, path):
    if not found:
        return
    lines = [format_problem(path, line, message) for line, message in found]
    more = and_more(len(lines) - 1)
    line, message = found[0]
    if path is None:
        raise FlowchartError(lines[0] + more, problems=lines)
    raise FlowchartError(message + more, path=path, row=line, problems=lines)


def _from_text(text, path, default_name):
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        what = " ".join(str(getattr(err, "problem", None) or err).split())
        syntax = [(mark.line + 1 if mark else None,
                   f"not valid YAML: {what} (put text containing ':', '#', ',' or brackets "
                   "in quotes)")]
    else:
        syntax = None
    finally:
        loader.dispose()
    if syntax:
        _raise_if(syntax, path)
    if not isinstance(data, _Map):
        what = {"_Seq": "a list", "str": "plain text", "NoneType": "nothing"}.get(
            type(data).__name__, type(data).__name__)
        _raise_if([(None, "a flowchart is a mapping with keys name, steps and arrows; got "
                          f"{what}")], path)
    found = [(line, f"duplicate key {key!r}") for key, line in loader.duplicates]
    _unknown_keys(data, TOP_KEYS, found)
    text_of = _texts(data, found)
    nodes = [_node(item, line, found) for item, line in _items(data, "steps", found)]
    arrows = []
    for item, line in _items(data, "arrows", found):
        arrows += _arrows(item, line, found)
    accepted = [_accepted(item, line, found) for item, line in _items(data, "accepted", found)]
    chart = Flowchart(name=text_of("name") or default_name, nodes=[n for n in nodes if n],
                      arrows=arrows, touchpoint=text_of("touchpoint"),
                      request_type=text_of("request_type"), description=text_of("description"),
                      case_target_s=_duration(data, "case_target", found),
                      accepted=[d for d in accepted if d], path=path)
    if "steps" not in data:
        found.append((None, "missing key 'steps' (list every node of the flowchart)"))
    _raise_if(problems(chart, also=found), path)
    return chart


def _unknown_keys(data, allowed, found):
    for key in data:
        if key not in allowed:
            found.append((data.key_lines.get(key, data.line),
                          f"unknown key {key!r}{suggest(key, allowed)}"))


def _texts(data, found):
    def text_of(key, mapping=data):
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            found.append((mapping.key_lines.get(key, mapping.line),
                          f"{key} must be text; got a {type(value).__name__}"))
            return None
        return str(value)
    return text_of


def _items(data, key, found):
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, _Seq):
        found.append((data.key_lines.get(key, data.line), f"{key} must be a list"))
        return []
    return list(zip(value, value.item_lines))


def _duration(mapping, key, found, where=""):
    if mapping.get(key) is None:
        return None
    try:
        return parse_duration(mapping[key])
    except ValueError as err:
        found.append((mapping.key_lines.get(key, mapping.line), f"{where}{key}: {err}"))
        return None


def _node(item, line, found):
    if not isinstance(item, _Map):
        found.append((line, f"a step is a mapping with at least an id; got {item!r}"))
        return None
    _unknown_keys(item, STEP_KEYS, found)
    if item.get("id") is None:
        found.append((item.line, "step without an id"))
        return None
    text_of = _texts(item, found)
    activities = item.get("activities") or ()
    if isinstance(activities, (str, int, float)):
        activities = [activities]
    if isinstance(activities, dict):
        found.append((item.key_lines["activities"], "activities must be a list of names"))
        activities = ()
    pattern = text_of("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as err:
            found.append((item.key_lines["pattern"],
                          f"step {str(item['id'])!r}: pattern {pattern!r} is not a valid "
                          f"regular expression ({err})"))
    return Node(str(item["id"]), text_of("kind") or "step", text_of("label") or "",
                tuple(str(a) for a in activities), pattern,
                _duration(item, "wait_target", found, f"step {str(item['id'])!r}: "),
                line=item.line)


def _arrows(item, line, found):
    if isinstance(item, str):
        ids = [part.strip() for part in item.split("->")]
        if len(ids) < 2 or not all(ids):
            found.append((line, f"arrow {item!r} is malformed (write 'a -> b -> c' or "
                                "{from: a, to: b})"))
            return []
        return [Arrow(a, b, line=line) for a, b in zip(ids, ids[1:])]
    if not isinstance(item, _Map):
        found.append((line, f"an arrow is 'a -> b' or {{from: a, to: b}}; got {item!r}"))
        return []
    _unknown_keys(item, ARROW_KEYS, found)
    missing = [k for k in ("from", "to") if item.get(k) is None]
    if missing:
        found.append((item.line, f"arrow without {' and '.join(repr(k) for k in missing)}"))
        return []
    probability = item.get("probability")
    if probability is not None and (isinstance(probability, bool)
                                    or not isinstance(probability, (int, float))):
        found.append((item.key_lines["probability"],
                      f"probability must be a number between 0 and 1; got {probability!r}"))
        probability = None
    label = item.get("label")
    return [Arrow(str(item["from"]), str(item["to"]), None if label is None else str(label),
                  None if probability is None else float(probability), line=item.line)]


def _accepted(item, line, found):
    if not isinstance(item, _Map):
        found.append((line, f"an accepted deviation is a mapping with a kind; got {item!r}"))
        return None
    _unknown_keys(item, ACCEPTED_KEYS, found)
    if item.get("kind") is None:
        found.append((item.line, "accepted deviation without a kind"))
        return None
    text_of = _texts(item, found)
    return AcceptedDeviation(*(text_of(k) for k in ACCEPTED_KEYS), line=item.line)


def _exact_duration(seconds):
    if float(seconds) != int(seconds) or seconds < 0:
        return float(seconds)
    rest, parts = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return " ".join(parts) or "0s"


def _chainable(node_id):
    return node_id == node_id.strip() and node_id and "->" not in node_id \
        and "\n" not in node_id and not node_id.endswith("-")


def to_yaml(chart: Flowchart) -> str:
    """Return the chart in the YAML format, keys in the documented order."""
    head = {"name": chart.name, "touchpoint": chart.touchpoint,
            "request_type": chart.request_type, "description": chart.description,
            "case_target": None if chart.case_target_s is None
            else _exact_duration(chart.case_target_s)}
    parts = [_dump({k: v for k, v in head.items() if v is not None}, flow=False)]
    parts.append("steps:\n")
    for n in chart.node_list:
        item = {"id": n.id}
        if n.kind != "step":
            item["kind"] = n.kind
        if n.label != n.id:
            item["label"] = n.label
        if n.activities:
            item["activities"] = list(n.activities)
        if n.pattern is not None:
            item["pattern"] = n.pattern
        if n.wait_target_s is not None:
            item["wait_target"] = _exact_duration(n.wait_target_s)
        parts.append("- " + _dump(item))
    if chart.arrows:
        parts.append("arrows:\n")
        chain = []
        for a in chart.arrows:
            plain = a.label is None and a.probability is None and _chainable(a.source) \
                and _chainable(a.target)
            if plain and chain and chain[-1] == a.source:
                chain.append(a.target)
                continue
            if chain:
                parts.append("- " + _dump(" -> ".join(chain)))
                chain = []
            if plain:
                chain = [a.source, a.target]
                continue
            item = {"from": a.source, "to": a.target}
            if a.label is not None:
                item["label"] = a.label
            if a.probability is not None:
                item["probability"] = a.probability
            parts.append("- " + _dump(item))
        if chain:
            parts.append("- " + _dump(" -> ".join(chain)))
    if chart.accepted:
        parts.append("accepted:\n")
        for d in chart.accepted:
            item = {k: getattr(d, k) for k in ACCEPTED_KEYS if getattr(d, k) is not None}
            parts.append("- " + _dump(item))
    return "".join(parts)


def _dump(value, flow=True) -> str:
    text = yaml.safe_dump(value, default_flow_style=flow, sort_keys=False, allow_unicode=True,
                          width=10_000)
    return text[:-4] + "\n" if text.endswith("\n...\n") else text
