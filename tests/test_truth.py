"""compare() recovers every planted deviation of the simulated samples, and nothing else."""

import json

import pytest

from cs_mining import compare, load_log, read_flowchart
from cs_mining.simulate import simulate

from conftest import SAMPLES

SCENARIOS = ["service_request_phone", "service_request_phone_lv", "order_out_of_stock",
             "complaint_email", "technical_query_chat"]


def key(kind, source, target, activity):
    return (kind, source, target, activity)


@pytest.mark.parametrize("name", SCENARIOS)
def test_compare_recovers_planted_deviations_of_sample(name):
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))
    result = compare(load_log(SAMPLES / f"{name}.csv"), read_flowchart(SAMPLES / f"{name}.yaml"))
    planted = {key(p["kind"], p["source"], p["target"], p["activity"]): p for p in
               truth["planted"]}
    reported = result.deviations[result.deviations["kind"] != "unused_path"]
    assert {key(r.kind, r.source, r.target, r.activity): r.cases
            for r in reported.itertuples()} == {k: p["cases"] for k, p in planted.items()}
    for k, p in planted.items():
        kind, source, target, activity = k
        assert sorted(result.cases(kind=kind, source=source, target=target,
                                   activity=activity)) == sorted(p["case_ids"])
    assert result.conformance["conforming_cases"] == truth["cases"] - sum(
        p["cases"] for p in truth["planted"])


def test_compare_recovers_a_fresh_simulation_with_every_kind():
    chart = read_flowchart(SAMPLES / "service_request_phone.yaml")
    sim = simulate(chart, cases=2000, seed=7,
                   plant="skip:record=0.05,rework:record=0.03,"
                         "unknown:Transfer to billing@record=0.04,wrong_end=0.03")
    result = compare(sim.events.astype({c: str for c in ("case:concept:name", "concept:name")}),
                     chart)
    planted = {(p.kind, p.source, p.target, p.activity): p.cases
               for p in sim.truth.planted.itertuples()}
    reported = result.deviations[~result.deviations["kind"].isin(["unused_path"])]
    assert {(r.kind, r.source, r.target, r.activity): r.cases
            for r in reported.itertuples()} == planted


@pytest.mark.parametrize("name", [n for n in SCENARIOS if json.loads(
    (SAMPLES / f"{n}.truth.json").read_text(encoding="utf-8")).get("slow_transition")])
def test_planted_slow_transition_is_the_top_bottleneck(name):
    truth = json.loads((SAMPLES / f"{name}.truth.json").read_text(encoding="utf-8"))
    result = compare(load_log(SAMPLES / f"{name}.csv"), read_flowchart(SAMPLES / f"{name}.yaml"))
    top = result.bottlenecks().iloc[0]
    slow = truth["slow_transition"]
    assert (top.source, top.target) == (slow["source"], slow["target"])
