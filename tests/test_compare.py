"""compare(): logs built so that their deviations are known, each kind alone and combined.

Every test asserts what is reported and that nothing else is.
"""

import importlib
import json

import jsonschema
import pandas as pd
import pm4py
import pytest

from cs_mining.compare import compare
from cs_mining.flowchart import FlowchartBuilder
from cs_mining.report.json import SCHEMA_PATH
from cs_mining.testing import log_from_text


def service_chart(accept=()):
    """Answer -> Record -> (Advise -> Report | Solve on phone) -> Close."""
    b = (FlowchartBuilder("Service request", touchpoint="phone", request_type="service request")
         .start("s", "Call").step("answer", "Answer").step("record", "Record")
         .decision("how", "Visit needed?")
         .step("advise", "Advise").step("report", "Report").step("phone", "Solve on phone")
         .step("close", "Close").end("e", "Done")
         .chain("s", "answer", "record", "how")
         .arrow("how", "advise", label="visit").arrow("how", "phone", label="no visit")
         .chain("advise", "report", "close", "e").arrow("phone", "close"))
    for kind, kwargs in accept:
        b.accept(kind, **kwargs)
    return b.build()


CONFORMING = """
    C1: Answer 09:00, Record 09:10, Advise 09:20, Report 10:00, Close 11:00
    C2: Answer 09:00, Record 09:10, Solve on phone 09:30, Close 09:40
"""


def found(result):
    return {(r.kind, r.source, r.target, r.activity): r.cases
            for r in result.deviations.itertuples()}


def test_conforming_log_has_no_deviations_and_full_fitness():
    result = compare(log_from_text(CONFORMING), service_chart())
    assert found(result) == {}
    assert result.conformance["fitness"] == 1.0
    assert result.conformance["conforming_case_share"] == 1.0


def test_skipped_step_alone():
    log = log_from_text(CONFORMING + "S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00")
    result = compare(log, service_chart())
    assert found(result) == {("skipped_step", "Answer", "Advise", "Record"): 1}
    assert result.cases(kind="skipped_step", activity="Record") == ["S1"]
    assert result.conformance["conforming_cases"] == 2


def test_skip_behind_unknown_activity_is_still_a_skip():
    log = log_from_text(CONFORMING + """
        S1: Answer 09:00, Transfer to billing 09:03, Advise 09:05, Report 09:30, Close 10:00
    """)
    assert found(compare(log, service_chart())) == {
        ("unknown_activity", None, None, "Transfer to billing"): 1,
        ("skipped_step", "Answer", "Advise", "Record"): 1,
    }


def test_unknown_activity_alone_takes_its_transitions_with_it():
    log = log_from_text(CONFORMING + """
        U1: Answer 09:00, Record 09:10, Ask supervisor 09:12, Solve on phone 09:30, Close 09:40
        U2: Answer 09:00, Record 09:10, Ask supervisor 09:12, Solve on phone 09:30, Close 09:40
    """)
    result = compare(log, service_chart())
    assert found(result) == {("unknown_activity", None, None, "Ask supervisor"): 2}
    row = result.deviations.iloc[0]
    assert (row.events, row.case_share) == (2, pytest.approx(2 / 4))
    # pm4py's replay ignores activities missing from the net (pm4py-core #435) ...
    assert result.conformance["fitness"] == 1.0
    # ... but those cases do not follow the flowchart.
    assert result.conformance["conforming_case_share"] == 0.5


def test_rework_repeat_and_jump_back():
    log = log_from_text(CONFORMING + """
        R1: Answer 09:00, Record 09:10, Record 09:15, Solve on phone 09:30, Close 09:40
        R2: Answer 09:00, Record 09:10, Advise 09:20, Record 09:30, Advise 09:40, Report 10:00, Close 11:00
    """)
    assert found(compare(log, service_chart())) == {
        ("rework", "Record", "Record", "Record"): 1,
        ("rework", "Advise", "Record", "Record"): 1,
    }


def test_unexpected_transition_between_branches():
    log = log_from_text(CONFORMING + """
        X1: Answer 09:00, Record 09:10, Solve on phone 09:20, Report 09:30, Close 09:40
    """)
    result = compare(log, service_chart())
    assert found(result) == {("unexpected_transition", "Solve on phone", "Report", None): 1}
    assert result.cases(kind="unexpected_transition") == ["X1"]


