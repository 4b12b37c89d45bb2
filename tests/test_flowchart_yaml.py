"""Reading and writing the YAML format: round trip, JSON view, paths and text."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_mining.errors import ConfigError, FlowchartError
from cs_mining.flowchart import (AcceptedDeviation, Arrow, Flowchart, Node, read_flowchart,
                                 write_flowchart)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "flowchart-format.md"


def _same(a, b):
    assert a.node_list == b.node_list
    assert a.arrows == b.arrows
    assert a.accepted == b.accepted
    assert (a.name, a.touchpoint, a.request_type, a.description, a.case_target_s) == \
        (b.name, b.touchpoint, b.request_type, b.description, b.case_target_s)


text = st.text(st.characters(whitelist_categories=("L", "N", "P", "Zs", "S")), min_size=1,
               max_size=12)
maybe_text = st.none() | text
seconds = st.none() | st.integers(0, 10**7).map(float) | st.floats(0, 1e6, allow_nan=False)


@st.composite
def charts(draw):
    n = draw(st.integers(1, 5))
    ids = draw(st.lists(text, min_size=n + 3, max_size=n + 3, unique_by=str.casefold))
    start, end, decision, steps = ids[0], ids[1], ids[2], ids[3:]
    nodes = [Node(start, "start", draw(maybe_text) or "")]
    for i, sid in enumerate(steps):
        activities = tuple(f"A{i}|{t}" for t in draw(st.lists(text, max_size=2, unique=True)))
        pattern = draw(st.none() | st.just(f"P{i}\\|.*"))
        nodes.append(Node(sid, "step", f"L{i}|{draw(text)}", activities, pattern,
                          draw(seconds)))
    arrows = [Arrow(start, steps[0])]
    arrows += [Arrow(a, b) for a, b in zip(steps, steps[1:])]
    p = draw(st.none() | st.floats(0, 1))
    nodes.append(Node(decision, "decision", draw(maybe_text) or ""))
    nodes.append(Node(end, "end", draw(maybe_text) or ""))
    arrows.append(Arrow(steps[-1], decision))
    arrows.append(Arrow(decision, end, draw(maybe_text), p))
    arrows.append(Arrow(decision, steps[0], draw(maybe_text), None if p is None else 1 - p))
    accepted = [AcceptedDeviation("skipped_step", steps[0], reason=draw(maybe_text)),
                AcceptedDeviation("unknown_activity", draw(text))]
    return Flowchart(name=draw(text), nodes=nodes, arrows=arrows, touchpoint=draw(maybe_text),
                     request_type=draw(maybe_text), description=draw(maybe_text),
                     case_target_s=draw(seconds), accepted=accepted)


@settings(max_examples=60, deadline=None)
@given(charts())
def test_yaml_round_trip(chart):
    assert chart.check() == []
    _same(read_flowchart(chart.to_yaml()), chart)


def test_documented_example_reads_and_round_trips():
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert blocks
    chart = read_flowchart(blocks[0])
    assert chart.name == "Service request by phone"
    assert chart.case_target_s == 2 * 86400
    assert chart.nodes["answer"].wait_target_s == 60
    assert [d.kind for d in chart.accepted] == ["skipped_step", "unexpected_transition"]
    _same(read_flowchart(chart.to_yaml()), chart)


def test_written_file_reads_back_with_its_path(tmp_path):
    chart = read_flowchart("name: x\nsteps: [{id: s, kind: start}, {id: a, label: Triage},"
                           " {id: e, kind: end}]\narrows: [s -> a -> e]")
    out = write_flowchart(chart, tmp_path / "x.yml")
    back = read_flowchart(str(out))
    _same(back, chart)
    assert back.path == str(out)
    assert back.to_yaml() == chart.to_yaml()


def test_chain_arrows_carry_their_lines():
    chart = read_flowchart("# comment\nname: x\nsteps:\n  - {id: s, kind: start}\n"
                           "  - {id: a}\n  - {id: e, kind: end}\narrows:\n  - s -> a\n"
                           "  - a -> e\n")
    assert [(a.source, a.target, a.line) for a in chart.arrows] == [("s", "a", 8),
                                                                    ("a", "e", 9)]
    assert [n.line for n in chart.node_list] == [4, 5, 6]


def test_to_dict_is_json_native():
    chart = read_flowchart("name: x\ncase_target: 1h\nsteps: [{id: s, kind: start},"
                           " {id: a, wait_target: 15min}, {id: e, kind: end}]\n"
                           "arrows: [s -> a -> e]\naccepted: [{kind: rework, activity: a}]")
    d = chart.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["schema_version"] == 1 and d["case_target_s"] == 3600.0
    assert d["nodes"][1] == {"id": "a", "kind": "step", "label": "a", "activities": [],
                             "pattern": None, "wait_target_s": 900.0}
    assert d["accepted"] == [{"kind": "rework", "activity": "a", "source": None,
                              "target": None, "reason": None}]


def test_format_is_checked_and_overrides_the_suffix(tmp_path):
    with pytest.raises(ConfigError, match="format must be one of None, 'yaml', 'bpmn'; got 'xml'"):
        read_flowchart("x.yaml", format="xml")
    path = tmp_path / "chart.txt"
    path.write_text("name: x\nsteps: [{id: s, kind: start}, {id: e, kind: end}]\n"
                    "arrows: [s -> e]", encoding="utf-8")
    assert read_flowchart(path, format="yaml").name == "x"


def test_non_ascii_names_survive(tmp_path):
    chart = read_flowchart("name: அழைப்பு\nsteps: [{id: s, kind: start},"
                           " {id: a, label: Zvans saņemts}, {id: e, kind: end}]\n"
                           "arrows: [s -> a -> e]")
    back = read_flowchart(write_flowchart(chart, tmp_path / "t.yaml"))
    assert back.name == "அழைப்பு" and back.nodes["a"].label == "Zvans saņemts"


def test_yes_and_no_branch_labels_stay_text():
    chart = read_flowchart("""
name: x
steps: [{id: s, kind: start}, {id: d, kind: decision}, {id: a}, {id: b}, {id: e, kind: end}]
arrows:
  - s -> d
  - {from: d, to: a, label: yes}
  - {from: d, to: b, label: no}
  - a -> e
  - b -> e
""")
    assert sorted(a.label for a in chart.arrows if a.label) == ["no", "yes"]


def test_a_key_written_twice_is_a_problem_with_its_line():
    with pytest.raises(FlowchartError) as info:
        read_flowchart("name: x\nname: y\n"
                       "steps: [{id: s, kind: start}, {id: a}, {id: e, kind: end}]\n"
                       "arrows: [s -> a -> e]\n")
    assert info.value.problems == ["line 2: duplicate key 'name'"]


def test_keys_merged_from_an_anchor_may_be_overridden():
    chart = read_flowchart("name: x\n"
                           "steps:\n"
                           "  - {id: s, kind: start}\n"
                           "  - &step {id: a, label: Answer, wait_target: 60s}\n"
                           "  - {<<: *step, id: b, label: Book}\n"
                           "  - {id: e, kind: end}\n"
                           "arrows: [s -> a -> b -> e]\n")
    assert [(s.id, s.label, s.wait_target_s) for s in chart.steps] == [
        ("a", "Answer", 60.0), ("b", "Book", 60.0)]
