"""read_bpmn: BPMN 2.0 files as modellers export them and as business people draw them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from cs_mining.errors import CsMiningWarning, FlowchartError
from cs_mining.flowchart.bpmn import read_bpmn
from cs_mining.flowchart.model import Flowchart
from cs_mining.testing import log_from_text

DATA = Path(__file__).resolve().parent / "data" / "bpmn"


def read(name):
    """Read a fixture; return the chart and the warning messages."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = read_bpmn(DATA / name)
    return chart, [str(w.message) for w in caught if issubclass(w.category, CsMiningWarning)]


def nodes(chart):
    return [(n.id, n.kind, n.label) for n in chart.node_list]


def arrows(chart):
    return sorted((a.source, a.target, a.label or "") for a in chart.arrows)


def log_of(traces):
    return log_from_text("\n".join(f"C{i}: {', '.join(t)}" for i, t in enumerate(traces)))


def pm4py_fitting_share(name, traces):
    """Share of traces that fit pm4py's own BPMN import, by token replay (as users run it;
    pm4py refuses alignments on the nets it builds from the broken drawings below)."""
    import pm4py

    net, im, fm = pm4py.convert_to_petri_net(pm4py.read_bpmn(str(DATA / name)))
    result = pm4py.fitness_token_based_replay(log_of(traces), net, im, fm)
    return result["perc_fit_traces"] / 100


def own_fitting_share(chart, traces):
    if not hasattr(Flowchart, "to_petri_net"):
        pytest.skip("Flowchart.to_petri_net not available yet")
    import pm4py

    model = chart.to_petri_net()
    # Alignments rather than token replay: replay picks silent transitions greedily and
    # misjudges nets with many of them (pm4py-traps.md, #148 #311).
    result = pm4py.fitness_alignments(log_of(traces), model.net, model.initial_marking,
                                      model.final_marking)
    return result["percFitTraces"] / 100


# -- modeller exports -----------------------------------------------------------------------

def test_camunda_export_with_diagram_interchange_and_out_of_stock_decision():
    chart, warned = read("camunda_order_out_of_stock.bpmn")
    assert warned == []
    assert chart.name == "Order by phone"
    assert chart.description == "Order desk, reviewed with the Leeds team"
    assert chart.path == str(DATA / "camunda_order_out_of_stock.bpmn")
    assert nodes(chart) == [
        ("StartEvent_1", "start", "Customer calls"),
        ("Activity_take", "step", "Take order"),          # "Take&#10;order": newline folded
        ("Activity_stock", "step", "Check stock"),
        ("Gateway_instock", "decision", "In stock?"),
        ("Activity_offer", "step", "Offer alternative product"),
        ("Activity_ship", "step", "Ship order"),
        ("Gateway_merge", "decision", "Gateway_merge"),   # a plain merge stays a decision
        ("Event_done", "end", "Order handled"),
    ]
    assert arrows(chart) == sorted([
        ("StartEvent_1", "Activity_take", ""), ("Activity_take", "Activity_stock", ""),
        ("Activity_stock", "Gateway_instock", ""),
        ("Gateway_instock", "Activity_ship", "in stock"),
        ("Gateway_instock", "Activity_offer", "out of stock"),
        ("Activity_offer", "Gateway_merge", ""), ("Activity_ship", "Gateway_merge", ""),
        ("Gateway_merge", "Event_done", ""),
    ])
    assert chart.nodes["Activity_take"].line == 8
    assert chart.nodes["Event_done"].line == 34
    assert [a.line for a in chart.arrows if a.label == "out of stock"] == [41]


ORDER_TRACES = [["Take order", "Check stock", "Ship order"],
                ["Take order", "Check stock", "Offer alternative product"]]