def test_wrong_start_and_wrong_end():
    log = log_from_text(CONFORMING + """
        W1: Record 09:10, Solve on phone 09:20, Close 09:40
        W2: Answer 09:00, Record 09:10, Advise 09:20
    """)
    assert found(compare(log, service_chart())) == {
        ("wrong_start", None, None, "Record"): 1,
        ("wrong_end", None, None, "Advise"): 1,
    }


def test_open_after_turns_recent_wrong_end_into_incomplete_case():
    log = log_from_text(CONFORMING + """
        W1: Answer 09:00, Record 09:10, Advise 09:20
        W2: Answer 09:00, Record d3 09:10, Advise d3 09:20
    """)
    result = compare(log, service_chart(), open_after="2024-01-03 00:00")
    assert found(result) == {("wrong_end", None, None, "Advise"): 1,
                             ("incomplete_case", None, None, "Advise"): 1}
    assert result.cases(kind="incomplete_case") == ["W2"]


def test_unused_path_is_reported_with_zero_cases():
    log = log_from_text("C1: Answer 09:00, Record 09:10, Advise 09:20, Report 10:00, Close 11:00")
    assert found(compare(log, service_chart())) == {
        ("unused_path", "Record", "Solve on phone", None): 0,
        ("unused_path", "Solve on phone", "Close", None): 0,
    }


def test_all_kinds_combined_with_exact_case_counts():
    log = log_from_text(CONFORMING + """
        S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00
        S2: Answer 09:00, Hold 09:01, Advise 09:05, Report 09:30, Close 10:00
        R1: Answer 09:00, Record 09:10, Record 09:15, Solve on phone 09:30, Close 09:40
        X1: Answer 09:00, Record 09:10, Solve on phone 09:20, Report 09:30, Close 09:40
        W1: Record 09:10, Solve on phone 09:20, Close 09:40
        W2: Answer 09:00, Record 09:10, Advise 09:20
    """)
    result = compare(log, service_chart())
    assert found(result) == {
        ("skipped_step", "Answer", "Advise", "Record"): 2,
        ("unknown_activity", None, None, "Hold"): 1,
        ("rework", "Record", "Record", "Record"): 1,
        ("unexpected_transition", "Solve on phone", "Report", None): 1,
        ("wrong_start", None, None, "Record"): 1,
        ("wrong_end", None, None, "Advise"): 1,
    }
    assert sorted(result.cases(kind="skipped_step")) == ["S1", "S2"]
    assert result.conformance["conforming_cases"] == 2


def test_accepted_deviation_is_reported_apart_and_keeps_conformance():
    chart = service_chart(accept=[("skipped_step", {"activity": "record"})])
    log = log_from_text(CONFORMING + "S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00")
    result = compare(log, chart)
    assert found(result) == {}
    acc = result.accepted_deviations
    assert list(zip(acc.kind, acc.activity, acc.cases)) == [("skipped_step", "Record", 1)]
    assert bool(acc.accepted.iloc[0]) is True
    assert result.conformance["conforming_case_share"] == 1.0


def test_time_cost_is_median_throughput_against_conforming_cases():
    # conforming: 120 min and 40 min -> median 80 min; the skip case takes 60 min.
    log = log_from_text("""
        C1: Answer 09:00, Record 09:10, Advise 09:20, Report 10:00, Close 11:00
        C2: Answer 09:00, Record 09:10, Solve on phone 09:30, Close 09:40
        S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00
    """)
    row = compare(log, service_chart()).deviations.iloc[0]
    assert row.time_cost_s == (60 - 80) * 60
    assert row.impact_s == 1 * (60 - 80) * 60


def parallel_chart():
    """Open -> (Check stock || Check credit) -> Confirm."""
    return (FlowchartBuilder("Order").start("s").step("open", "Open")
            .parallel("split").step("stock", "Check stock").step("credit", "Check credit")
            .parallel("join").step("confirm", "Confirm").end("e")
            .chain("s", "open", "split").arrow("split", "stock").arrow("split", "credit")
            .arrow("stock", "join").arrow("credit", "join").chain("join", "confirm", "e").build())


def test_parallel_branches_interleave_legitimately():
    log = log_from_text("""
        P1: Open, Check stock, Check credit, Confirm
        P2: Open, Check credit, Check stock, Confirm
    """)
    result = compare(log, parallel_chart())
    assert found(result) == {}
    assert result.conformance["conforming_case_share"] == 1.0


