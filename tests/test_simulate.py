"""Tests for cs_mining.simulate: reproducibility, planted truth, conformance, timing, samples."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pm4py
import pytest

from cs_mining.errors import ConfigError
from cs_mining.flowchart import read_flowchart
from cs_mining.simulate import SAMPLES, GroundTruth, make_samples, parse_plant, simulate

SAMPLE_LOGS = Path(__file__).resolve().parents[1] / "sample_logs"

REPAIR = """
name: Repair
touchpoint: phone
steps:
  - {id: start, kind: start}
  - {id: triage, label: Triage}
  - {id: diagnose, label: Diagnose fault}
  - {id: right, kind: decision, label: Right team?}
  - {id: reassign, label: Reassign}
  - {id: stock, kind: decision, label: Part in stock?}
  - {id: in_stock, label: Use stock part}
  - {id: backorder, label: Order part}
  - {id: schedule, label: Schedule repair}
  - {id: fork, kind: parallel}
  - {id: repair, label: Repair}
  - {id: invoice, label: Send invoice}
  - {id: join, kind: parallel}
  - {id: close, label: Close case}
  - {id: end, kind: end}
arrows:
  - start -> triage -> diagnose -> right
  - {from: right, to: reassign, probability: 0.3}
  - {from: right, to: stock, probability: 0.7}
  - reassign -> diagnose
  - {from: stock, to: in_stock, probability: 0.8}
  - {from: stock, to: backorder, probability: 0.2}
  - in_stock -> schedule
  - backorder -> schedule
  - schedule -> fork
  - fork -> repair -> join
  - fork -> invoice -> join
  - join -> close -> end
"""
PLANT = ("skip:diagnose=0.05,rework:triage=0.03,unknown:Transfer to billing@triage=0.04,"
         "unexpected:in_stock->backorder=0.02,wrong_end=0.03,slow:triage->diagnose=x6,"
         "pingpong:0.05")
LINEAR = """
name: Linear
steps:
  - {id: start, kind: start}
  - {id: a, label: Open}
  - {id: b, label: Check}
  - {id: c, label: Fix}
  - {id: d, label: Close}
  - {id: end, kind: end}
arrows:
  - start -> a -> b -> c -> d -> end
