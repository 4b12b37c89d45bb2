"""The Petri net has exactly the flowchart's language: pm4py is the oracle.

For each chart: every run from ``runs()`` replays with fitness 1.0 under
token-based replay and alignments, a run with a step left out does not,
pm4py's soundness check passes, pm4py's exhaustive play-out of the net gives
exactly the hand-written runs, and the step relations match hand-written sets.
"""

import pm4py
import pytest
from pm4py.algo.simulation.playout.petri_net import algorithm as playout
from pm4py.algo.simulation.playout.petri_net.variants import extensive

from cs_mining.errors import FlowchartError
from cs_mining.flowchart import FlowchartBuilder, PetriNetModel
from cs_mining.testing import log_from_text


def linear():
    return (FlowchartBuilder("linear").start("s").step("A").step("B").step("C").end("e")
            .chain("s", "A", "B", "C", "e").build())


def decision():
    return (FlowchartBuilder("decision").start("s").step("A").decision("d").step("B")
            .step("C").step("D").end("e")
            .chain("s", "A", "d").arrow("d", "B", "yes").arrow("d", "C", "no")
            .chain("B", "D", "e").chain("C", "D").build())


def loop():
    return (FlowchartBuilder("loop").start("s").step("A").step("B").decision("ok")
            .step("C").end("e")
            .chain("s", "A", "B", "ok").arrow("ok", "A", "redo").arrow("ok", "C", "done")
            .chain("C", "e").build())


def parallel2():
    return (FlowchartBuilder("parallel2").start("s").step("A").parallel("fork").step("B")
            .step("C").parallel("join").step("D").end("e")
            .chain("s", "A", "fork", "B", "join", "D", "e").chain("fork", "C", "join").build())


def parallel3():
    return (FlowchartBuilder("parallel3").start("s").step("A").parallel("fork").step("B")
            .step("C").step("X").parallel("join").step("D").end("e")
            .chain("s", "A", "fork", "B", "join", "D", "e").chain("fork", "C", "join")
            .chain("fork", "X", "join").build())


def parallel_long_branch():
    return (FlowchartBuilder("parallel_long").start("s").parallel("fork").step("B1").step("B2")
            .step("C").parallel("join").end("e")
            .chain("s", "fork", "B1", "B2", "join", "e").chain("fork", "C", "join").build())


def inclusive():
    return (FlowchartBuilder("inclusive").start("s").step("A").inclusive("some").step("B")
            .step("C").inclusive("joined").step("D").end("e")
            .chain("s", "A", "some", "B", "joined", "D", "e").chain("some", "C", "joined")
            .build())


def two_ends():
    return (FlowchartBuilder("two_ends").start("s").decision("d").step("B").step("C")
            .step("D").end("e1", "Solved").end("e2", "Escalated")
            .chain("s", "d", "B", "e1").chain("d", "C", "D", "e2").build())


P3 = {("B", "C"), ("C", "B"), ("B", "X"), ("X", "B"), ("C", "X"), ("X", "C")}
# chart, runs (max_repeats=1), allowed transitions, first steps, last steps
CHARTS = {
    "linear": (linear, {("A", "B", "C")}, {("A", "B"), ("B", "C")}, {"A"}, {"C"}),
    "decision": (decision, {("A", "B", "D"), ("A", "C", "D")},
                 {("A", "B"), ("A", "C"), ("B", "D"), ("C", "D")}, {"A"}, {"D"}),
    "loop": (loop, {("A", "B", "C"), ("A", "B", "A", "B", "C")},
             {("A", "B"), ("B", "A"), ("B", "C")}, {"A"}, {"C"}),
    "parallel2": (parallel2, {("A", "B", "C", "D"), ("A", "C", "B", "D")},
                  {("A", "B"), ("A", "C"), ("B", "C"), ("C", "B"), ("B", "D"), ("C", "D")},
                  {"A"}, {"D"}),
    "parallel3": (parallel3, {("A", *p, "D") for p in [("B", "C", "X"), ("B", "X", "C"),
                                                     ("C", "B", "X"), ("C", "X", "B"),
                                                     ("X", "B", "C"), ("X", "C", "B")]},
                  P3 | {("A", "B"), ("A", "C"), ("A", "X"), ("B", "D"), ("C", "D"), ("X", "D")},
                  {"A"}, {"D"}),
    "parallel_long": (parallel_long_branch,
                      {("B1", "B2", "C"), ("B1", "C", "B2"), ("C", "B1", "B2")},
                      {("B1", "B2"), ("B1", "C"), ("C", "B1"), ("C", "B2"), ("B2", "C")},
                      {"B1", "C"}, {"B2", "C"}),
    "inclusive": (inclusive, {("A", "B", "D"), ("A", "C", "D"), ("A", "B", "C", "D"),
                              ("A", "C", "B", "D")},
                  {("A", "B"), ("A", "C"), ("B", "C"), ("C", "B"), ("B", "D"), ("C", "D")},
                  {"A"}, {"D"}),
    "two_ends": (two_ends, {("B",), ("C", "D")}, {("C", "D")}, {"B", "C"}, {"B", "D"}),
}


def _log(runs):
    return log_from_text("\n".join(f"R{k}: {', '.join(run)}" for k, run in enumerate(runs)))