def test_skip_inside_parallel_block_is_found_by_alignment():
    log = log_from_text("""
        P1: Open, Check stock, Check credit, Confirm
        P2: Open, Check credit, Check stock, Confirm
        P3: Open, Check stock, Confirm
    """)
    result = compare(log, parallel_chart())
    assert found(result) == {("skipped_step", "Check stock", "Confirm", "Check credit"): 1}
    assert result.cases(kind="skipped_step") == ["P3"]


def test_case_leaving_out_both_parallel_branches_skips_both():
    log = log_from_text("""
        P1: Open, Check stock, Check credit, Confirm
        P2: Open, Check credit, Check stock, Confirm
        B1: Open, Confirm
        B2: Open, Hold, Confirm
    """)
    result = compare(log, parallel_chart())
    assert found(result) == {("skipped_step", "Open", "Confirm", "Check stock"): 2,
                             ("skipped_step", "Open", "Confirm", "Check credit"): 2,
                             ("unknown_activity", None, None, "Hold"): 1}
    assert result.cases(kind="skipped_step", activity="Check credit") == ["B1", "B2"]
    reach = result.step_reach().set_index("step")
    assert reach.loc["Check credit", "never"] == 2


def test_departures_inside_a_parallel_block_are_each_reported_once():
    # Every neighbour pair here is some legal interleaving; only the whole case shows
    # the step done twice, or the branch left out beside another deviation.
    log = log_from_text("""
        P1: Open, Check stock, Check credit, Confirm
        R1: Open, Check stock, Check credit, Check stock, Confirm
        X1: Open, Open, Check stock, Confirm
        L1: Open, Check stock, Confirm, Check credit
    """)
    result = compare(log, parallel_chart())
    assert found(result) == {
        ("rework", "Check credit", "Check stock", "Check stock"): 1,
        ("rework", "Open", "Open", "Open"): 1,
        ("skipped_step", "Check stock", "Confirm", "Check credit"): 2,
        # done after the join: a skip, then the late step as unexpected (as on a sequence)
        ("unexpected_transition", "Confirm", "Check credit", None): 1,
        ("wrong_end", None, None, "Check credit"): 1,
    }
    assert sorted(result.cases(kind="skipped_step")) == ["L1", "X1"]
    assert result.conformance["conforming_cases"] == 1


def nested_chart(gateway="parallel"):
    """A -> [B || [C || D] -> E] -> F, the outer block parallel or inclusive."""
    b = FlowchartBuilder("Nested").start("s").step("a", "A")
    getattr(b, gateway)("p1").step("b", "B").parallel("p2").step("c", "C").step("d", "D")
    b.parallel("j2").step("e", "E")
    return (getattr(b, gateway)("j1").step("f", "F").end("x")
            .chain("s", "a", "p1", "b", "j1", "f", "x").chain("p1", "p2", "c", "j2", "e", "j1")
            .chain("p2", "d", "j2").build())


def test_nested_blocks_name_every_step_left_out():
    log = log_from_text("""
        P1: A, B, C, D, E, F
        K1: A, B, C, F
        K2: A, E, B, F
    """)
    assert found(compare(log, nested_chart())) == {
        ("skipped_step", "C", "F", "D"): 1, ("skipped_step", "C", "F", "E"): 1,
        ("skipped_step", "A", "E", "C"): 1, ("skipped_step", "A", "E", "D"): 1}


def test_inclusive_block_needs_one_branch_and_prefers_a_skip_to_an_extra_step():
    log = log_from_text("""
        P1: A, B, C, D, E, F
        P2: A, C, D, E, F
        N1: A, F
        K1: A, C, E, F
    """)
    result = compare(log, nested_chart("inclusive"))
    # N1 leaves out the whole block: one skip of the shortest branch, not all four steps;
    # K1 did C and E, so D was left out, rather than E being extra.
    assert found(result) == {("skipped_step", "A", "F", "B"): 1,
                             ("skipped_step", "C", "E", "D"): 1}
    assert result.conformance["conforming_cases"] == 2


def decision_in_parallel_chart():
    """Open -> ((Check stock -> Reserve | Backorder) || Check credit) -> Confirm."""
    return (FlowchartBuilder("Order").start("s").step("open", "Open")
            .parallel("split").step("stock", "Check stock").decision("have", "In stock?")
            .step("reserve", "Reserve").step("back", "Backorder").decision("m")
            .step("credit", "Check credit").parallel("join").step("confirm", "Confirm").end("e")
            .chain("s", "open", "split", "stock", "have").chain("have", "reserve", "m")
            .chain("have", "back", "m", "join").chain("split", "credit", "join")
            .chain("join", "confirm", "e").build())


