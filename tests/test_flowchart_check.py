"""Each problem class of Flowchart.check(), from a tiny YAML fixture: exact line and message."""

from pathlib import Path

import pytest

from cs_mining.errors import FlowchartError
from cs_mining.flowchart import Flowchart, FlowchartBuilder, read_flowchart
from cs_mining.flowchart.model import Arrow, Node

DATA = Path(__file__).resolve().parent / "data" / "flowcharts"

KINDS = ("'start', 'end', 'step', 'decision', 'parallel', 'inclusive'")
DEVIATIONS = ("'unknown_activity', 'skipped_step', 'rework', 'unexpected_transition', "
              "'wrong_start', 'wrong_end', 'incomplete_case', 'unused_path'")

CASES = {
    "unknown_arrow_target": [
        "9: arrow 'triage -> asign' points to unknown step 'asign' (did you mean 'assign'?)"],
    # The typo comes first, though on a later line: the other two follow from it.
    "arrow_typo_cuts_the_flow": [
        "9: arrow 'open -> activ' points to unknown step 'activ' (did you mean 'active'?)",
        "4: no end can be reached from step 'open'",
        "5: step 'active' cannot be reached from the start"],
    "duplicate_id": ["5: duplicate id 'triage' (first defined on line 4)"],
    "duplicate_label": [
        "5: steps 'a' and 'b' have the same label 'Triage' (labels name steps in reports)"],
    "no_start": [" no start (add a step with kind: start)"],
    "no_end": [" no end (add a step with kind: end)"],
    "unreachable_step": ["5: step 'orphan' cannot be reached from the start"],
    "dead_end": ["5: no end can be reached from step 'b'"],
    "decision_one_branch": [
        "4: decision 'ok' has 1 outgoing branch; a decision needs at least two"],
    "activity_claimed_twice": ["5: activity 'closed' is claimed by steps 'close' and 'archive'"],
    "malformed_duration": [
        "6: step 'answer': wait_target: malformed duration 'soon' "
        "(write e.g. '60s', '15min', '4h', '2d')"],
    "bad_regex": [
        "6: step 'close': pattern 'Clos(e|ed .*' is not a valid regular expression "
        "(missing ), unterminated subpattern at position 4)"],
    "start_with_incoming_arrow": [
        "8: arrow 'a -> s' points to the start 's' (a start has no incoming arrows)"],
    "end_with_outgoing_arrow": [
        "8: arrow 'e -> a' leaves the end 'e' (an end has no outgoing arrows)"],
    "unknown_kind": [
        f"4: step 'g' has unknown kind 'paralel'; use one of {KINDS} (did you mean 'parallel'?)"],
    "accepted_unknown_kind": [
        f"9: accepted deviation has unknown kind 'skiped_step'; use one of {DEVIATIONS} "
        "(did you mean 'skipped_step'?)"],
    "accepted_unknown_step": [
        "10: accepted unexpected_transition names unknown step 'recrod' in target "
        "(did you mean 'record'?)"],
    "probability_out_of_range": [
        "10: arrow 'd -> a' has probability 1.5; use a number between 0 and 1"],
    "probabilities_not_summing_to_one": [
        "4: probabilities out of decision 'd' sum to 0.9, not 1"],
    "unknown_key": ["5: unknown key 'wait_targte' (did you mean 'wait_target'?)",
                    "8: unknown key 'lable' (did you mean 'label'?)"],
    "parallel_branches_to_two_ends": [
        " a run can reach the end while other branches still run (2 tokens at the end); "
        "join parallel branches before the end"],
    "parallel_join_after_decision": [
        " a run can get stuck with a token on arrow 'a -> join' (does a parallel or inclusive "
        "join wait for a branch that was not taken?)"],
    "inclusive_without_join": [
        "4: inclusive split 'some' has no matching inclusive join (its branches must meet "
        "again at one inclusive node, one arrow per branch)"],
    "not_yaml": [
        "4: not valid YAML: expected ',' or '}', but got ':' (put text containing ':', '#', "
        "',' or brackets in quotes)"],
}