"""


@pytest.fixture(scope="module")
def chart():
    return read_flowchart(REPAIR)


@pytest.fixture(scope="module")
def sim(chart):
    return simulate(chart, cases=2000, seed=3, plant=PLANT)


def traces(events):
    return events.groupby("case:concept:name", observed=True, sort=True)["concept:name"] \
        .agg(lambda s: tuple(map(str, s)))


def plain(events):
    out = events.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(str)
    return out


def ids(truth, kind):
    return set(truth.case_ids(kind=kind))


def pingpong_cases(events):
    found = set()
    for case, groups in events.groupby("case:concept:name", observed=True)["org:group"]:
        g = [x for i, x in enumerate(groups) if i == 0 or x != groups.iloc[i - 1]]
        if any(g[i] == g[i + 2] and g[i + 1] == g[i + 3] for i in range(len(g) - 3)):
            found.add(case)
    return found


# ----------------------------------------------------------------------------- reproducible

def test_same_seed_gives_identical_log_and_other_seed_another(chart):
    a = simulate(chart, cases=300, seed=5, plant=PLANT)
    b = simulate(chart, cases=300, seed=5, plant=PLANT)
    c = simulate(chart, cases=300, seed=6, plant=PLANT)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert a.truth.to_dict() == b.truth.to_dict()
    assert not a.events.equals(c.events)


# ----------------------------------------------------------------------------- planted truth

def test_each_plant_gets_exactly_round_share_times_cases_disjoint(sim):
    planted = sim.truth.planted
    per_kind = planted.groupby("kind")["cases"].sum().to_dict()
    assert per_kind == {"skipped_step": 100, "rework": 60, "unknown_activity": 80,
                        "unexpected_transition": 40, "wrong_end": 60}
    assert sim.truth.pingpong["cases"] == 100 == len(sim.truth.pingpong["case_ids"])
    all_ids = [i for row in planted["case_ids"] for i in row] + sim.truth.pingpong["case_ids"]
    assert len(all_ids) == len(set(all_ids)) == 440
    assert all(len(r.case_ids) == r.cases for r in planted.itertuples())
    assert sim.truth.conforming_cases == 2000 - 440


def test_skipped_step_is_missing_in_exactly_the_planted_cases(sim):
    # every run diagnoses once more than it reassigns; a skip breaks exactly that
    t = traces(sim.events)
    complete = {c for c, tr in t.items() if tr[-1] == "Close case"}
    short = {c for c, tr in t.items() if c in complete
             and tr.count("Diagnose fault") == tr.count("Reassign")}
    assert short == ids(sim.truth, "skipped_step")
    assert any(tr.count("Reassign") for c, tr in t.items() if c in short)
    for row in sim.truth.planted[sim.truth.planted.kind == "skipped_step"].itertuples():
        assert row.activity == "Diagnose fault"
        for case in row.case_ids:
            tr = t[case]
            assert any(tr[i:i + 2] == (row.source, row.target) for i in range(len(tr) - 1))


def test_rework_repeats_the_step_in_exactly_the_planted_cases(sim):
    t = traces(sim.events)
    twice = {c for c, tr in t.items() if tr[:2] == ("Triage", "Triage")}
    assert twice == ids(sim.truth, "rework")
    row = sim.truth.planted[sim.truth.planted.kind == "rework"].iloc[0]
    assert (row.activity, row.source, row.target) == ("Triage", "Triage", "Triage")


def test_unknown_activity_is_inserted_and_done_by_an_outside_team(sim):
    ev = sim.events
    hit = ev[ev["concept:name"] == "Transfer to billing"]
    assert set(hit["case:concept:name"]) == ids(sim.truth, "unknown_activity")
    assert set(hit["org:group"]) == {"Billing"}
    t = traces(ev)
    assert all(t[c][:2] == ("Triage", "Transfer to billing") for c in hit["case:concept:name"])


def test_unexpected_transition_takes_both_branches(sim):
    t = traces(sim.events)
    both = {c for c, tr in t.items() if "Use stock part" in tr and "Order part" in tr}
    assert both == ids(sim.truth, "unexpected_transition")
    for c in both:
        tr = t[c]
        i = tr.index("Use stock part")
        assert tr[i + 1:i + 3] == ("Order part", "Schedule repair")
    row = sim.truth.planted[sim.truth.planted.kind == "unexpected_transition"].iloc[0]
    assert (row.activity, row.source, row.target) == (None, "Use stock part", "Order part")


def test_wrong_end_cases_stop_early_at_the_stated_step(sim):
    t = traces(sim.events)
    early = {c for c, tr in t.items() if tr[-1] != "Close case"}
    assert early == ids(sim.truth, "wrong_end")
    for row in sim.truth.planted[sim.truth.planted.kind == "wrong_end"].itertuples():
        assert all(t[c][-1] == row.activity for c in row.case_ids)


def test_pingpong_cases_alternate_teams_and_no_other_case_does(sim):
    assert pingpong_cases(sim.events) == ids(sim.truth, "pingpong")
    assert sim.truth.pingpong["teams"] == ["Service desk", "Back office"]
    assert sim.truth.pingpong["activity"] == "Diagnose fault"


def test_unplanted_and_pingpong_cases_fit_the_petri_net(sim, chart):
    planted = {i for row in sim.truth.planted["case_ids"] for i in row}
    ev = plain(sim.events)
    good = ev[~ev["case:concept:name"].isin(planted)]
    m = chart.to_petri_net()
    fit = pm4py.conformance_diagnostics_token_based_replay(good, m.net, m.initial_marking,
                                                           m.final_marking)
    assert len(fit) == 2000 - 340
    assert all(f["trace_fitness"] == 1.0 for f in fit)
    # pm4py's token replay ignores unknown activities (#435); every other plant must not fit
    bad = ev[ev["case:concept:name"].isin(planted - ids(sim.truth, "unknown_activity"))]
    fit = pm4py.conformance_diagnostics_token_based_replay(bad, m.net, m.initial_marking,
                                                           m.final_marking)
    assert len(fit) == 260 and all(f["trace_fitness"] < 1.0 for f in fit)


def test_parallel_branches_interleave_both_ways(sim):
    t = traces(sim.events)
    orders = {tr[-3:-1] for tr in t if tr[-1] == "Close case"}
    assert orders == {("Repair", "Send invoice"), ("Send invoice", "Repair")}


# ----------------------------------------------------------------------------- timing

def test_slow_transition_median_wait_is_factor_times_the_others():
    sim = simulate(read_flowchart(LINEAR), cases=2000, seed=1, wait="1h", wait_sigma=0.5,
                   duration="1s", duration_sigma=0.1, plant="slow:b->c=x6")
    ev = sim.events
    prev = ev.groupby("case:concept:name", observed=True)["concept:name"].shift()
    prev_end = ev.groupby("case:concept:name", observed=True)["time:timestamp"].shift()
    wait = (ev["start_timestamp"] - prev_end).dt.total_seconds()
    on = (prev == "Check") & (ev["concept:name"] == "Fix")
    ratio = wait[on].median() / wait[~on & prev.notna()].median()
    assert 5.4 < ratio < 6.6
    assert sim.truth.slow_transition["source"] == "Check"
    assert sim.truth.slow_transition["cases"] == 2000
    assert 5.4 < (sim.truth.slow_transition["median_wait_s"]
                  / sim.truth.slow_transition["others_median_wait_s"]) < 6.6


def test_working_hours_hold_for_every_start_and_end_across_dst():
    sim = simulate(read_flowchart(LINEAR), cases=800, seed=2, start="2024-03-20",
                   wait="6h", duration="40min", working_hours="Mon-Fri 08:00-18:00",
                   timezone="Europe/Riga", arrivals_per_day=40)
    for col in ("start_timestamp", "time:timestamp"):
        local = sim.events[col].dt.tz_convert("Europe/Riga")
        minutes = local.dt.hour * 60 + local.dt.minute + local.dt.second / 60
        assert (local.dt.weekday < 5).all()
        assert minutes.between(8 * 60, 18 * 60).all()
    # the log spans the switch to summer time on 31 March 2024
    assert sim.events["time:timestamp"].max() > pd.Timestamp("2024-04-05", tz="UTC")


def test_bad_working_hours_name_the_expected_form():
    with pytest.raises(ConfigError, match=r"working_hours 'weekdays' is not like "
                                          r"'Mon-Fri 08:00-18:00'"):
        simulate(read_flowchart(LINEAR), cases=5, working_hours="weekdays")


# ----------------------------------------------------------------------------- columns

def test_channels_teams_agents_and_repeat_customers():
    chart = read_flowchart(LINEAR)
    sim = simulate(chart, cases=3000, seed=4, channels={"phone": 3, "e-mail": 1},
                   teams={"a": "Front desk", "b": "Front desk", "c": "Engineers",
                          "d": "Front desk"}, agents_per_team=3)
    ev = sim.events
    assert list(ev.columns) == ["case:concept:name", "concept:name", "time:timestamp",
                                "start_timestamp", "org:resource", "org:group", "channel",
                                "request_type", "customer"]
    assert str(ev["time:timestamp"].dt.tz) == "UTC"
    per_case = ev.drop_duplicates("case:concept:name")
    share = (per_case["channel"] == "phone").mean()
    assert 0.70 < share < 0.80
    assert set(ev.loc[ev["concept:name"] == "Fix", "org:group"]) == {"Engineers"}
    assert set(ev["org:group"].unique()) == {"Front desk", "Engineers"}
    assert ev.groupby("org:group", observed=True)["org:resource"].nunique().to_dict() == \
        {"Front desk": 3, "Engineers": 3}
    assert set(ev["request_type"].unique()) == {"Linear"}
    cases_per_customer = per_case.groupby("customer", observed=True).size()
    repeat_share = 1 - len(cases_per_customer) / 3000
    assert 0.15 < repeat_share < 0.25
    assert (cases_per_customer > 1).any()


# ----------------------------------------------------------------------------- files

def test_write_csv_and_parquet_keep_latvian_names_and_truth(tmp_path):
    chart = read_flowchart(LINEAR.replace("label: Fix", "label: Ierakstīt inženiera atskaiti"))
    sim = simulate(chart, cases=50, seed=0, plant="skip:c=0.1")
    csv = sim.write(tmp_path / "lv.csv")
    back = pd.read_csv(csv, encoding="utf-8")
    assert "Ierakstīt inženiera atskaiti" in set(back["concept:name"])
    assert back["concept:name"].tolist() == sim.events["concept:name"].astype(str).tolist()
    truth = json.loads((tmp_path / "lv.truth.json").read_text(encoding="utf-8"))
    assert truth["planted"][0]["activity"] == "Ierakstīt inženiera atskaiti"
    assert truth["planted"][0]["cases"] == 5
    assert GroundTruth.read(tmp_path / "lv.truth.json").to_dict() == sim.truth.to_dict()
    sim.write(tmp_path / "lv.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "lv.parquet"), sim.events)
    with pytest.raises(ConfigError, match=r"write a log as \.csv, \.csv\.gz or \.parquet"):
        sim.write(tmp_path / "lv.xlsx")


def test_result_objects_repr_str_html_and_json(sim):
    assert repr(sim) == ("<SimulatedLog 'Repair': 2,000 cases, 15,918 events, "
                         "13 planted deviations in 340 cases, ping-pong in 100 cases>")
    assert "\n" not in repr(sim.truth)
    assert "Ping-pong: 100 cases bounce between Service desk and Back office" in str(sim)
    d = json.loads(json.dumps(sim.to_dict()))
    assert d["truth"]["schema_version"] == 1
    assert set(d["truth"]) >= {"seed", "cases", "events", "flowchart", "planted",
                               "slow_transition", "pingpong"}
    chart = read_flowchart(LINEAR.replace("name: Linear", "name: <b>Linear</b>"))
    html = simulate(chart, cases=3).truth._repr_html_()
    assert "&lt;b&gt;Linear" in html and "<b>Linear" not in html


# ----------------------------------------------------------------------------- plant spec

def test_plant_string_and_dict_mean_the_same():
    assert parse_plant("skip:b=0.1,slow:a->b=x3,pingpong:0.02") == \
        parse_plant({"skip:b": 0.1, "slow:a->b": 3, "pingpong": 0.02})


@pytest.mark.parametrize("plant, message", [
    ("rework:b->a=0.1", None),
    ("unexpected:a->c=0.1", "simulate(): plant 'unexpected:a->c=0.1': 'Fix' can follow 'Open' "
                            "later, so the move would be a skip; plant 'skip:...' instead"),
    ("skip:a=0.6,skip:b=0.6", "simulate(): the planted shares add up to 1.2, more than all cases"),
    ("skip:q=0.1", "simulate(): plant 'skip:q=0.1' names 'q', which is not a step of 'Linear'"),
    ("skip:b=1.5", "simulate(): plant 'skip:b=1.5' needs a share of cases between 0 and 1; "
                   "got 1.5"),
    ("pingpong:0.1", "simulate(): plant 'pingpong:0.1' needs a step the chart lets repeat "
                     "(a loop); 'Linear' has none"),
    ("unknown:Check@a=0.1", "simulate(): plant 'unknown:Check@a=0.1': 'Check' is claimed by "
                            "step 'b', so it is not unknown"),
])
def test_plants_the_chart_cannot_carry_are_refused(plant, message):
    chart = read_flowchart(LINEAR)
    if message is None:
        sim = simulate(chart, cases=100, plant=plant)
        assert sim.truth.planted[["kind", "activity", "source", "target", "cases"]] \
            .values.tolist() == [["rework", "Open", "Check", "Open", 10]]
        return
    with pytest.raises(ConfigError) as err:
        simulate(chart, cases=100, plant=plant)
    assert str(err.value).startswith(message)


def test_rework_on_a_step_the_chart_lets_repeat_is_refused(chart):
    with pytest.raises(ConfigError, match=r"the chart already allows 'Reassign' -> "
                                          r"'Diagnose fault', so it is not rework"):
        simulate(chart, cases=10, plant="rework:reassign->diagnose=0.1")


# ----------------------------------------------------------------------------- samples

def test_make_samples_rebuilds_the_committed_files_byte_for_byte(tmp_path):
    for name in SAMPLES:
        shutil.copy(SAMPLE_LOGS / f"{name}.yaml", tmp_path)
    written = make_samples(tmp_path)
    assert [p.name for p in written] == [f"{n}.csv" for n in SAMPLES]
    for name in SAMPLES:
        for suffix in (".csv", ".truth.json"):
            assert (tmp_path / f"{name}{suffix}").read_bytes() == \
                (SAMPLE_LOGS / f"{name}{suffix}").read_bytes(), name + suffix


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_is_valid_small_and_its_truth_holds(name):
    chart = read_flowchart(SAMPLE_LOGS / f"{name}.yaml")
    assert chart.check() == []
    csv = SAMPLE_LOGS / f"{name}.csv"
    assert csv.stat().st_size < 1_500_000
    ev = pd.read_csv(csv, encoding="utf-8")
    truth = GroundTruth.read(SAMPLE_LOGS / f"{name}.truth.json")
    assert truth.cases == ev["case:concept:name"].nunique() and truth.events == len(ev)
    steps = {n.label for n in chart.steps}
    unknown = {c for c in ev["concept:name"].unique() if c not in steps}
    assert unknown == set(truth.planted.loc[truth.planted.kind == "unknown_activity",
                                            "activity"])
    assert pingpong_cases(ev) == ids(truth, "pingpong")
    if truth.slow_transition:
        ev["time:timestamp"] = pd.to_datetime(ev["time:timestamp"], utc=True)
        by = ev.groupby("case:concept:name")
        pairs = pd.DataFrame({"source": by["concept:name"].shift(), "target": ev["concept:name"],
                              "wait": by["time:timestamp"].diff().dt.total_seconds()}).dropna()
        target = pairs["target"].map({n.label: n.wait_target_s for n in chart.steps})
        pairs["excess"] = (pairs["wait"] - target).clip(lower=0)
        top = pairs.groupby(["source", "target"])["excess"].sum().idxmax()
        assert top == (truth.slow_transition["source"], truth.slow_transition["target"])