def test_camunda_order_traces_fit_pm4py_net():
    # pm4py drops the line break in "Take&#10;order" without a space: "Takeorder".
    pm4py_traces = [["Takeorder", *t[1:]] for t in ORDER_TRACES]
    assert pm4py_fitting_share("camunda_order_out_of_stock.bpmn", pm4py_traces) == 1.0
    assert pm4py_fitting_share("camunda_order_out_of_stock.bpmn",
                               [["Takeorder", "Ship order"]]) == 0.0


def test_camunda_order_traces_fit_own_net():
    chart, _ = read("camunda_order_out_of_stock.bpmn")
    assert own_fitting_share(chart, ORDER_TRACES) == 1.0
    assert own_fitting_share(chart, [["Take order", "Ship order"]]) == 0.0


def test_signavio_export_default_namespace_pool_lanes_and_message_flow():
    chart, warned = read("signavio_complaint.bpmn")
    assert warned == [f"{DATA / 'signavio_complaint.bpmn'}: ignored 1 message flow(s) "
                      "between pools"]
    assert chart.name == "Complaints desk"  # the pool's name: the process has none
    assert nodes(chart) == [
        ("sid-start", "start", "Complaint received"),
        ("sid-register", "step", "Register complaint"),
        ("sid-split", "parallel", "sid-split"),
        ("sid-inform", "step", "Inform customer"),
        ("sid-investigate", "step", "Investigate complaint"),
        ("sid-join", "parallel", "sid-join"),
        ("sid-resolve", "step", "Resolve complaint"),
        ("sid-end", "end", "Complaint closed"),
    ]
    assert arrows(chart) == sorted([
        ("sid-start", "sid-register", ""), ("sid-register", "sid-split", ""),
        ("sid-split", "sid-inform", ""), ("sid-split", "sid-investigate", ""),
        ("sid-inform", "sid-join", ""), ("sid-investigate", "sid-join", ""),
        ("sid-join", "sid-resolve", ""), ("sid-resolve", "sid-end", ""),
    ])


COMPLAINT_TRACES = [["Register complaint", "Inform customer", "Investigate complaint",
                     "Resolve complaint"],
                    ["Register complaint", "Investigate complaint", "Inform customer",
                     "Resolve complaint"]]
COMPLAINT_SKIP = [["Register complaint", "Investigate complaint", "Resolve complaint"]]


def test_signavio_parallel_block_fits_pm4py_and_own_net():
    assert pm4py_fitting_share("signavio_complaint.bpmn", COMPLAINT_TRACES) == 1.0
    assert pm4py_fitting_share("signavio_complaint.bpmn", COMPLAINT_SKIP) == 0.0
    chart, _ = read("signavio_complaint.bpmn")
    assert own_fitting_share(chart, COMPLAINT_TRACES) == 1.0
    assert own_fitting_share(chart, COMPLAINT_SKIP) == 0.0


def test_same_file_as_bytes_and_as_text_reads_the_same():
    data = (DATA / "signavio_complaint.bpmn").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CsMiningWarning)
        from_bytes = read_bpmn(data, name="Complaint")
        from_text = read_bpmn(data.decode("utf-8"))
    file_chart, _ = read("signavio_complaint.bpmn")
    assert nodes(from_bytes) == nodes(from_text) == nodes(file_chart)
    assert arrows(from_bytes) == arrows(file_chart)
    assert from_bytes.name == "Complaint" and from_bytes.path is None


# -- gateways ---------------------------------------------------------------------------------

REFUND_TRACES = [["Assess refund", "Issue credit"], ["Assess refund", "Send voucher"],
                 ["Assess refund", "Issue credit", "Send voucher"],
                 ["Assess refund", "Send voucher", "Issue credit"]]