def test_both_branches_of_a_decision_inside_a_parallel_block_is_unexpected():
    chart = decision_in_parallel_chart()
    log = log_from_text("""
        P1: Open, Check stock, Reserve, Check credit, Confirm
        P2: Open, Check credit, Check stock, Backorder, Confirm
        K1: Open, Check stock, Reserve, Check credit, Backorder, Confirm
    """)
    assert found(compare(log, chart)) == {
        ("unexpected_transition", "Check credit", "Backorder", None): 1}


def test_accepted_skip_does_not_hide_a_branch_left_out():
    chart = (FlowchartBuilder("Order").start("s").step("open", "Open").step("triage", "Triage")
             .parallel("split").step("stock", "Check stock").step("credit", "Check credit")
             .parallel("join").step("confirm", "Confirm").end("e")
             .chain("s", "open", "triage", "split", "stock", "join", "confirm", "e")
             .chain("split", "credit", "join").accept("skipped_step", activity="triage").build())
    log = log_from_text("""
        A1: Open, Check stock, Check credit, Confirm
        K1: Open, Check stock, Confirm
    """)
    result = compare(log, chart)
    assert found(result) == {("skipped_step", "Check stock", "Confirm", "Check credit"): 1,
                             ("unused_path", "Open", "Triage", None): 0,
                             ("unused_path", "Triage", "Check stock", None): 0,
                             ("unused_path", "Triage", "Check credit", None): 0}
    assert result.cases(kind="skipped_step", activity="Triage") == ["A1", "K1"]
    assert result.conformance["conforming_cases"] == 1


def test_a_step_left_out_in_one_round_of_a_loop_is_placed_in_that_round():
    chart = (FlowchartBuilder("Loop").start("s").step("a", "A").decision("m").parallel("p")
             .step("b", "B").step("c", "C").parallel("j").step("d", "D").decision("q")
             .step("e", "E").end("x")
             .chain("s", "a", "m", "p", "b", "j", "d", "q").chain("p", "c", "j")
             .arrow("q", "m", label="again").chain("q", "e", "x").build())
    log = log_from_text("""
        P1: A, B, C, D, E
        K1: A, B, C, D, B, D, E
        K2: A, C, B, D, B, C, D, B, D, E
    """)
    assert found(compare(log, chart)) == {("skipped_step", "B", "D", "C"): 2}


def test_empty_parallel_branch_is_no_unused_path():
    chart = (FlowchartBuilder("Empty branch").start("s").step("a", "A").parallel("p")
             .step("b", "B").parallel("j").step("c", "C").end("e")
             .chain("s", "a", "p", "b", "j", "c", "e").arrow("p", "j").build())
    assert found(compare(log_from_text("K1: A, B, C"), chart)) == {}


def test_parallel_branches_taken_in_one_order_use_every_arrow():
    # Only one interleaving occurs: every drawn arrow is still taken, and the
    # interleavings that do not occur (Open -> Check credit) are no arrows.
    log = log_from_text("P1: Open, Check stock, Check credit, Confirm")
    assert found(compare(log, parallel_chart())) == {}


def test_unused_branch_of_parallel_block_names_its_drawn_arrows():
    chart = (FlowchartBuilder("Order").start("s").step("open", "Open")
             .parallel("split").step("stock", "Check stock").step("credit", "Check credit")
             .decision("ok", "Credit ok?").step("refer", "Refer").decision("merge")
             .parallel("join").step("confirm", "Confirm").end("e")
             .chain("s", "open", "split").arrow("split", "stock").arrow("split", "credit")
             .arrow("credit", "ok").arrow("ok", "merge").arrow("ok", "refer")
             .arrow("refer", "merge").arrow("merge", "join").arrow("stock", "join").chain("join", "confirm", "e").build())
    log = log_from_text("""
        P1: Open, Check credit, Check stock, Confirm
        P2: Open, Check stock, Check credit, Confirm
    """)
    assert found(compare(log, chart)) == {("unused_path", "Check credit", "Refer", None): 0,
                                          ("unused_path", "Refer", "Confirm", None): 0}


def test_parallel_block_at_the_start_takes_the_arrow_from_start_to_each_branch():
    chart = (FlowchartBuilder("Start in parallel").start("s").parallel("split")
             .step("a", "Log call").step("b", "Look up customer").parallel("join")
             .step("c", "Answer").end("e")
             .chain("s", "split", "a", "join", "c", "e").chain("split", "b", "join").build())
    log = log_from_text("P1: Log call, Look up customer, Answer")
    assert found(compare(log, chart)) == {}


