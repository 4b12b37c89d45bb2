"""The reachability-graph aligner against pm4py's optimal alignments.

Both must find the same least number of log and model moves on every trace;
which of several equally short alignments each picks may differ.
"""

import random

import pytest

from cs_mining._replay import _align
from cs_mining._rg_align import Aligner
from cs_mining.flowchart import FlowchartBuilder

from test_compare import decision_in_parallel_chart as parallel_with_decision


def nested_inclusive():
    return (FlowchartBuilder("Nested").start("s").step("a", "A").inclusive("p1").step("b", "B")
            .parallel("p2").step("c", "C").step("d", "D").parallel("j2").step("e", "E")
            .inclusive("j1").step("f", "F").end("x")
            .chain("s", "a", "p1", "b", "j1", "f", "x").chain("p1", "p2", "c", "j2", "e", "j1")
            .chain("p2", "d", "j2").build())


def loop_through_block():
    return (FlowchartBuilder("Loop").start("s").step("a", "A").decision("m").parallel("p")
            .step("b", "B").step("c", "C").parallel("j").step("d", "D").decision("q")
            .step("e", "E").end("x")
            .chain("s", "a", "m", "p", "b", "j", "d", "q").chain("p", "c", "j")
            .arrow("q", "m", label="again").chain("q", "e", "x").build())


def perturbed(run, steps, rng):
    """A run with a few steps dropped, repeated, swapped or added."""
    trace = list(run)
    for _ in range(rng.randint(1, 3)):
        how = rng.choice(["drop", "repeat", "swap", "add"])
        i = rng.randrange(len(trace)) if trace else 0
        if how == "drop" and trace:
            del trace[i]
        elif how == "repeat" and trace:
            trace.insert(i, trace[i])
        elif how == "swap" and len(trace) > 1:
            j = rng.randrange(len(trace))
            trace[i], trace[j] = trace[j], trace[i]
        else:
            trace.insert(i, rng.choice(steps))
    return trace


@pytest.mark.parametrize("make", [parallel_with_decision, nested_inclusive, loop_through_block])
def test_least_moves_equal_pm4pys_alignment(make):
    chart = make()
    aligner, petri = Aligner.of(chart), chart.to_petri_net()
    steps = [s.id for s in chart.steps]
    rng = random.Random(7)
    runs = chart.runs(max_runs=50)
    for _ in range(40):
        trace = perturbed(rng.choice(runs), steps, rng)
        ours = [m for m in aligner.align(trace) if m[0] != "sync"]
        theirs = _align(tuple(chart.label_of(s) for s in trace), petri)
        visible = [m for m in theirs["alignment"] if m[1] is not None and m[0] != m[1]]
        assert len(ours) == len(visible), (trace, ours, theirs["alignment"])
        # our moves replayed: the synced and model steps in order form a run of the chart
        played = [s for m, s in aligner.align(trace) if m != "log"]
        assert aligner.complete(aligner.walk(played)), (trace, played)
        assert [s for m, s in aligner.align(trace) if m != "model"] == trace


def test_valid_runs_align_with_sync_moves_only():
    chart = loop_through_block()
    aligner = Aligner.of(chart)
    for run in chart.runs(max_runs=30, max_repeats=2):
        assert all(m == "sync" for m, _ in aligner.align(list(run)))
        assert aligner.complete(aligner.walk(list(run)))
