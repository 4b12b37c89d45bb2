"""load_log on the real logs in ../shared/datasets/real: counts from SOURCES.md, pm4py as oracle."""

import warnings
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from cs_mining.load import load_log

REAL = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "real"
pytestmark = [
    pytest.mark.skipif(not REAL.exists(), reason="real logs not found at ../shared/datasets/real"),
    pytest.mark.filterwarnings("ignore::cs_mining.errors.CsMiningWarning"),
]


def variants(events):
    return events.groupby("case:concept:name", sort=False)["concept:name"].agg(tuple).nunique()


def counts(log):
    e = log.events
    return (len(e), e["case:concept:name"].nunique(), e["concept:name"].nunique(), variants(e))


def triples(events):
    return Counter(zip(events["case:concept:name"].astype(str), events["concept:name"].astype(str),
                       events["time:timestamp"].dt.tz_convert("UTC").dt.as_unit("us")))


def read_xes_with_pm4py(path, activity=("concept:name",)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
        frame = pm4py.read_xes(str(path), show_progress_bar=False)
    frame["concept:name"] = frame[list(activity)].astype(str).agg("+".join, axis=1)
    return frame


def test_helpdesk_csv():
    log = load_log(REAL / "helpdesk_finale.csv")
    assert counts(log) == (21_348, 4_580, 14, 226)
    assert log.report.duplicate_rows == 127
    assert log.report.rows_read == 21_348 and log.report.rows_rejected == 0
    assert "129 cases have events with equal timestamps: file order breaks ties" in \
        log.report.warnings


def test_helpdesk_xes_agrees_with_pm4py_and_the_csv():
    log = load_log(REAL / "helpdesk.xes.gz")
    assert counts(log) == (21_348, 4_580, 14, 226)
    assert triples(log.events) == triples(read_xes_with_pm4py(REAL / "helpdesk.xes.gz"))
    from_csv = load_log(REAL / "helpdesk_finale.csv").events
    assert triples(log.events) == triples(from_csv)


def test_bpic2013_xes_with_the_declared_classifier():
    log = load_log(REAL / "bpic2013_incidents.xes.gz",
                   activity_column="concept:name+lifecycle:transition")
    assert counts(log) == (65_533, 7_554, 13, 2_278)
    assert log.events["concept:name"].value_counts()["Accepted+In Progress"] == 30_239
    assert "lifecycle:transition" not in log.events.columns
    assert any("not XES transitions" in w for w in log.report.warnings)
    oracle = read_xes_with_pm4py(REAL / "bpic2013_incidents.xes.gz",
                                 activity=("concept:name", "lifecycle:transition"))
    assert triples(log.events) == triples(oracle)
    # same instants as the CSV re-export with +01:00 offsets (BOM, CRLF)
    csv = load_log(REAL / "bpic2013_incidents_vinst_ibm.csv.gz").events
    assert counts(load_log(REAL / "bpic2013_incidents_vinst_ibm.csv.gz")) == (65_533, 7_554, 13,
                                                                              2_278)
    pairs = lambda e: Counter(zip(e["case:concept:name"], e["time:timestamp"]))  # noqa: E731
    assert pairs(csv) == pairs(log.events)


def test_uci_incident_log_dayfirst_with_question_marks():
    log = load_log(REAL / "incident_event_log_uci498.csv.gz", dayfirst=True)
    assert counts(log) == (141_712, 24_918, 9, 2_080)
    assert log.report.mapping["time:timestamp"] == "sys_updated_at"
    assert log.events["concept:name"].value_counts()["-100"] == 5
    assert log.events["org:resource"].isna().sum() > 0  # '?' read as missing
    first = log.events[log.events["case:concept:name"] == "INC0000045"]["time:timestamp"].iloc[0]
    assert first == pd.Timestamp("2016-02-29 01:23", tz="UTC")


def test_tax2017_helpdesk():
    log = load_log(REAL / "helpdesk_tax2017_preprocessed.csv")
    assert counts(log) == (13_710, 3_804, 9, 154)
    assert log.report.mapping == {"case:concept:name": "CaseID", "concept:name": "ActivityID",
                                  "time:timestamp": "CompleteTimestamp"}
