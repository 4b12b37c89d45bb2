"""compare() on the real Helpdesk log (sample_logs/) agrees with pm4py called directly."""

import pm4py
import pytest

from cs_mining import compare, load_log, read_flowchart

from conftest import SAMPLES


@pytest.fixture(scope="module")
def helpdesk():
    log = load_log(SAMPLES / "helpdesk.csv")
    chart = read_flowchart(SAMPLES / "helpdesk.yaml")
    return log, chart, compare(log, chart)


def test_dfg_counts_equal_pm4py(helpdesk):
    log, _, result = helpdesk
    dfg, _, _ = pm4py.discover_dfg(log.events)
    assert {(r.source, r.target): r.events for r in result.flow.transitions.itertuples()} == \
        dict(dfg)


def test_fitness_equals_pm4py_on_the_mapped_log(helpdesk):
    log, chart, result = helpdesk
    # Every Helpdesk activity that a step claims is named by the step's label,
    # so the log replays on the net as it is.
    petri = chart.to_petri_net()
    theirs = pm4py.fitness_token_based_replay(log.events, petri.net, petri.initial_marking,
                                              petri.final_marking)
    ours = result.conformance
    assert ours["fitness"] == pytest.approx(theirs["log_fitness"], abs=1e-12)
    assert ours["average_trace_fitness"] == pytest.approx(theirs["average_trace_fitness"],
                                                          abs=1e-12)
    assert ours["fit_case_share"] == pytest.approx(theirs["percentage_of_fitting_traces"] / 100)


def test_every_number_traces_to_named_cases(helpdesk):
    _, _, result = helpdesk
    for row in result.deviations.head(10).itertuples():
        ids = result.cases(kind=row.kind, activity=row.activity, source=row.source,
                           target=row.target)
        assert len(ids) == row.cases
        assert set(row.example_cases) <= set(ids)


def test_unknown_helpdesk_statuses_are_reported(helpdesk):
    _, _, result = helpdesk
    unknown = result.deviations[result.deviations.kind == "unknown_activity"]
    # SOURCES.md: Schedule intervention 5, VERIFIED 3, RESOLVED 2, INVALID 2, DUPLICATE 1 events
    assert set(unknown.activity) == {"Schedule intervention", "VERIFIED", "RESOLVED", "INVALID",
                                     "DUPLICATE"}
    assert unknown.set_index("activity").loc["DUPLICATE", "events"] == 1