@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_reports_exactly_its_problems(name):
    path = DATA / f"{name}.yaml"
    with pytest.raises(FlowchartError) as info:
        read_flowchart(path)
    expected = [f"{path}:{tail}" for tail in CASES[name]]
    assert info.value.problems == expected
    n = len(expected) - 1
    more = {0: "", 1: " (and 1 more problem)"}.get(n, f" (and {n} more problems)")
    assert str(info.value) == expected[0] + more
    assert info.value.path == str(path)


def test_every_fixture_has_a_case():
    assert sorted(p.stem for p in DATA.glob("*.yaml")) == sorted(CASES)


def test_check_on_a_chart_built_in_code_has_no_file_prefix():
    chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a"), Node("a"),
                                       Node("e", "end")],
                      arrows=[Arrow("s", "a"), Arrow("a", "e"), Arrow("a", "x")])
    assert chart.check() == [
        "duplicate id 'a'",
        "arrow 'a -> x' points to unknown step 'x'",
    ]


def test_several_problems_are_counted_in_the_message():
    text = ("name: x\nsteps:\n  - {id: s, kind: start}\n  - {id: a, kind: gateway}\n"
            "arrows:\n  - s -> a -> b\n")
    with pytest.raises(FlowchartError) as info:
        read_flowchart(text)
    assert info.value.problems == [
        "no end (add a step with kind: end)",
        f"line 4: step 'a' has unknown kind 'gateway'; use one of {KINDS}",
        "line 6: arrow 'a -> b' points to unknown step 'b'",
    ]
    assert str(info.value) == "no end (add a step with kind: end) (and 2 more problems)"


def test_arrow_from_unknown_step_is_named():
    text = "name: x\nsteps: [{id: s, kind: start}, {id: e, kind: end}]\narrows: [s -> e, ss -> e]"
    with pytest.raises(FlowchartError) as info:
        read_flowchart(text)
    assert info.value.problems == [
        "line 3: arrow 'ss -> e' starts at unknown step 'ss' (did you mean 's'?)"]


def test_pattern_claiming_another_steps_name_is_a_double_claim():
    b = (FlowchartBuilder("x").start("s").step("close", "Close case")
         .step("closing", "Closing", pattern="Close.*").end("e")
         .chain("s", "close", "closing", "e"))
    with pytest.raises(FlowchartError) as info:
        b.build()
    assert info.value.problems == [
        "activity 'Close case' is claimed by steps 'close' and 'closing' "
        "(its pattern 'Close.*' matches it)"]


def test_probabilities_summing_to_one_and_partial_probabilities_are_fine():
    text = """
name: x
steps:
  - {id: s, kind: start}
  - {id: d, kind: decision}
  - {id: a}
  - {id: b}
  - {id: c}
  - {id: e, kind: end}
arrows:
  - s -> d
  - {from: d, to: a, probability: 0.7}
  - {from: d, to: b, probability: 0.2}
  - {from: d, to: c, probability: 0.1}
  - a -> e
  - b -> e
  - c -> e
"""
    assert read_flowchart(text).check() == []
    assert read_flowchart(text.replace(", probability: 0.1", "")).check() == []


def test_builder_reports_bad_duration_with_check_problems():
    b = FlowchartBuilder("x", case_target="later").start("s").step("a", wait_target="1 hour")
    with pytest.raises(FlowchartError) as info:
        b.chain("s", "a").build()
    assert info.value.problems == [
        "case_target: malformed duration 'later' (write e.g. '60s', '15min', '4h', '2d')",
        "step 'a': wait_target: malformed duration '1 hour' (write e.g. '60s', '15min', '4h', "
        "'2d')",
        "no end (add a step with kind: end)",
    ]


def test_missing_file_is_a_flowchart_error():
    with pytest.raises(FlowchartError, match="file not found"):
        read_flowchart(DATA / "nothing_here.yaml")


def test_a_diamond_merging_branches_is_not_a_decision_missing_a_branch():
    chart = (FlowchartBuilder("x").start("s").decision("d").step("a").step("b")
             .decision("merge").step("c").end("e")
             .chain("s", "d", "a", "merge", "c", "e").chain("d", "b", "merge").build())
    assert chart.check() == []
    assert set(chart.runs()) == {("a", "c"), ("b", "c")}