def test_fitness_equals_pm4py_on_the_same_log_and_net():
    log = log_from_text(CONFORMING + """
        S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00
        R1: Answer 09:00, Record 09:10, Record 09:15, Solve on phone 09:30, Close 09:40
        W2: Answer 09:00, Record 09:10, Advise 09:20
        W3: Answer 09:00, Record 09:10, Advise 09:20
    """)
    chart = service_chart()
    result = compare(log, chart)
    petri = chart.to_petri_net()
    theirs = pm4py.fitness_token_based_replay(log, petri.net, petri.initial_marking,
                                              petri.final_marking)
    assert result.conformance["fitness"] == pytest.approx(theirs["log_fitness"])
    assert result.conformance["average_trace_fitness"] == pytest.approx(
        theirs["average_trace_fitness"])
    assert result.conformance["fit_case_share"] == pytest.approx(
        theirs["percentage_of_fitting_traces"] / 100)


def test_json_follows_the_schema_and_keeps_names():
    log = log_from_text(CONFORMING + "T1: Answer 09:00, வாடிக்கையாளர் அழைப்பு 09:01, Record 09:10, "
                                     "Solve on phone 09:20, Close 09:40")
    result = compare(log, service_chart())
    document = json.loads(result.to_json())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert document["schema_version"] == 1
    assert document["improvement_areas"][0]["where"] == "வாடிக்கையாளர் அழைப்பு"
    assert {(b["source"], b["target"]) for b in document["bottlenecks"]} <= {
        (r.source, r.target) for r in result.flow.transitions.itertuples()}
    assert document["deviations"][0]["activity"] == "வாடிக்கையாளர் அழைப்பு"
    assert "வாடிக்கையாளர் அழைப்பு" in result.to_json()
    assert "வாடிக்கையாளர் அழைப்பு" in result.to_html()
    assert "வாடிக்கையாளர் அழைப்பு" in str(result)


def test_case_table_lists_each_case_with_its_deviations():
    log = log_from_text(CONFORMING + "S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00")
    table = compare(log, service_chart()).case_table().set_index("case_id")
    assert table.loc["S1", "deviations"] == "skipped_step:Record"
    assert not table.loc["S1", "conforming"]
    assert table.loc["C1", "deviations"] == "" and table.loc["C1", "conforming"]


def test_inclusive_block_runs_conform_even_where_token_replay_misses_them():
    chart = (FlowchartBuilder("Refund").start("s").step("open", "Open").inclusive("split")
             .step("refund", "Refund").step("credit", "Credit").inclusive("join")
             .step("close", "Close").end("e")
             .chain("s", "open", "split").arrow("split", "refund").arrow("split", "credit")
             .arrow("refund", "join").arrow("credit", "join").chain("join", "close", "e").build())
    log = log_from_text("""
        I1: Open, Refund, Close
        I2: Open, Credit, Close
        I3: Open, Refund, Credit, Close
        I4: Open, Credit, Refund, Close
    """)
    result = compare(log, chart)
    assert found(result) == {}
    assert result.conformance["conforming_case_share"] == 1.0


def test_replay_split_over_processes_gives_pm4py_numbers(monkeypatch):
    replay_module = importlib.import_module("cs_mining._replay")

    log = log_from_text(CONFORMING + """
        S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00
        R1: Answer 09:00, Record 09:10, Record 09:15, Solve on phone 09:30, Close 09:40
        W2: Answer 09:00, Record 09:10, Advise 09:20
    """)
    serial = compare(log, service_chart())
    monkeypatch.setattr(replay_module, "_PARALLEL_FROM", 2)
    parallel = compare(log, service_chart())
    assert parallel.conformance == serial.conformance
    assert parallel.variants["trace_fitness"].tolist() == \
        serial.variants["trace_fitness"].tolist()


def test_html_page_embeds_figures_and_escapes_names():
    log = log_from_text(CONFORMING + "T1: Answer 09:00, <script>x</script> 09:01, Record 09:10, "
                                     "Solve on phone 09:20, Close 09:40")
    page = compare(log, service_chart()).to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<img alt=") == 2
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page


