"""improvement_areas(): deviations and bottlenecks ranked by the customer time at stake."""

import json

import jsonschema

from cs_mining import compare, improvement_areas
from cs_mining.flowchart import FlowchartBuilder
from cs_mining.report.json import SCHEMA_PATH
from cs_mining.testing import log_from_text


def chart():
    return (FlowchartBuilder("T").start("s").step("a", "Open").step("b", "Solve", wait_target="1h")
            .step("c", "Close").end("e").chain("s", "a", "b", "c", "e").build())


LOG = """
    T1: Open 09:00, Solve 09:10, Close 09:20
    T2: Open 09:00, Solve 09:20, Close 09:30
    T3: Open 09:00, Solve 12:00, Close 12:10
    T4: Open 09:00, Close 09:05
    T5: Open 09:00, Solve 09:10, Solve 11:00, Close 11:10
"""


def test_areas_are_ranked_by_time_at_stake():
    result = compare(log_from_text(LOG), chart())
    areas = improvement_areas(result, top=None)
    by_where = areas.set_index("where")
    # Conforming T1, T2, T3 take 20, 30, 190 min: median 30 min.
    # T5 (rework) takes 130 min: +100 min x 1 case.
    assert by_where.loc["Solve again (after Solve)", "impact_s"] == 100 * 60
    # T4 (skip) takes 5 min: faster, listed with no time at stake.
    assert by_where.loc["Solve (between Open -> Close)", "impact_s"] == 0
    # A bottleneck's time at stake is its excess wait (tested in test_bottlenecks).
    expected = {b["source"] + " -> " + b["target"]: b["excess_wait_s"]
                for b in result.bottleneck_table if b["excess_wait_s"] > 0}
    for where, excess in expected.items():
        assert by_where.loc[where, "impact_s"] == excess
    assert areas["impact_s"].is_monotonic_decreasing
    assert areas["rank"].tolist() == list(range(1, len(areas) + 1))


def test_areas_appear_in_json_per_schema():
    result = compare(log_from_text(LOG), chart())
    document = json.loads(result.to_json())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert [a["where"] for a in document["improvement_areas"]] == \
        improvement_areas(result, top=None)["where"].tolist()
