"""Activity mapping, reachability between steps, shortest paths and the networkx views."""

import networkx as nx
import pytest

from cs_mining.errors import ConfigError, FlowchartError
from cs_mining.flowchart import FlowchartBuilder, read_flowchart

SERVICE = """
name: Service request by phone
steps:
  - {id: start, kind: start, label: Customer calls}
  - {id: answer, label: Answer call, activities: [Answer call, Call answered], wait_target: 60s}
  - {id: record, label: Record request}
  - {id: engineer, kind: decision, label: Engineer available?}
  - {id: advise, label: Advise visit date}
  - {id: waitlist, label: Put on waiting list}
  - {id: close, label: Close case, pattern: "Clos(e|ed) .*"}
  - {id: end, kind: end, label: Case closed}
arrows:
  - start -> answer -> record -> engineer
  - {from: engineer, to: advise, label: available, probability: 0.8}
  - {from: engineer, to: waitlist, label: not available, probability: 0.2}
  - advise -> close -> end
  - waitlist -> record
"""


@pytest.fixture(scope="module")
def chart():
    return read_flowchart(SERVICE)


def test_question_mark_in_a_flow_mapping_is_read_as_text(chart):
    assert chart.label_of("engineer") == "Engineer available?"


def test_map_activities_aliases_case_and_regex(chart):
    names = ["Answer call", "CALL ANSWERED", "record request", "Closed ticket", "Close case",
             "Close", "Coffee", "Answer call"]
    assert chart.map_activities(names) == {
        "Answer call": "answer", "CALL ANSWERED": "answer", "record request": "record",
        "Closed ticket": "close", "Close case": "close", "Close": None, "Coffee": None}
    assert chart.step_for("Put on waiting list") == "waitlist"
    assert chart.step_for("Engineer available?") is None
    assert chart.step_for("Customer calls") is None


def test_one_activity_claimed_by_two_steps_is_an_error():
    chart = (FlowchartBuilder("x").start("s").step("fix", "Fix", pattern="Fix.*")
             .step("check", "Check", pattern=".*printer").end("e").chain("s", "fix", "check", "e")
             .build())
    assert chart.step_for("Fix laptop") == "fix"
    with pytest.raises(FlowchartError) as info:
        chart.map_activities(["Fix laptop", "Fix printer"])
    assert str(info.value) == ("activity 'Fix printer' matches two steps, 'fix' and 'check' "
                               "(make their activities or patterns distinct)")


def test_label_of_steps_and_unknown_names(chart):
    assert chart.label_of("answer") == "Answer call"
    assert chart.label_of("end") == "Case closed"
    assert chart.label_of("Lunch break") == "Lunch break"


def test_relations_with_a_loop_back(chart):
    assert chart.first_steps() == {"answer"}
    assert chart.last_steps() == {"close"}
    assert chart.allowed_transitions() == {("answer", "record"), ("record", "advise"),
                                           ("record", "waitlist"), ("waitlist", "record"),
                                           ("advise", "close")}
    assert chart.can_reach("answer", "close")
    assert chart.can_reach("waitlist", "waitlist")
    assert chart.can_reach("record", "record")
    assert not chart.can_reach("advise", "waitlist")
    assert not chart.can_reach("close", "answer")
    assert not chart.can_reach("answer", "answer")


def test_can_reach_needs_one_run_with_both_steps():
    chart = (FlowchartBuilder("x").start("s").decision("d").step("A").step("B").end("e")
             .chain("s", "d", "A", "e").chain("d", "B", "e").build())
    assert not chart.can_reach("A", "B") and not chart.can_reach("B", "A")


def test_concurrent_steps_are_parallel_and_inclusive_branches_only(chart):
    from cs_mining.flowchart.graph import relations

    assert relations(chart).concurrent == set()  # a decision and a loop: nothing concurrent
    for gateway in ("parallel", "inclusive"):
        b = FlowchartBuilder("x").start("s").step("A")
        getattr(b, gateway)("fork").step("B").step("C").decision("d").step("D").step("E")
        block = (getattr(b.decision("m"), gateway)("join").step("F").end("e")
                 .chain("s", "A", "fork", "B", "join", "F", "e")
                 .chain("fork", "C", "d", "D", "m", "join").chain("d", "E", "m").build())
        # B runs beside C, D and E; D and E exclude each other; A and F frame the block.
        assert relations(block).concurrent == {
            ("B", "C"), ("C", "B"), ("B", "D"), ("D", "B"), ("B", "E"), ("E", "B")}, gateway