def test_markdown_shows_names_with_markup_characters_as_written():
    log = log_from_text(CONFORMING + "T1: Answer 09:00, <b>Hold</b> 09:01, Record 09:10, "
                                     "Solve on phone 09:20, Close 09:40\n"
                                     "T2: Answer 09:00, *VIP* | queue 09:01, Record 09:10, "
                                     "Solve on phone 09:20, Close 09:40")
    page = compare(log, service_chart()).to_markdown()
    rows = [line for line in page.splitlines() if line.startswith("| unknown_activity")]
    # time cost: 40 min against the conforming cases' median of (120 + 40) / 2 min
    assert sorted(rows) == [
        "| unknown_activity | \\*VIP\\* \\| queue | 1 | 25.0% | -40min |",
        "| unknown_activity | \\<b>Hold\\</b> | 1 | 25.0% | -40min |"]
    assert "<b>" not in page.replace("\\<b>", "")


def test_case_table_marks_accepted_deviations():
    chart = service_chart(accept=[("skipped_step", {"activity": "record"})])
    log = log_from_text(CONFORMING + "S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00")
    table = compare(log, chart).case_table().set_index("case_id")
    assert table.loc["S1", "deviations"] == "skipped_step:Record (accepted)"
    assert table.loc["S1", "conforming"]


def test_frames_become_json_values_column_by_column():
    from cs_mining.report.json import to_jsonable

    frame = pd.DataFrame({
        "n": [1, 2], "share": [0.5, float("nan")], "inf": [float("inf"), 1.5],
        "nullable": pd.array([3, None], dtype="Int64"), "flag": [True, False],
        "when": pd.to_datetime(["2024-01-01 09:00", None], utc=True),
        "steps": [("Open", "வாடிக்கையாளர்"), ["Close"]], "name": ["Ā", None]})
    assert to_jsonable(frame) == [
        {"n": 1, "share": 0.5, "inf": None, "nullable": 3, "flag": True,
         "when": "2024-01-01T09:00:00+00:00", "steps": ["Open", "வாடிக்கையாளர்"], "name": "Ā"},
        {"n": 2, "share": None, "inf": 1.5, "nullable": None, "flag": False,
         "when": None, "steps": ["Close"], "name": None}]
    assert all(type(r["n"]) is int and type(r["flag"]) is bool for r in to_jsonable(frame))


def inclusive_chart():
    """Open -> any of (Check stock, Check credit) -> Confirm: silent transitions stay in its net."""
    return (FlowchartBuilder("Order").start("s").step("open", "Open").inclusive("split")
            .step("stock", "Check stock").step("credit", "Check credit").inclusive("joined")
            .step("confirm", "Confirm").end("e")
            .chain("s", "open", "split").chain("split", "stock", "joined")
            .chain("split", "credit", "joined").chain("joined", "confirm", "e").build())


UNKNOWN_INSIDE = {"service": CONFORMING + """
        U1: Answer 09:00, Note 09:05, Record 09:10, Solve on phone 09:30, Close 09:40
        U2: Answer 09:00, Record 09:10, Note 09:20, Solve on phone 09:30, Close 09:40
        U3: Answer 09:00, Note 09:05, Record 09:10, Advise 09:20, Close 11:00
        U4: Answer 09:00, Record 09:10, Advise 09:20, Note 09:30, Close 11:00
        U5: Record 09:10, Advise 09:20, Report 09:30, Record 09:40, Close 11:00
    """, "inclusive": """
        I1: Open 09:00, Check stock 09:10, Check credit 09:20, Confirm 09:30
        I2: Open 09:00, Check credit 09:10, Note 09:15, Confirm 09:30
        I3: Open 09:00, Note 09:05, Check credit 09:10, Confirm 09:30
        I4: Open 09:00, Confirm 09:30
        I5: Check stock 09:10, Open 09:20, Confirm 09:30, Check credit 09:40
    """}


