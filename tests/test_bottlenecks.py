"""bottlenecks(): durations, targets, pauses, segments, robustness, by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cs_mining.bottlenecks import NO_START, RANKING_COLUMNS, Bottlenecks, bottlenecks
from cs_mining.calendar import Calendar
from cs_mining.discover import tables
from cs_mining.errors import ConfigError
from cs_mining.flowchart import FlowchartBuilder
from cs_mining.testing import log_from_text


def row(frame, source, target, **where):
    hit = frame[(frame["source"] == source) & (frame["target"] == target)]
    for k, v in where.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, hit
    return hit.iloc[0]


@pytest.fixture
def chart():
    return (FlowchartBuilder("Tickets", case_target="90min").start("s")
            .step("open", "Open", activities=["open", "Opened"])
            .step("triage", "Triage", wait_target="30min")
            .step("resolve", "Resolve", wait_target="1h").end("e")
            .chain("s", "open", "triage", "resolve", "e").build())


def test_waits_per_transition_with_ties_and_single_event_cases():
    log = log_from_text("""
        T1: open 09:00, triage 09:10, close 10:00
        T2: open 09:00, triage 09:30, close 09:30
        T3: open 09:00
    """)
    result = bottlenecks(log)
    t = result.transitions
    assert sorted(zip(t["source"], t["target"])) == [("open", "triage"), ("triage", "close")]
    a = row(t, "open", "triage")
    assert (a["events"], a["cases"]) == (2, 2)
    assert (a["min_wait_s"], a["median_wait_s"], a["max_wait_s"]) == (600, 1200, 1800)
    assert a["mean_wait_s"] == 1200 and a["total_wait_s"] == 2400
    assert a["p90_wait_s"] == pytest.approx(600 + 0.9 * 1200)
    b = row(t, "triage", "close")
    assert (b["min_wait_s"], b["median_wait_s"], b["total_wait_s"]) == (0, 1500, 3000)
    assert list(result.cases["throughput_s"]) == [3600, 1800, 0]
    overall = result.throughput[result.throughput["variant"].isna()].iloc[0]
    assert overall["cases"] == 3 and overall["median_throughput_s"] == 1800
    assert NO_START in result.caveats
    assert result.steps["median_processing_s"].isna().all()
    assert (result.steps["timed"] == 0).all()


def test_lifecycle_pairs_give_processing_and_waits_between_instances():
    log = log_from_text("""
        T1: open 09:00, open 09:05, fix 09:30, fix 10:30
        T2: open 09:00, open 09:20, fix 09:20, fix 09:50
    """)
    log["lifecycle:transition"] = ["start", "complete"] * 4
    result = bottlenecks(log)
    t = result.transitions
    assert list(zip(t["source"], t["target"])) == [("open", "fix")]
    assert sorted(t.iloc[0][["min_wait_s", "max_wait_s"]]) == [0, 1500]
    steps = result.steps.set_index("step")
    assert steps.loc["open", "median_processing_s"] == 750
    assert steps.loc["fix", "median_processing_s"] == 2700
    assert steps.loc["fix", "timed"] == 2
    assert NO_START not in result.caveats
    assert list(result.cases["throughput_s"]) == [5400, 3000]


def test_lifecycle_pairs_before_1970_keep_their_processing_time():
    log = log_from_text("T1: fix 09:00, fix 09:45", start="1969-06-01")
    log["lifecycle:transition"] = ["start", "complete"]
    result = bottlenecks(log)
    fix = result.steps.set_index("step").loc["fix"]
    assert (fix["timed"], fix["median_processing_s"]) == (1, 2700)
    assert not any("without a complete" in c for c in result.caveats)


def test_start_timestamp_column_gives_the_same_as_lifecycle_pairs():
    log = log_from_text("T1: open 09:05, fix 10:30\nT2: open 09:20, fix 09:50")
    log["start_timestamp"] = pd.to_datetime(
        ["2024-01-01 09:00", "2024-01-01 09:30", "2024-01-01 09:00", "2024-01-01 09:20"], utc=True)
    result = bottlenecks(log)
    a = row(result.transitions, "open", "fix")
    assert (a["min_wait_s"], a["max_wait_s"]) == (0, 1500)
    assert result.steps.set_index("step").loc["open", "median_processing_s"] == 750
    # throughput runs from the first start to the last complete
    assert list(result.cases["throughput_s"]) == [5400, 3000]


def test_working_time_in_the_calendars_time_zone_across_weekend_and_holiday():
    # Friday 2024-01-05 08:30 UTC is 09:30 in Rome; Tuesday 09:30 UTC is 10:30 in Rome;
    # Monday 8 January is a holiday.
    log = log_from_text("T1: open 08:30, fix d4 09:30", start="2024-01-05")
    hours = {"mon-fri": "09:00-18:00"}
    rome = bottlenecks(log, calendar=Calendar(hours, holidays=["2024-01-08"],
                                              timezone="Europe/Rome"))
    utc = bottlenecks(log, calendar=Calendar(hours, holidays=["2024-01-08"], timezone="UTC"))
    # Rome: Fri 09:30-18:00 (8.5h) + Tue 09:00-10:30 (1.5h); UTC: Fri 09:00-18:00 + Tue 09:00-09:30
    assert row(rome.transitions, "open", "fix")["median_working_wait_s"] == 10 * 3600
    assert row(utc.transitions, "open", "fix")["median_working_wait_s"] == 9.5 * 3600
    assert row(rome.transitions, "open", "fix")["median_wait_s"] == 4 * 86400 + 3600
    no_holiday = bottlenecks(log, calendar=Calendar(hours, timezone="Europe/Rome"))
    assert row(no_holiday.transitions, "open", "fix")["median_working_wait_s"] == 19 * 3600


def test_targets_in_working_hours(chart):
    # Open Fri 17:00 UTC, Triage Mon 09:20 UTC: 2d 16h 20min elapsed, 20 min of work
    log = log_from_text("T1: open 17:00, Triage d3 09:20, Resolve d3 09:40", start="2024-01-05")
    cal = Calendar({"mon-fri": "09:00-17:00"})
    elapsed = bottlenecks(log, chart, calendar=cal, min_cases=1)
    working = bottlenecks(log, chart, calendar=cal, targets_in="working", min_cases=1)
    assert row(elapsed.ranking, "Open", "Triage")["breach_cases"] == 1
    assert row(working.ranking, "Open", "Triage")["breach_cases"] == 0
    assert row(working.ranking, "Open", "Triage")["median_wait_s"] == 1200
    assert working.cases["clock_s"].tolist() == [2400]


def test_clock_stopped_status_is_reported_apart_and_not_held_against_targets(chart):
    log = log_from_text("""
        T1: Opened 09:00, Wait - User 09:20, Resolve 15:00
        T2: open 09:00, Resolve 11:00
        T3: open 09:00, Resolve 09:30
    """)
    plain = bottlenecks(log, chart, min_cases=1)
    paused = bottlenecks(log, chart, min_cases=1, clock_stopped=["wait - user"])

    resolve = plain.breaches.set_index("step").loc["Resolve"]
    assert (resolve["breach_cases"], resolve["cases"]) == (2, 3)
    assert resolve["worst_cases"] == ["T1", "T2"]
    resolve = paused.breaches.set_index("step").loc["Resolve"]
    assert (resolve["breach_cases"], resolve["cases"], resolve["worst_cases"]) == (1, 3, ["T2"])
    assert resolve["total_excess_s"] == 3600

    # with the pause, T1 waited 20 min for Resolve: Opened -> Resolve, bridged
    bridged = row(paused.ranking, "Open", "Resolve")
    assert (bridged["events"], bridged["median_wait_s"], bridged["breach_cases"]) == (3, 1800, 1)
    assert sorted(zip(paused.ranking["source"], paused.ranking["target"])) == [("Open", "Resolve")]

    stopped = paused.clock_stopped.set_index("status").loc["Wait - User"]
    assert (stopped["events"], stopped["total_paused_s"]) == (1, 5 * 3600 + 40 * 60)
    assert plain.clock_stopped.empty
    # the observed transitions still show the paused status
    assert row(paused.transitions, "Wait - User", "Resolve")["clock_stopped"]

    # case target 90min: T1 takes 6h (20 min on the clock with the pause), T2 2h, T3 30 min
    case = plain.breaches.set_index("kind").loc["case"]
    assert (case["breach_cases"], case["worst_cases"]) == (2, ["T1", "T2"])
    case = paused.breaches.set_index("kind").loc["case"]
    assert (case["breach_cases"], case["worst_cases"]) == (1, ["T2"])
    assert paused.cases["clock_s"].tolist() == [1200, 7200, 1800]


def test_clock_stopped_as_pattern_and_unmatched_pattern_is_a_caveat(chart):
    log = log_from_text("T1: open 09:00, Awaiting customer 09:10, Resolve 12:00")
    result = bottlenecks(log, chart, clock_stopped=r"wait.*|awaiting .*", min_cases=1)
    assert result.options["clock_stopped"] == ["Awaiting customer"]
    none = bottlenecks(log, chart, clock_stopped="pending", min_cases=1)
    assert "clock_stopped='pending' matches no activity of the log" in none.caveats


def test_designed_flag_and_step_labels(chart):
    log = log_from_text("""
        T1: Opened 09:00, triage 09:40, resolve 10:00
        T2: open 09:00, resolve 09:10, lunch 09:20
    """)
    result = bottlenecks(log, chart, min_cases=1)
    t = result.transitions
    assert sorted(zip(t["source"], t["target"], t["designed"])) == [
        ("Open", "Resolve", False), ("Open", "Triage", True), ("Resolve", "lunch", False),
        ("Triage", "Resolve", True)]
    triage = row(result.ranking, "Open", "Triage")
    assert (triage["target_s"], triage["breach_cases"], triage["excess_wait_s"]) == (1800, 1, 600)
    # no target on lunch: its breach count is missing, not zero
    assert pd.isna(row(result.ranking, "Resolve", "lunch")["breach_cases"])
    # reference: median of designed waits (2400, 1200)
    assert result.reference_s == 1800


def test_breach_counts_and_shares(chart):
    log = log_from_text("""
        A: open 09:00, Triage 09:10, Resolve 09:20
        B: open 09:00, Triage 09:45, Resolve 11:00
        C: open 09:00, Triage 10:00, Resolve 10:30
        D: open 09:00, Triage 09:30, Resolve 09:40
    """)
    result = bottlenecks(log, chart)
    b = result.breaches.set_index("step")
    # Triage waits 10, 45, 60, 30 min against 30 min: B and C breach (30 is not beyond)
    assert (b.loc["Triage", "breach_cases"], b.loc["Triage", "cases"]) == (2, 4)
    assert b.loc["Triage", "breach_share"] == 0.5
    assert b.loc["Triage", "worst_cases"] == ["C", "B"]
    assert b.loc["Triage", "total_excess_s"] == 15 * 60 + 30 * 60
    # Resolve waits 10, 75, 30, 10 min against 1h: only B
    assert (b.loc["Resolve", "breach_cases"], b.loc["Resolve", "worst_cases"]) == (1, ["B"])
    # case target 90 min: B takes 2h
    case = result.breaches[result.breaches["kind"] == "case"].iloc[0]
    assert (case["breach_cases"], case["breach_share"], case["worst_cases"]) == (1, 0.25, ["B"])
    assert set(result.breaches["kind"]) == {"step", "case"} and len(result.breaches) == 3


def test_split_by_channel_with_exact_medians():
    log = log_from_text("""
        T1: open 09:00, close 09:10
        T2: open 09:00, close 09:30
        T3: open 09:00, close 10:00
        T4: open 09:00, close 11:00
        T5: open 09:00, close 13:00
    """)
    log["channel"] = ["phone", None, "phone", "phone", "phone", "phone",
                      "email", "email", "email", "email"]
    result = bottlenecks(log, by="channel", min_cases=2)
    assert row(result.ranking, "open", "close", channel="phone")["median_wait_s"] == 1800
    assert row(result.ranking, "open", "close", channel="email")["median_wait_s"] == 10800
    assert row(result.transitions, "open", "close", channel="phone")["cases"] == 3
    assert list(result.ranking.columns[:3]) == ["channel", "source", "target"]
    overall = result.throughput[result.throughput["variant"].isna()].set_index("channel")
    assert overall.loc["email", "median_throughput_s"] == 10800
    assert overall.loc["phone", "cases"] == 3


def test_split_by_week():
    log = log_from_text("""
        T1: open 09:00, close 10:00
        T2: open d7 09:00, close d7 09:30
        T3: open d8 09:00, close d8 11:00
    """)
    result = bottlenecks(log, period="W", min_cases=1)
    medians = dict(zip(result.transitions["period"], result.transitions["median_wait_s"]))
    assert medians == {"2024-01-01": 3600, "2024-01-08": 4500}


def test_bad_choices_and_missing_columns_are_config_errors():
    log = log_from_text("T1: open, close")
    with pytest.raises(ConfigError) as err:
        bottlenecks(log, by="team")
    assert str(err.value) == ("bottlenecks(): by='team' needs column 'org:group', which the "
                              "events lack (columns are 'case:concept:name', 'concept:name', "
                              "'time:timestamp')")
    with pytest.raises(ConfigError, match=r"period must be one of 'D', 'W', 'M'; got 'Y'"):
        bottlenecks(log, period="Y")
    with pytest.raises(ConfigError, match=r"targets_in must be one of 'calendar', 'working'"):
        bottlenecks(log, targets_in="business")
    with pytest.raises(ConfigError, match=r"targets_in='working' needs a calendar"):
        bottlenecks(log, targets_in="working")
    with pytest.raises(ConfigError, match=r"tables have 2 cases but the log has 1"):
        bottlenecks(log, tables=tables(log_from_text("A: x\nB: y")))


def test_one_extreme_wait_or_a_rare_transition_does_not_top_the_ranking():
    lines = []
    for i in range(20):
        late = "d1000 " if i == 0 else ""
        close = "d1000 12:10" if i == 0 else ("10:10" if i < 10 else "12:10")
        lines.append(f"C{i}: a 09:00, b {late}09:10, c {close}")
    lines.append("R1: a 09:00, x 09:01")
    lines.append("R2: a 09:00, x d500 09:00")
    log = log_from_text("\n".join(lines))
    result = bottlenecks(log)
    assert result.options["min_cases"] == 2
    # 42 waits: 60 s, 19 x 10 min, 9 x 1h, 11 x 3h and two absurd ones; median 1h
    assert result.reference_s == 3600
    top = result.ranking.iloc[0]
    assert (top["source"], top["target"]) == ("b", "c")
    # b -> c is capped at its lower 90th percentile (3h): 11 waits of 2h above normal
    assert top["excess_wait_s"] == 11 * (3 * 3600 - 3600)
    assert row(result.ranking, "a", "b")["excess_wait_s"] == 0
    assert row(result.ranking, "a", "x")["excess_wait_s"] == 0
    # the absurd waits still count in the totals
    assert row(result.ranking, "a", "b")["total_wait_s"] == 19 * 600 + 1000 * 86400 + 600
    strict = bottlenecks(log, min_cases=3)
    assert ("a", "x") not in set(zip(strict.ranking["source"], strict.ranking["target"]))
    assert "1 transition taken by fewer than 3 cases is left out of the ranking (all " \
           "transitions: Bottlenecks.transitions, or the bottlenecks command's --format " \
           "json)" in strict.caveats


def test_wait_share_sums_to_one_over_all_transitions():
    log = log_from_text("T1: a 09:00, b 09:30, c 10:30\nT2: a 09:00, b 10:00, c 10:00")
    result = bottlenecks(log, min_cases=1)
    shares = dict(zip(result.ranking["source"], result.ranking["wait_share"]))
    assert shares == {"a": pytest.approx(90 / 150), "b": pytest.approx(60 / 150)}


def test_result_displays_and_round_trips_json(chart):
    log = log_from_text("T1: open 09:00, Triage 10:00, <b>x</b> 11:00")
    result = bottlenecks(log, chart, min_cases=1)
    assert isinstance(result, Bottlenecks)
    assert "\n" not in repr(result)
    assert repr(result).startswith("<Bottlenecks: 1 cases, 2 transitions ranked; worst Open -> ")
    assert "<b>x</b>" not in result._repr_html_() and "&lt;b&gt;x&lt;/b&gt;" in result._repr_html_()
    text = str(result)
    assert "Open -> Triage" in text and "Time targets:" in text
    doc = json.loads(json.dumps(result.to_dict()))
    assert doc["schema_version"] == 1
    assert [list(b) for b in doc["bottlenecks"]] == [RANKING_COLUMNS] * 2
    first = doc["bottlenecks"][0]
    assert (first["source"], first["target"], first["target_s"], first["breach_cases"]) == \
        ("Open", "Triage", 1800.0, 1)
    no_target = doc["bottlenecks"][1]
    assert no_target["target_s"] is None and no_target["breach_cases"] is None


def test_plots_draw_ranked_bars_and_the_case_target(chart):
    import matplotlib.pyplot as plt

    log = log_from_text("""
        A: open 09:00, Triage 10:00, Resolve 12:00
        B: open 09:00, Triage 09:10, Resolve 09:20
    """)
    result = bottlenecks(log, chart, min_cases=1)
    ax = result.plot_waits()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == result.ranking["source"].iloc[0] + " → " + \
        result.ranking["target"].iloc[0] + "  (target 1h)"
    assert len(ax.patches) == len(result.ranking)
    plt.close(ax.figure)
    ax = result.plot_throughput()
    assert ax.lines[0].get_xdata()[0] == pytest.approx(90 * 60 / 86400)
    plt.close(ax.figure)


def test_tables_from_compare_are_reused(chart):
    from cs_mining.compare import compare

    log = log_from_text("T1: open 09:00, Triage 10:00, Resolve 10:30\nT2: open 09:00, Resolve 12:00")
    comparison = compare(log, chart)
    result = bottlenecks(log, chart, tables=comparison.flow.tables, min_cases=1)
    assert result.cases["variant"].tolist() == comparison.flow.tables.cases["variant"].tolist()
    assert row(result.ranking, "Open", "Triage")["breach_cases"] == 1
    assert row(result.ranking, "Open", "Resolve")["breach_cases"] == 1


def test_tables_of_another_log_are_refused_and_case_order_does_not_matter():
    log = log_from_text("T1: open 09:00, close 10:00\nT2: open 09:00, fix 09:30, close 11:00")
    with pytest.raises(ConfigError, match=r"case 'T1' is not in the tables"):
        bottlenecks(log, tables=tables(log_from_text("A: open\nT2: open, close")))
    # the same cases listed the other way round: each case keeps its own variant
    flipped = tables(log.iloc[[2, 3, 4, 0, 1]].reset_index(drop=True))
    result = bottlenecks(log, tables=flipped, min_cases=1)
    variant = dict(zip(flipped.cases["case_id"], flipped.cases["variant"]))
    assert result.cases["variant"].tolist() == [variant["T1"], variant["T2"]]


def test_segment_that_varies_within_a_case_follows_the_event_waited_for():
    log = log_from_text("""
        T1: log 09:00, fix 10:00, close 10:30
        T2: log 09:00, fix 09:20, close 11:20
    """)
    log["org:group"] = ["desk", "field", "desk", "desk", "field", "desk"]
    result = bottlenecks(log, by="team", min_cases=1)
    t = result.transitions
    assert row(t, "log", "fix", **{"org:group": "field"})["median_wait_s"] == (3600 + 1200) / 2
    assert row(t, "fix", "close", **{"org:group": "desk"})["total_wait_s"] == 1800 + 7200
    assert result.cases["org:group"].tolist() == ["desk", "desk"]
    steps = result.steps.set_index(["org:group", "step"])["events"].to_dict()
    assert steps == {("desk", "log"): 2, ("field", "fix"): 2, ("desk", "close"): 2}


def test_statistics_agree_with_a_plain_groupby_on_a_random_log():
    rng = np.random.default_rng(7)
    lines = []
    for i in range(300):
        n = int(rng.integers(1, 7))
        acts = rng.choice(["open", "triage", "fix", "wait", "close"], size=n)
        minutes = np.cumsum(rng.integers(0, 3000, size=n))
        lines.append(f"C{i}: " + ", ".join(f"{a} d{m // 1440} {m % 1440 // 60:02d}:{m % 60:02d}"
                                           for a, m in zip(acts, minutes)))
    log = log_from_text("\n".join(lines))
    channel = {f"C{i}": ["phone", "mail", "chat"][i % 3] for i in range(300)}
    log["channel"] = log["case:concept:name"].map(channel)
    result = bottlenecks(log, by="channel", min_cases=1)

    # oracle: the directly-follows pairs of discover.tables, grouped by pandas
    pairs = tables(log).transitions.assign(channel=lambda t: t["case_id"].map(channel))
    g = pairs.groupby(["channel", "source", "target"])
    expected = pd.DataFrame({"events": g.size(), "cases": g["case_id"].nunique(),
                             "mean": g["wait_s"].mean(), "median": g["wait_s"].median(),
                             "p90": g["wait_s"].quantile(0.9), "min": g["wait_s"].min(),
                             "max": g["wait_s"].max(), "total": g["wait_s"].sum()})
    ours = result.transitions.set_index(["channel", "source", "target"]).rename(
        columns=lambda c: c.removesuffix("_wait_s"))
    ours = ours.loc[expected.index, expected.columns]
    pd.testing.assert_frame_equal(ours, expected, check_dtype=False, check_names=False)
    ranked = result.ranking.set_index(["channel", "source", "target"])
    assert ranked["median_wait_s"].to_dict() == pytest.approx(expected["median"].to_dict())
    assert ranked["cases"].to_dict() == expected["cases"].to_dict()
    cases = pairs.groupby("case_id")["wait_s"].sum()
    assert result.cases.set_index("case_id")["throughput_s"].loc[cases.index].tolist() == \
        pytest.approx(cases.tolist())


def test_summary_shows_totals_beyond_a_year_in_years():
    log = log_from_text("""
        T1: a 09:00, b 09:10, c d400 09:10
        T2: a 09:00, b 09:10, c d400 09:10
        T3: a 09:00, b 09:10, c d400 09:10
    """)
    result = bottlenecks(log, min_cases=1)
    # normal wait: the median of three waits of 10 min and three of 400 days
    reference = (600 + 400 * 86400) / 2
    assert result.reference_s == reference
    excess = row(result.ranking, "b", "c")["excess_wait_s"]
    assert excess == 3 * (400 * 86400 - reference)          # 600 days: 1.64 years
    assert "1.6 years" in str(result) and repr(result).endswith("(excess 1.6 years)>")


def test_working_clock_summary_writes_working_hours_not_days():
    from cs_mining.calendar import Calendar

    # Mon 2024-01-01 09:00 -> Wed 10:00 with 09:00-17:00 hours: 8 + 8 + 1 = 17 working hours.
    log = log_from_text("T1: A 09:00, B d2 10:00\nT2: A 09:00, B d2 10:00")
    text = str(bottlenecks(log, min_cases=1, calendar=Calendar({"mon-fri": "09:00-17:00"}),
                           targets_in="working"))
    assert "A -> B" in text and " 17h " in text
    assert "working hours (a '2d' target is 48 working hours)" in text


def test_rare_breaches_of_a_target_still_count_as_excess():
    # 19 cases wait 10 min before B, one waits 3 h; B's target is 1 h.  The 90th
    # percentile (10 min) would erase the breach; with the cap at twice the
    # target the breach counts min(3 h, 2 h) - 1 h = 1 h.
    chart = (FlowchartBuilder("T").start("s").step("a", "A").step("b", "B", wait_target="1h")
             .end("e").chain("s", "a", "b", "e").build())
    lines = [f"T{i}: A 09:00, B 09:10" for i in range(19)] + ["T19: A 09:00, B 12:00"]
    row = bottlenecks(log_from_text("\n".join(lines)), chart).ranking.iloc[0]
    assert (row.source, row.target, row.breach_cases) == ("A", "B", 1)
    assert row.excess_wait_s == 3600.0


def test_self_loop_is_not_judged_against_the_steps_wait_target(chart):
    # Triage's target is 30 min.  T1 records Triage twice, 70 min apart (as two
    # activities of the same step): time in Triage, not a wait for it.  The real
    # waits into Triage (20 and 10 min) are within target.  open -> Opened is a
    # self-loop of a step without a target.
    log = log_from_text("""
        T1: open 09:00, Triage 09:20, triage 10:30, Resolve 10:50
        T2: open 09:00, Opened 09:05, Triage 09:15, Resolve 09:45
    """)
    result = bottlenecks(log, chart, min_cases=1)
    b = result.breaches.set_index("step")
    assert (b.loc["Triage", "cases"], b.loc["Triage", "events"]) == (2, 2)
    assert (b.loc["Triage", "breach_events"], b.loc["Triage", "breach_cases"]) == (0, 0)
    assert b.loc["Triage", "total_excess_s"] == 0 and b.loc["Triage", "worst_cases"] == []
    assert b.loc["Triage", "breach_share"] == 0 and b.loc["Triage", "target_s"] == 1800
    real = row(result.ranking, "Open", "Triage")
    assert (real["events"], real["target_s"], real["breach_cases"]) == (2, 1800, 0)
    assert real["excess_wait_s"] == 0 and real["median_wait_s"] == 900
    # The self-loop keeps its wait and ranks like a transition without a target:
    # above the normal wait, the median of the designed waits 1200, 1200, 600, 1800.
    assert result.reference_s == 1200
    loop = row(result.ranking, "Triage", "Triage")
    assert (loop["events"], loop["median_wait_s"]) == (1, 4200)
    assert pd.isna(loop["target_s"]) and pd.isna(loop["breach_cases"])
    assert loop["excess_wait_s"] == 4200 - 1200
    assert row(result.transitions, "Triage", "Triage")["total_wait_s"] == 4200
    entry = [e for e in result.to_dict()["bottlenecks"]
             if (e["source"], e["target"]) == ("Triage", "Triage")]
    assert entry[0]["target_s"] is None and entry[0]["breach_cases"] is None
    assert ("1 wait between repeated records of the same step (such as Triage -> Triage) is "
            "not judged against wait targets") in result.caveats
    assert not any("Open -> Open" in c for c in result.caveats)
    assert not any("repeated records" in c for c in bottlenecks(log, min_cases=1).caveats)


def test_self_loops_and_real_waits_both_breaching_are_counted_apart(chart):
    # Waits into Triage (target 30 min): T1 60 min, T2 10 min, T3 45 min; the
    # repeats Triage -> Triage (60, 40 and 50 min) breach too but do not count.
    log = log_from_text("""
        T1: open 09:00, Triage 10:00, Triage 11:00, Resolve 11:10
        T2: open 09:00, Triage 09:10, Triage 09:50, Triage 10:40, Resolve 10:50
        T3: open 09:00, Triage 09:45, Resolve 10:00
    """)
    result = bottlenecks(log, chart, min_cases=1)
    t = result.breaches.set_index("step").loc["Triage"]
    assert (t["cases"], t["events"], t["breach_events"], t["breach_cases"]) == (3, 3, 2, 2)
    assert t["breach_share"] == pytest.approx(2 / 3)
    assert t["total_excess_s"] == 30 * 60 + 15 * 60
    assert t["worst_cases"] == ["T1", "T3"]
    real = row(result.ranking, "Open", "Triage")
    # cap: max(lower p90 of 600, 2700, 3600 = 2700, twice the target) = 3600
    assert (real["breach_cases"], real["excess_wait_s"]) == (2, (3600 - 1800) + (2700 - 1800))
    loop = row(result.ranking, "Triage", "Triage")
    assert (loop["events"], loop["cases"], loop["median_wait_s"]) == (3, 2, 3000)
    assert pd.isna(loop["breach_cases"])
    resolve = result.breaches.set_index("step").loc["Resolve"]
    assert (resolve["events"], resolve["breach_cases"]) == (3, 0)
    assert ("3 waits between repeated records of the same step (such as Triage -> Triage) are "
            "not judged against wait targets") in result.caveats


def test_target_on_a_step_reached_only_from_itself_cannot_be_checked():
    chart = (FlowchartBuilder("T").start("s").step("a", "A", wait_target="1h").step("b", "B")
             .end("e").chain("s", "a", "b", "e").build())
    result = bottlenecks(log_from_text("T1: A 09:00, A 12:00, B 12:10"), chart, min_cases=1)
    a = result.breaches.set_index("step").loc["A"]
    assert (a["cases"], a["events"], a["breach_cases"]) == (0, 0, 0)
    assert "wait target of 'A' cannot be checked: no case has an event of another step " \
           "before it" in result.caveats