def test_arrow_pairs_follow_drawn_arrows_through_decisions(chart):
    from cs_mining.flowchart.graph import arrow_pairs

    assert arrow_pairs(chart) == {(None, "answer"), ("answer", "record"), ("record", "advise"),
                                  ("record", "waitlist"), ("waitlist", "record"),
                                  ("advise", "close"), ("close", None)}


def test_shortest_path(chart):
    assert chart.shortest_path("answer", "close") == ["answer", "record", "advise", "close"]
    assert chart.shortest_path("waitlist", "close") == ["waitlist", "record", "advise", "close"]
    assert chart.shortest_path("close", "answer") == []
    assert chart.shortest_path("record", "record") == ["record"]
    with pytest.raises(ConfigError) as info:
        chart.shortest_path("answr", "close")
    assert str(info.value) == ("shortest_path(): 'answr' is not a step of "
                               "'Service request by phone' (did you mean 'answer'?)")


def test_step_graph(chart):
    g = chart.step_graph()
    assert isinstance(g, nx.DiGraph)
    assert set(g.nodes) == {"answer", "record", "advise", "waitlist", "close"}
    assert set(g.edges) == chart.allowed_transitions()
    assert g.nodes["answer"]["label"] == "Answer call"
    g.remove_node("answer")
    assert "answer" in chart.step_graph()


def test_to_networkx_keeps_every_node_and_arrow(chart):
    g = chart.to_networkx()
    assert set(g.nodes) == {"start", "answer", "record", "engineer", "advise", "waitlist",
                            "close", "end"}
    assert g.number_of_edges() == 8
    assert g.nodes["answer"] == {"kind": "step", "label": "Answer call",
                                 "activities": ["Answer call", "Call answered"],
                                 "pattern": None, "wait_target_s": 60.0}
    assert g.nodes["close"]["pattern"] == "Clos(e|ed) .*"
    assert g.nodes["engineer"]["kind"] == "decision"
    assert g.edges["engineer", "waitlist"] == {"label": "not available", "probability": 0.2}
    assert g.edges["start", "answer"] == {"label": None, "probability": None}


def test_summary_lists_steps_decisions_and_targets(chart):
    text = str(chart)
    assert text.splitlines()[0] == "Flowchart: Service request by phone"
    assert "answer    Answer call" in text
    assert "available: Advise visit date (80%); not available: Put on waiting list (20%)" in text
    assert repr(chart) == "<Flowchart 'Service request by phone': 5 steps, 1 decisions, 8 arrows>"


def test_html_escapes_names():
    chart = (FlowchartBuilder("<b>x</b>").start("s").step("a", "<script>").end("e")
             .chain("s", "a", "e").build())
    html = chart._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html


def test_activity_in_decomposed_unicode_matches_its_step():
    chart = read_flowchart("name: x\nsteps:\n  - {id: s, kind: start}\n"
                           "  - {id: c, label: Slēgt lietu}\n  - {id: e, kind: end}\n"
                           "arrows: [s -> c -> e]")
    decomposed = "Sle\u0304gt lietu"  # e + combining macron, as macOS exports write it
    assert decomposed != "Slēgt lietu"
    assert chart.map_activities([decomposed, "SLĒGT LIETU", "Slegt lietu"]) == {
        decomposed: "c", "SLĒGT LIETU": "c", "Slegt lietu": None}


def test_either_or_branches_inside_a_loop_are_not_concurrent():
    from cs_mining.flowchart.graph import relations

    chart = (FlowchartBuilder("Loop").start("s").step("open", "Open").decision("again")
             .decision("how").step("call", "Call").step("mail", "Send e-mail").decision("m")
             .decision("more").step("close", "Close").end("e")
             .chain("s", "open", "again", "how").chain("how", "call", "m")
             .chain("how", "mail", "m", "more").arrow("more", "again", label="yes")
             .chain("more", "close", "e").build())
    assert relations(chart).concurrent == set()