@pytest.mark.parametrize("forked", [False, True], ids=["one process", "forked workers"])
@pytest.mark.parametrize("chart_name", ["service", "inclusive"])
def test_each_case_gets_pm4pys_own_replay_of_its_trace(monkeypatch, forked, chart_name):
    # Traces that differ only where an activity unknown to the chart sits share
    # one replay; forked=True sends every replay through the pool. The service
    # chart's net has no silent transition (replayed on a fast-hashing copy),
    # the inclusive one keeps seven (replayed on the net itself).
    if forked:
        monkeypatch.setattr(importlib.import_module("cs_mining._replay"), "_PARALLEL_FROM", 1)
    log = log_from_text(UNKNOWN_INSIDE[chart_name])
    chart = service_chart() if chart_name == "service" else inclusive_chart()
    silent = [t for t in chart.to_petri_net().net.transitions if t.label is None]
    assert bool(silent) == (chart_name == "inclusive")
    result = compare(log, chart)
    petri = chart.to_petri_net()
    theirs = pm4py.conformance_diagnostics_token_based_replay(
        log, petri.net, petri.initial_marking, petri.final_marking)
    case_ids = list(pd.unique(log["case:concept:name"]))
    per_variant = result.variants.set_index("variant")["trace_fitness"]
    ours = result.case_table().set_index("case_id")["variant"].map(per_variant)
    assert [ours[c] for c in case_ids] == pytest.approx([r["trace_fitness"] for r in theirs])
    assert len({round(ours[c], 9) for c in case_ids}) >= 3  # fit, unfit and more unfit
    log_fitness = pm4py.fitness_token_based_replay(
        log, petri.net, petri.initial_marking, petri.final_marking)["log_fitness"]
    assert result.conformance["fitness"] == pytest.approx(log_fitness, abs=1e-12)


def test_step_reach_counts_cases_per_step_by_hand():
    log = log_from_text(CONFORMING + """
        S1: Answer 09:00, Advise 09:05, Report 09:30, Close 10:00
        R1: Answer 09:00, Record 09:10, Record 09:15, Solve on phone 09:30, Close 09:40
        U1: Answer 09:00, Note 09:05, Record 09:10, Solve on phone 09:30
    """)
    result = compare(log, service_chart())
    reach = result.step_reach().set_index("step")
    # five cases: C1 (advise route), C2 (phone route), S1 (skips Record), R1 (Record twice),
    # U1 (an unknown activity, then the phone route, no Close)
    assert list(reach.index) == ["Answer", "Record", "Advise", "Report", "Solve on phone", "Close"]
    assert reach["cases"].to_dict() == {"Answer": 5, "Record": 4, "Advise": 2, "Report": 2,
                                        "Solve on phone": 3, "Close": 4}
    assert reach["never"].to_dict() == {"Answer": 0, "Record": 1, "Advise": 3, "Report": 3,
                                        "Solve on phone": 2, "Close": 1}
    assert reach.loc["Record", "repeated"] == 1 and reach["repeated"].sum() == 1
    assert reach.loc["Close", "case_share"] == pytest.approx(0.8)
    assert "| Record | 4 | 80.0% | 1 | 1 |" in result.to_markdown().splitlines()
    text = str(result).splitlines()
    steps = text[text.index("Steps reached (cases):") + 2:]
    assert steps[1].split() == ["Record", "4", "80.0%", "1", "1"]
    document = json.loads(result.to_json())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert document["steps_reached"][1] == {"step": "Record", "cases": 4, "case_share": 0.8,
                                            "never": 1, "repeated": 1}
    assert "<td>Record</td>" in result.to_html() and ">Advise</td>" in result.to_html()


def test_a_note_says_why_fitness_reads_above_the_conforming_share():
    log = log_from_text(CONFORMING + """
        U1: Answer 09:00, Hold 09:05, Record 09:10, Solve on phone 09:30, Close 09:40
        U2: Answer 09:00, Hold 09:05, Record 09:10, Solve on phone 09:30, Close 09:40
    """)
    result = compare(log, service_chart())
    # replay passes over Hold, so every trace fits; only C1 and C2 conform
    assert result.conformance["fitness"] == 1.0
    assert result.conformance["conforming_case_share"] == 0.5
    assert ("fitness 1.000 reads higher than the 50.0% of cases that conform: token replay "
            "passes over the 1 activity no step claims and counts the tokens a case misses, "
            "while a case conforms only when its whole trace is a run of the flowchart"
            ) in result.notes
    assert not [n for n in compare(log_from_text(CONFORMING), service_chart()).notes
                if n.startswith("fitness")]


def test_open_case_stopped_inside_a_last_parallel_block_is_incomplete():
    chart = (FlowchartBuilder("Ends in parallel").start("s").step("a", "Open").parallel("p")
             .step("b", "Call back").step("c", "Send letter").parallel("j").end("e")
             .chain("s", "a", "p", "b", "j", "e").chain("p", "c", "j").build())
    log = log_from_text("""
        P1: Open d1 09:00, Call back d1 10:00, Send letter d1 11:00
        K1: Open d1 09:00, Call back d1 10:00
        K2: Open d3 09:00, Call back d3 10:00
    """)
    # K1 ended long ago without its letter; K2 is recent and may still get one
    result = compare(log, chart, open_after="2024-01-03 00:00")
    assert found(result) == {("skipped_step", "Call back", None, "Send letter"): 1,
                             ("incomplete_case", None, None, "Call back"): 1}
    assert result.cases(kind="incomplete_case") == ["K2"]