def test_inclusive_block_with_explicit_join():
    chart, warned = read("inclusive_block.bpmn")
    assert warned == []
    assert nodes(chart) == [
        ("start", "start", "Refund requested"), ("assess", "step", "Assess refund"),
        ("which", "inclusive", "What to do?"), ("credit", "step", "Issue credit"),
        ("voucher", "step", "Send voucher"), ("done", "inclusive", "done"),
        ("end", "end", "Refund settled"),
    ]
    assert arrows(chart) == sorted([
        ("start", "assess", ""), ("assess", "which", ""), ("which", "credit", "money back"),
        ("which", "voucher", "goodwill"), ("credit", "done", ""), ("voucher", "done", ""),
        ("done", "end", ""),
    ])
    assert pm4py_fitting_share("inclusive_block.bpmn", REFUND_TRACES) == 1.0
    assert own_fitting_share(chart, REFUND_TRACES) == 1.0
    assert own_fitting_share(chart, [["Issue credit"]]) == 0.0


def test_parallel_branches_meeting_at_a_task_get_an_implicit_join():
    chart, warned = read("implicit_join.bpmn")
    assert warned == [f"{DATA / 'implicit_join.bpmn'}: inserted a parallel join before "
                      "'Visit customer' for the branches from 'split'"]
    assert nodes(chart) == [
        ("start", "start", "start"), ("split", "parallel", "split"),
        ("book", "step", "Book engineer"), ("parts", "step", "Order parts"),
        ("split_join", "parallel", "split_join"), ("visit", "step", "Visit customer"),
        ("end", "end", "end"),
    ]
    assert arrows(chart) == sorted([
        ("start", "split", ""), ("split", "book", ""), ("split", "parts", ""),
        ("book", "split_join", ""), ("parts", "split_join", ""),
        ("split_join", "visit", ""), ("visit", "end", ""),
    ])
    traces = [["Book engineer", "Order parts", "Visit customer"],
              ["Order parts", "Book engineer", "Visit customer"]]
    assert own_fitting_share(chart, traces) == 1.0
    assert own_fitting_share(chart, [["Book engineer", "Visit customer"]]) == 0.0


def test_pm4py_leaves_a_token_behind_without_the_implicit_join():
    # Why cs_mining inserts the join (pm4py-traps.md): pm4py reads the two arrows into
    # "Visit customer" as an XOR merge, so a token is left over and no trace fits.
    traces = [["Book engineer", "Order parts", "Visit customer"]]
    assert pm4py_fitting_share("implicit_join.bpmn", traces) == 0.0


def test_inclusive_branches_meeting_at_a_task_get_an_inclusive_join():
    chart, warned = read("inclusive_no_join.bpmn")
    assert warned == [f"{DATA / 'inclusive_no_join.bpmn'}: inserted an inclusive join before "
                      "'Log contact' for the branches from 'how'"]
    assert nodes(chart) == [
        ("start", "start", "start"), ("how", "inclusive", "Channels?"),
        ("sms", "step", "Send SMS"), ("mail", "step", "Send e-mail"),
        ("how_join", "inclusive", "how_join"), ("log", "step", "Log contact"),
        ("end", "end", "end"),
    ]
    assert arrows(chart) == sorted([
        ("start", "how", ""), ("how", "sms", "mobile known"), ("how", "mail", "e-mail known"),
        ("sms", "how_join", ""), ("mail", "how_join", ""), ("how_join", "log", ""),
        ("log", "end", ""),
    ])
    traces = [["Send SMS", "Log contact"], ["Send e-mail", "Log contact"],
              ["Send e-mail", "Send SMS", "Log contact"]]
    assert own_fitting_share(chart, traces) == 1.0
    assert own_fitting_share(chart, [["Send SMS"]]) == 0.0