def _fitness(model, runs):
    log = _log(runs)
    tbr = pm4py.conformance_diagnostics_token_based_replay(
        log, model.net, model.initial_marking, model.final_marking)
    ali = pm4py.conformance_diagnostics_alignments(
        log, model.net, model.initial_marking, model.final_marking)
    return [t["trace_fitness"] for t in tbr], [a["fitness"] for a in ali]


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_runs_are_exactly_the_hand_written_runs(name):
    build, runs, *_ = CHARTS[name]
    found = build().runs()
    assert set(found) == runs
    assert len(found) == len(runs)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_run_replays_with_fitness_one(name):
    build, runs, *_ = CHARTS[name]
    chart = build()
    tbr, ali = _fitness(chart.to_petri_net(), chart.runs())
    assert tbr == [1.0] * len(runs)
    assert ali == [1.0] * len(runs)


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_a_run_with_a_step_left_out_does_not_fit(name):
    build, runs, *_ = CHARTS[name]
    broken = next(run[:i] + run[i + 1:] for run in sorted(runs, key=len, reverse=True)
                  for i in range(len(run)) if run[:i] + run[i + 1:] not in runs)
    tbr, ali = _fitness(build().to_petri_net(), [broken])
    assert tbr[0] < 1 and ali[0] < 1


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_pm4py_finds_the_net_sound_and_plays_out_exactly_the_runs(name):
    build, runs, *_ = CHARTS[name]
    model = build().to_petri_net()
    assert pm4py.check_soundness(model.net, model.initial_marking, model.final_marking)[0]
    log = playout.apply(model.net, model.initial_marking, model.final_marking,
                        variant=playout.Variants.EXTENSIVE,
                        parameters={extensive.Parameters.MAX_TRACE_LENGTH: 14})
    played = {tuple(e["concept:name"] for e in trace) for trace in log}
    if name == "loop":
        assert runs <= played
        assert all(len(t) % 2 == 1 and t[-1] == "C" and set(t[:-1:2]) == {"A"}
                   and set(t[1::2]) == {"B"} for t in played)
    else:
        assert played == runs


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_step_relations_match_hand_written_sets(name):
    build, _, allowed, first, last = CHARTS[name]
    chart = build()
    assert chart.allowed_transitions() == allowed
    assert chart.first_steps() == first
    assert chart.last_steps() == last


def test_one_visible_transition_per_step_labelled_with_its_label():
    chart = (FlowchartBuilder("x").start("s").step("t", "Triage").step("c", "Close case")
             .end("e").chain("s", "t", "c", "e").build())
    model = chart.to_petri_net()
    assert sorted(t.label for t in model.net.transitions if t.label is not None) == \
        ["Close case", "Triage"]
    assert repr(model).count("\n") == 0
    assert isinstance(model, PetriNetModel)
    assert len(model.final_marking) == 1 and list(model.final_marking.values()) == [1]


def test_runs_respect_max_repeats_and_max_runs():
    chart = loop()
    assert set(chart.runs(max_repeats=0)) == {("A", "B", "C")}
    assert set(chart.runs(max_repeats=2)) == {("A", "B", "C"), ("A", "B", "A", "B", "C"),
                                              ("A", "B", "A", "B", "A", "B", "C")}
    assert len(parallel3().runs(max_runs=2)) == 2


def test_broken_chart_has_no_petri_net():
    from cs_mining.flowchart.model import Arrow, Flowchart, Node
    chart = Flowchart(name="x", nodes=[Node("s", "start"), Node("a")], arrows=[Arrow("s", "a")])
    with pytest.raises(FlowchartError, match="no end"):
        chart.to_petri_net()


SILENT_FREE = ["decision", "linear", "parallel2", "parallel3", "two_ends"]


def test_fusion_leaves_no_silent_transition_where_none_is_needed():
    # loops back to a step and inclusive blocks need silent transitions; a
    # parallel split or join and a decision do not
    free = sorted(name for name, (build, *_) in CHARTS.items()
                  if all(t.label is not None for t in build().to_petri_net().net.transitions))
    assert free == SILENT_FREE


@pytest.mark.parametrize("name", SILENT_FREE)
def test_replay_copy_replays_exactly_like_the_net_itself(name):
    # compare replays silent-free nets on replay_copy(), whose places and
    # transitions hash by identity in C instead of pm4py's id() in Python
    from pm4py.objects.petri_net.obj import PetriNet

    from cs_mining.flowchart._net_objects import replay_copy

    build, runs, *_ = CHARTS[name]
    model = build().to_petri_net()
    fast = replay_copy(model.net, model.initial_marking, model.final_marking)
    assert {type(t) for t in model.net.transitions} == {PetriNet.Transition}
    assert {type(t) for t in fast[0].transitions} != {PetriNet.Transition}
    assert sorted(map(repr, fast[0].arcs)) == sorted(map(repr, model.net.arcs))
    traces = sorted(runs) + [run[::-1] for run in sorted(runs)] + [run[1:] for run in sorted(runs)]
    log = _log(traces)
    keep = ("trace_is_fit", "trace_fitness", "missing_tokens", "consumed_tokens",
            "remaining_tokens", "produced_tokens")
    ours = pm4py.conformance_diagnostics_token_based_replay(log, *fast)
    theirs = pm4py.conformance_diagnostics_token_based_replay(
        log, model.net, model.initial_marking, model.final_marking)
    assert [{k: r[k] for k in keep} for r in ours] == [{k: r[k] for k in keep} for r in theirs]
    assert not all(r["trace_is_fit"] for r in ours)
