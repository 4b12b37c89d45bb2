"""bottlenecks() on real logs, with pm4py.discover_performance_dfg as the oracle."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from cs_mining import load_log
from cs_mining.bottlenecks import bottlenecks

ROOT = Path(__file__).resolve().parents[1]
REAL = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "real"
needs_real = pytest.mark.skipif(not REAL.exists(),
                                reason="real logs not found at ../shared/datasets/real")


def assert_agrees_with_pm4py(events):
    import pm4py

    dfg, _, _ = pm4py.discover_performance_dfg(events.copy(), perf_aggregation_key="all")
    result = bottlenecks(events)
    ours = result.transitions.set_index(["source", "target"])
    assert set(ours.index) == set(dfg)
    for arrow, theirs in dfg.items():
        mine = ours.loc[arrow]
        for key, column in (("mean", "mean_wait_s"), ("median", "median_wait_s"),
                            ("max", "max_wait_s"), ("min", "min_wait_s"),
                            ("sum", "total_wait_s")):
            assert mine[column] == pytest.approx(theirs[key], rel=1e-9, abs=1e-6), (arrow, key)
    return result


def test_helpdesk_sample_agrees_with_pm4py_per_arrow():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = load_log(ROOT / "sample_logs" / "helpdesk.csv")
    result = assert_agrees_with_pm4py(log.events)
    # 4TU Helpdesk: 16,768 directly-follows pairs (SOURCES.md)
    assert int(result.transitions["events"].sum()) == 16768


@needs_real
def test_bpic2013_closed_problems_agrees_with_pm4py_per_arrow():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        log = load_log(REAL / "bpic2013_closed_problems.xes.gz",
                       activity_column="concept:name+lifecycle:transition")
    result = assert_agrees_with_pm4py(log.events)
    assert len(result.cases) == log.events["case:concept:name"].nunique()