def test_several_arrows_out_of_a_task_run_in_parallel_and_separate_ends_are_joined():
    chart, warned = read("task_split_separate_ends.bpmn")
    assert warned == [f"{DATA / 'task_split_separate_ends.bpmn'}: inserted a parallel join "
                      "before a single end for the branches from \"Record engineer's report\""]
    assert nodes(chart) == [
        ("start", "start", "Fix done"), ("report", "step", "Record engineer's report"),
        ("report_split", "parallel", "report_split"), ("invoice", "step", "Send invoice"),
        ("survey", "step", "Send survey"), ("report_split_join", "parallel", "report_split_join"),
        ("report_split_join_end", "end", "Invoiced / Survey sent"),
    ]
    assert arrows(chart) == sorted([
        ("start", "report", ""), ("report", "report_split", ""),
        ("report_split", "invoice", ""), ("report_split", "survey", ""),
        ("invoice", "report_split_join", ""), ("survey", "report_split_join", ""),
        ("report_split_join", "report_split_join_end", ""),
    ])
    both = [["Record engineer's report", "Send invoice", "Send survey"],
            ["Record engineer's report", "Send survey", "Send invoice"]]
    assert own_fitting_share(chart, both) == 1.0
    assert own_fitting_share(chart, [["Record engineer's report", "Send invoice"]]) == 0.0


def test_pm4py_reads_arrows_out_of_a_task_as_a_choice():
    # pm4py-traps.md: pm4py makes the task's two arrows an XOR, so doing both does not
    # fit and doing one does, the opposite of BPMN's meaning.
    name = "task_split_separate_ends.bpmn"
    assert pm4py_fitting_share(name, [["Record engineer's report", "Send invoice",
                                       "Send survey"]]) == 0.0
    assert pm4py_fitting_share(name, [["Record engineer's report", "Send invoice"]]) == 1.0


# -- events and sub-processes -----------------------------------------------------------------

def test_intermediate_events_are_spliced_out_with_a_warning():
    chart, warned = read("timer_event.bpmn")
    assert warned == [f"{DATA / 'timer_event.bpmn'}: spliced out intermediate event(s) "
                      "'wait 2 days' (timer, line 6), 'Case closed message' (message, line 12): "
                      "no log step stands for them, their arrows were joined"]
    assert nodes(chart) == [("start", "start", "start"), ("repair", "step", "Confirm repair"),
                            ("call", "step", "Call customer"), ("end", "end", "end")]
    assert arrows(chart) == sorted([("start", "repair", ""), ("repair", "call", "repaired"),
                                    ("call", "end", "")])
    assert own_fitting_share(chart, [["Confirm repair", "Call customer"]]) == 1.0
    assert own_fitting_share(chart, [["Confirm repair"]]) == 0.0


def test_pm4py_net_falls_apart_at_an_intermediate_event():
    # pm4py-traps.md: pm4py drops the arrows to and from intermediate events.
    assert pm4py_fitting_share("timer_event.bpmn", [["Confirm repair", "Call customer"]]) == 0.0


def test_expanded_subprocess_is_inlined_and_collapsed_one_is_a_step():
    chart, warned = read("subprocess.bpmn")
    assert warned == []
    assert nodes(chart) == [
        ("start", "start", "start"), ("answer", "step", "Answer call"),
        ("account", "step", "Open account"), ("record", "step", "Record request"),
        ("sub_visit", "step", "Engineer visit"), ("end", "end", "end"),
    ]
    assert arrows(chart) == sorted([
        ("start", "answer", ""), ("answer", "account", ""), ("account", "record", ""),
        ("record", "sub_visit", ""), ("sub_visit", "end", ""),
    ])
    run = [["Answer call", "Open account", "Record request", "Engineer visit"]]
    assert own_fitting_share(chart, run) == 1.0
    assert own_fitting_share(chart, [["Answer call", "Engineer visit"]]) == 0.0


# -- refused and broken input -------------------------------------------------------------------

def test_boundary_event_is_refused_naming_element_and_line():
    path = DATA / "boundary_event.bpmn"
    with pytest.raises(FlowchartError) as info:
        read_bpmn(path)
    assert str(info.value) == (f"{path}:6: boundaryEvent 'Timer_late' on 'callback' is not "
                               "supported: draw the exception path as a decision after the step")
    assert info.value.row == 6 and info.value.path == str(path)
    assert info.value.problems == [str(info.value)]


def test_every_refused_element_is_listed():
    xml = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
