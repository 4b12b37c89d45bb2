"""The actual flow must equal pm4py's own discovery on the same log."""

import pm4py
import pytest

from cs_mining.discover import discover
from cs_mining.load import load_log
from cs_mining.testing import log_from_text

from conftest import SAMPLES


@pytest.fixture(scope="module")
def helpdesk():
    return load_log(SAMPLES / "helpdesk.csv")


def test_dfg_counts_equal_pm4py_on_helpdesk(helpdesk):
    flow = discover(helpdesk)
    dfg, start, end = pm4py.discover_dfg(helpdesk.events)
    ours = {(r.source, r.target): r.events for r in flow.transitions.itertuples()}
    assert ours == dict(dfg)
    assert sum(ours.values()) == 16768  # SOURCES.md: directly-follows pairs
    assert flow.start_activities.to_dict() == dict(start)
    assert flow.end_activities.to_dict() == dict(end)


def test_waits_equal_pm4py_performance_dfg_on_helpdesk(helpdesk):
    flow = discover(helpdesk)
    perf = pm4py.discover_performance_dfg(helpdesk.events)[0]
    for r in flow.transitions.itertuples():
        expected = perf[(r.source, r.target)]
        assert r.median_wait_s == pytest.approx(expected["median"])
        assert r.mean_wait_s == pytest.approx(expected["mean"])
        assert r.max_wait_s == pytest.approx(expected["max"])


def test_variants_equal_pm4py_on_helpdesk(helpdesk):
    flow = discover(helpdesk)
    theirs = pm4py.get_variants(helpdesk.events)
    ours = dict(zip(flow.variants["activities"], flow.variants["cases"]))
    assert len(ours) == 226
    assert ours == {tuple(k): v for k, v in theirs.items()}
    assert flow.variants["cases"].is_monotonic_decreasing


def test_ties_keep_file_order():
    # 09:00 twice: file order says triage before assign.
    flow = discover(log_from_text("T1: open 08:00, triage 09:00, assign 09:00, close 10:00"))
    assert set(zip(flow.transitions.source, flow.transitions.target)) == {
        ("open", "triage"), ("triage", "assign"), ("assign", "close")}


def test_cases_per_arrow_count_distinct_cases():
    flow = discover(log_from_text("""
        T1: a 09:00, b 09:01, a 09:03, b 09:07
        T2: a 09:00, b 09:10
    """))
    ab = flow.transitions.set_index(["source", "target"]).loc[("a", "b")]
    assert (ab.events, ab.cases) == (3, 2)
    assert ab.median_wait_s == 240.0          # waits 60, 240, 600
    assert ab.total_wait_s == 900.0
    assert flow.graph.nodes["a"]["events"] == 3


def test_single_event_cases_have_no_transitions():
    flow = discover(log_from_text("T1: a 09:00\nT2: a 09:00, b 10:00"))
    assert len(flow.transitions) == 1
    assert flow.tables.cases.set_index("case_id").loc["T1", "throughput_s"] == 0.0
    assert flow.start_activities.to_dict() == {"a": 2}
    assert flow.end_activities.to_dict() == {"a": 1, "b": 1}


def test_flow_prints_escapes_and_serialises():
    flow = discover(log_from_text("T1: open 09:00, <b>close</b> 10:00"))
    assert repr(flow) == "<Flow: 1 cases, 2 activities, 1 arrows, 1 variants>"
    d = flow.to_dict()
    assert d["transitions"][0]["source"] == "open"
    assert d["transitions"][0]["median_wait_s"] == 3600.0
    assert d["variants"][0]["activities"] == ["open", "<b>close</b>"]
    html = flow._repr_html_()
    assert "&lt;b&gt;close&lt;/b&gt;" in html and "<b>close</b>" not in html


def test_example_cases_are_each_variants_first_five_in_log_order():
    from cs_mining.engines.pandas import build_tables

    text = "\n".join(f"C{i}: a 09:00, {'b' if i % 3 else 'c'} 09:0{1 + i % 5}" for i in range(12))
    tables = build_tables(log_from_text(text))
    examples = dict(zip(tables.variants["activities"], tables.variants["example_cases"]))
    # by hand: i % 3 == 0 -> (a, c) for C0 C3 C6 C9, else (a, b) for the other eight
    assert examples == {("a", "b"): ["C1", "C2", "C4", "C5", "C7"],
                        ("a", "c"): ["C0", "C3", "C6", "C9"]}


def test_p90_wait_is_the_linear_90th_percentile_of_each_arrows_waits():
    import numpy as np

    flow = discover(log_from_text("""
        T1: open 09:00, close 09:01
        T2: open 09:00, close 09:02
        T3: open 09:00, close 09:03
        T4: open 09:00, close 09:10, open 09:11, close 09:41
    """))
    p90 = {(r.source, r.target): r.p90_wait_s for r in flow.transitions.itertuples()}
    # open -> close waits 60, 120, 180, 600, 1800 s: rank 0.9 * 4 = 3.6 -> 600 + 0.6 * 1200
    assert p90[("open", "close")] == pytest.approx(600 + 0.6 * 1200)
    assert p90[("close", "open")] == 60.0
    assert p90[("open", "close")] == pytest.approx(np.quantile([60, 120, 180, 600, 1800], 0.9))