def test_an_explanation_of_two_moves_gives_way_to_one_of_one_move():
    # Pairwise: Triage redone, then Triage -> Close leaves the inclusive block empty (a skip).
    # One extra Triage explains the whole case: Voucher was the block's branch.
    chart = (FlowchartBuilder("Refunds").start("s").step("open", "Open").step("triage", "Triage")
             .inclusive("i").step("refund", "Refund").step("voucher", "Voucher").inclusive("j")
             .step("close", "Close").end("e")
             .chain("s", "open", "triage", "i", "refund", "j", "close", "e")
             .chain("i", "voucher", "j").build())
    log = log_from_text("""
        P1: Open, Triage, Refund, Close
        P2: Open, Triage, Voucher, Close
        K1: Open, Triage, Voucher, Triage, Close
    """)
    assert found(compare(log, chart)) == {("rework", "Voucher", "Triage", "Triage"): 1}


def test_a_step_too_many_at_the_end_beats_two_skips():
    chart = (FlowchartBuilder("Follow-up").start("s").step("open", "Open").decision("m")
             .parallel("p").step("call", "Call").step("mail", "Send e-mail")
             .step("note", "Log note").parallel("j").decision("more").end("e")
             .chain("s", "open", "m", "p", "call", "j", "more").chain("p", "mail", "j")
             .chain("p", "note", "j").arrow("more", "m", label="again").arrow("more", "e")
             .build())
    log = log_from_text("""
        P1: Open, Call, Send e-mail, Log note
        K1: Open, Call, Send e-mail, Log note, Call
    """)
    # the loop's way back, from each last branch step to each first one, is never taken
    # but by K1's Log note -> Call
    assert found(compare(log, chart)) == {
        ("rework", "Log note", "Call", "Call"): 1,
        ("unused_path", "Log note", "Log note", None): 0,
        ("unused_path", "Log note", "Send e-mail", None): 0,
        ("unused_path", "Send e-mail", "Send e-mail", None): 0}


def test_a_step_done_again_in_a_loop_through_a_block_is_rework_not_a_new_round():
    # Each case ties between "Call done again" and "another round that left out the e-mail";
    # a step the case did before is read as done again.
    chart = (FlowchartBuilder("Contact").start("s").step("open", "Open").decision("m")
             .parallel("p").step("call", "Call").step("mail", "Send e-mail").parallel("j")
             .decision("q").end("e")
             .chain("s", "open", "m", "p", "call", "j", "q").chain("p", "mail", "j")
             .arrow("q", "m", label="again").arrow("q", "e").build())
    log = log_from_text("""
        P1: Open, Call, Send e-mail
        K1: Open, Call, Send e-mail, Call
        K2: Open, Call, Call, Send e-mail
        K3: Open, Send e-mail, Call, Call, Call
    """)
    assert found(compare(log, chart)) == {
        ("rework", "Send e-mail", "Call", "Call"): 1,
        ("rework", "Call", "Call", "Call"): 2,
        ("unused_path", "Send e-mail", "Send e-mail", None): 0}


def test_charts_too_large_for_the_graph_aligner_are_aligned_by_pm4py(monkeypatch):
    import cs_mining._rg_align as rg_align

    monkeypatch.setattr(rg_align, "MAX_STATES", 1)
    chart = parallel_chart()
    assert rg_align.Aligner.of(chart) is None
    log = log_from_text("""
        P1: Open, Check stock, Check credit, Confirm
        B1: Open, Confirm
        R1: Open, Check stock, Check credit, Check credit, Confirm
        R2: Open, Check credit, Check credit, Check credit, Check stock, Confirm
    """)
    result = compare(log, chart, progress=False)
    # the same answers as the graph aligner gives (test_departures_inside_a_parallel_block...)
    assert found(result) == {("skipped_step", "Open", "Confirm", "Check stock"): 1,
                             ("skipped_step", "Open", "Confirm", "Check credit"): 1,
                             ("rework", "Check credit", "Check credit", "Check credit"): 2}
    assert result.conformance["conforming_cases"] == 1