<process id="p"><startEvent id="s"/>
<eventBasedGateway id="g"/>
<complexGateway id="c"/>
<endEvent id="e"/>
<sequenceFlow id="f" sourceRef="s" targetRef="nowhere"/>
</process></definitions>"""
    with pytest.raises(FlowchartError) as info:
        read_bpmn(xml)
    assert str(info.value) == ("line 3: eventBasedGateway 'g' is not supported: draw it as a "
                               "decision whose branches are the events (and 2 more problems)")
    assert info.value.problems == [
        "line 3: eventBasedGateway 'g' is not supported: draw it as a decision whose branches "
        "are the events",
        "line 4: complexGateway 'c' is not supported: draw it with exclusive, parallel or "
        "inclusive gateways",
        "line 6: sequenceFlow 'f' points to 'nowhere', which is not a step, event or gateway of "
        "this process",
    ]


def test_billion_laughs_is_refused_before_parsing():
    path = DATA / "billion_laughs.bpmn"
    with pytest.raises(FlowchartError) as info:
        read_bpmn(path)
    assert str(info.value) == (f"{path}: refusing XML with a DOCTYPE/entity declaration "
                               "(hostile or unsupported XML; BPMN needs none: delete the "
                               "<!DOCTYPE ...> line if you trust the file)")


def test_external_entity_is_refused_and_nothing_is_read():
    path = DATA / "external_entity.bpmn"
    with pytest.raises(FlowchartError) as info:
        read_bpmn(path)
    assert str(info.value) == (f"{path}: refusing XML with a DOCTYPE/entity declaration "
                               "(hostile or unsupported XML; BPMN needs none: delete the "
                               "<!DOCTYPE ...> line if you trust the file)")
    assert "root:" not in str(info.value)


@pytest.mark.parametrize("name", ["billion_laughs.bpmn", "external_entity.bpmn"])
def test_the_parser_itself_neither_expands_nor_fetches(name):
    # Defence in depth behind the DOCTYPE refusal: the parser we use must not load
    # /etc/passwd nor build a gigabyte of "lol", whatever libxml2 version runs.
    from lxml import etree

    from cs_mining.flowchart.bpmn import _xml_parser

    try:
        root = etree.parse(str(DATA / name), _xml_parser()).getroot()
    except etree.XMLSyntaxError:
        return
    text = etree.tostring(root)
    assert b"root:" not in text and len(text) < 10_000


def test_doctype_is_refused_in_utf16_too():
    xml = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY x "y">]>'
           '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    with pytest.raises(FlowchartError, match=r"^refusing XML with a DOCTYPE"):
        read_bpmn(xml.encode("utf-16"))


def test_malformed_xml_names_file_and_line():
    path = DATA / "malformed.bpmn"
    with pytest.raises(FlowchartError) as info:
        read_bpmn(path)
    assert str(info.value) == (f"{path}:6: not well-formed XML: Opening and ending tag "
                               "mismatch: startEvent line 4 and process")
    assert info.value.row == 6


def test_not_bpmn():
    with pytest.raises(FlowchartError) as info:
        read_bpmn('<definitions xmlns="http://example.com/other"/>')
    assert str(info.value) == ("not a BPMN 2.0 file: the root element is 'definitions' in "
                               "namespace 'http://example.com/other'; expected 'definitions' in "
                               "'http://www.omg.org/spec/BPMN/20100524/MODEL'")


def test_several_processes_with_steps_are_listed():
    path = DATA / "two_processes.bpmn"
    with pytest.raises(FlowchartError) as info:
        read_bpmn(path)
    assert str(info.value) == (f"{path}: several BPMN processes have steps: 'P_front' "
                               "(Front desk), 'P_back'; keep one process per file")


def test_missing_file():
    with pytest.raises(FlowchartError, match=r"nope\.bpmn: cannot read BPMN file: No such file"):
        read_bpmn(DATA / "nope.bpmn")
