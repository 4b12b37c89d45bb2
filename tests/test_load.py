"""Tests of cs_mining.load: reading, mapping, rejecting and reporting."""

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cs_mining.errors import CsMiningWarning, LogError
from cs_mining.load import LoadedLog, LoadReport, as_events, load_log

DATA = Path(__file__).parent / "data" / "load"
MAPPED = ["case:concept:name", "concept:name", "time:timestamp", "org:resource"]
SMALL = [  # small.csv by hand, sorted by case then time
    ("T1", "open", "2024-01-01 09:00:00", "ann"),
    ("T1", "triage", "2024-01-01 09:05:00", "bob"),
    ("T1", "close", "2024-01-01 10:00:00", "bob"),
    ("T2", "open", "2024-01-01 09:30:00", "ann"),
    ("T2", "close", "2024-01-01 11:00:00", "cid"),
]

pytestmark = pytest.mark.filterwarnings("ignore::cs_mining.errors.CsMiningWarning")


def load(name, **kwargs):
    return load_log(DATA / name, **kwargs)


def rows(events, columns=("case:concept:name", "concept:name", "time:timestamp")):
    out = events[list(columns)].copy()
    out["time:timestamp"] = out["time:timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return [tuple(r) for r in out.itertuples(index=False)]


def message(exc_info):
    return str(exc_info.value)


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("name, text", [
    ("empty.csv", "file is empty"),
    ("header_only.csv", "has a header but no data rows"),
    ("missing_column.csv", "no activity column found; columns are 'Ticket', 'Step', 'When' "
                           "(use --activity-column)"),
    ("hostile.xes", "refusing XML with a DOCTYPE or ENTITY declaration (entity expansion is "
                    "unsafe); remove it and retry"),
    ("no_such_file.csv", "file not found"),
])
def test_unreadable_files_raise_one_line(name, text):
    with pytest.raises(LogError) as info:
        load(name)
    assert message(info) == f"{DATA / name}: {text}"
    assert "\n" not in message(info)


def test_missing_timestamp_column_names_the_columns_and_the_flag():
    with pytest.raises(LogError) as info:
        load("missing_column.csv", case_column="Ticket", activity_column="Step")
    assert message(info) == (f"{DATA / 'missing_column.csv'}: no timestamp column found; columns "
                             "are 'Ticket', 'Step', 'When' (use --timestamp-column)")


def test_named_column_that_does_not_exist_suggests_the_nearest():
    with pytest.raises(LogError) as info:
        load("missing_column.csv", case_column="Ticket", activity_column="Step",
             timestamp_column="when")
    assert message(info) == (f"{DATA / 'missing_column.csv'}: timestamp column 'when' not found; "
                             "did you mean 'When'? (--timestamp-column)")
    assert info.value.column == "when"


def test_named_column_without_a_near_name_lists_the_columns():
    with pytest.raises(LogError) as info:
        load("missing_column.csv", case_column="Ticket", activity_column="Zzz")
    assert message(info).endswith("activity column 'Zzz' not found; columns are 'Ticket', "
                                  "'Step', 'When' (--activity-column)")


def test_wrong_encoding_names_the_byte_and_suggests_one():
    with pytest.raises(LogError) as info:
        load("cp1252.csv")
    # "ticket_id,status,timestamp,agent\n" is 33 bytes, "T1,R" 4 more: the é is byte 37
    assert message(info) == (f"{DATA / 'cp1252.csv'}: not valid UTF-8 at byte 37 "
                             "(try --encoding cp1252)")


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00rest")
    with pytest.raises(LogError) as info:
        load_log(path)
    assert message(info) == (f"{path}: not a text file (NUL byte at byte 4); save it as CSV, "
                             "Parquet or XES")


def test_malformed_xes_gives_the_line():
    with pytest.raises(LogError) as info:
        load("malformed.xes")
    assert message(info).startswith(f"{DATA / 'malformed.xes'}:12: malformed XES (")
    assert info.value.row == 12


def test_all_rows_rejected_gives_counts_and_first_bad_value(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("case_id,activity,timestamp\nT1,a,soon\nT2,b,\nT3,c,later\n",
                    encoding="utf-8")
    with pytest.raises(LogError) as info:
        load_log(path)
    assert message(info) == (f"{path}: no usable rows: all 3 rows rejected (missing_timestamp 1, "
                             "unparsable_timestamp 2; first at row 2, column 'timestamp' = 'soon')")


# --------------------------------------------------------------------------- rejected rows

def test_bad_rows_are_set_aside_with_line_and_reason():
    log = load("bad_rows.csv")
    report = log.report
    assert (report.rows_read, report.events_kept, report.rows_rejected) == (8, 2, 6)
    rejected = report.rejected
    assert rejected["row"].tolist() == [3, 4, 5, 6, 7, 8]
    assert rejected["reason"].tolist() == [
        "missing_case_id", "missing_activity", "missing_timestamp", "unparsable_timestamp",
        "malformed_row", "malformed_row"]
    assert rejected.loc[3, "timestamp"] == "yesterday"
    assert rejected.loc[4].tolist()[:4] == ["T5", "open", "2024-01-01 09:03:00", "ann,extra"]
    assert rejected.loc[5, "case_id"] == "T6" and rejected.loc[5, "agent"] is None
    assert rows(log.events) == [("T1", "open", "2024-01-01 09:00:00"),
                                ("T1", "close", "2024-01-01 10:00:00")]
    assert report.rejected_by_reason == {
        "malformed_row": 2, "missing_case_id": 1, "missing_activity": 1,
        "missing_timestamp": 1, "unparsable_timestamp": 1, "unparsable_start_timestamp": 0,
        "duplicate": 0}


def test_rejected_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('case_id,activity,timestamp,note\n'
                    'T1,open,2024-01-01 09:00,"two\nlines"\n'
                    '\n'
                    'T1,close,never,x\n'
                    'T2,open,2024-01-01 09:00,y,z\n', encoding="utf-8")
    report = load_log(path).report
    assert report.rejected[["row", "reason"]].values.tolist() == [
        [5, "unparsable_timestamp"], [6, "malformed_row"]]


def test_write_rejected_round_trips(tmp_path):
    report = load("bad_rows.csv").report
    out = report.write_rejected(tmp_path / "rejected.csv")
    back = pd.read_csv(out, dtype=str)
    assert back["reason"].tolist() == report.rejected["reason"].tolist()
    assert list(back.columns) == ["case_id", "activity", "timestamp", "agent", "row", "reason"]


def test_duplicates_are_counted_and_kept():
    log = load("duplicates.csv")
    assert log.report.duplicate_rows == 2
    assert log.report.events_kept == 4 and log.report.rows_rejected == 0


def test_duplicates_dropped_go_to_rejected():
    log = load("duplicates.csv", drop_duplicates=True)
    assert log.report.events_kept == 2
    assert log.report.rejected[["row", "reason"]].values.tolist() == [
        [3, "duplicate"], [5, "duplicate"]]
    assert rows(log.events) == [("T1", "open", "2024-01-01 09:00:00"),
                                ("T1", "close", "2024-01-01 10:00:00")]


CELLS = st.sampled_from(["T1", "T2", "", "open", "2024-01-01 09:00", "2024-13-45 99:00",
                         "junk", "?", " ", "2024-02-03T10:00:00+01:00", "x,y"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CELLS, CELLS, CELLS), min_size=1, max_size=12))
def test_rows_read_equal_kept_plus_rejected(tmp_path, table):
    path = tmp_path / "p.csv"
    lines = ["case_id,activity,timestamp"] + [",".join(r) for r in table]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    nonblank = [ln for ln in lines[1:] if ln.strip()]
    try:
        log = load_log(path)
    except LogError as exc:
        assert "rejected" in str(exc) or "no data rows" in str(exc)
        return
    report = log.report
    assert report.rows_read == len(nonblank)
    assert report.rows_read == report.events_kept + report.rows_rejected
    assert len(log.events) == report.events_kept
    assert sum(report.rejected_by_reason.values()) == report.rows_rejected
    malformed = sum(1 for ln in nonblank if ln.count(",") != 2)
    assert report.rejected_by_reason["malformed_row"] == malformed


# --------------------------------------------------------------------------- sources agree

def test_csv_parquet_xes_and_dataframe_give_equal_events(tmp_path):
    from_csv = load("small.csv").events[MAPPED]
    frame = pd.read_csv(DATA / "small.csv", dtype=str)
    frame.to_parquet(tmp_path / "small.parquet")
    from_parquet = load_log(tmp_path / "small.parquet").events[MAPPED]
    from_xes = load("small.xes").events[MAPPED]
    from_frame = load_log(frame).events[MAPPED]
    assert rows(from_csv, MAPPED) == SMALL
    for other in (from_parquet, from_xes, from_frame):
        pd.testing.assert_frame_equal(other, from_csv)


@pytest.mark.parametrize("name", ["bom.csv", "semicolon.csv"])
def test_bom_and_semicolons_read_like_plain_csv(name):
    log = load(name)
    assert rows(log.events, MAPPED) == SMALL
    assert log.report.mapping["case:concept:name"] == "Case ID"


def test_cp1252_with_encoding():
    log = load("cp1252.csv", encoding="cp1252")
    assert log.events["concept:name"].tolist() == ["Résolu", "Clôturé"]
    assert log.events["org:resource"].tolist() == ["Zoë", "François"]


def test_names_in_any_script_pass_unchanged():
    events = load("tamil_telugu_latvian.csv").events
    assert sorted(events["case:concept:name"]) == sorted(["டிக்கெட்-1", "డి-2", "LV-3"])
    assert set(events["concept:name"]) == {"புதிய", "కొత్త", "Aizvērts"}
    assert set(events["org:resource"]) == {"Jānis Bērziņš", "రాము", "Līga Ozoliņa"}


# --------------------------------------------------------------------------- mapping

@pytest.mark.parametrize("case, activity, time", [
    ("case:concept:name", "concept:name", "time:timestamp"),
    ("Case ID", "Activity", "Complete Timestamp"),
    ("CaseID", "ActivityID", "CompleteTimestamp"),
    ("case_id", "activity", "timestamp"),
    ("ticket_id", "status", "sys_updated_at"),
    ("incident_id", "incident_state", "Change Date+Time"),
    ("number", "Activity", "timestamp"),
    ("SR Number", "status", "Change Date+Time"),
    ("CASE_ID", "ACTIVITY", "TIME_STAMP"),
])
def test_common_names_are_detected(case, activity, time):
    frame = pd.DataFrame({"other": ["x"], case: ["T1"], activity: ["open"],
                          time: ["2024-01-01 09:00"]})
    report = load_log(frame).report
    assert report.mapping == {"case:concept:name": case, "concept:name": activity,
                              "time:timestamp": time}
    assert report.detected == ["case:concept:name", "concept:name", "time:timestamp"]


@pytest.mark.parametrize("column, output", [
    ("org:resource", "org:resource"), ("agent", "org:resource"),
    ("assigned_to", "org:resource"), ("org:group", "org:group"), ("team", "org:group"),
    ("assignment_group", "org:group"), ("channel", "channel"), ("contact_type", "channel"),
    ("priority", "priority"), ("csat", "satisfaction"), ("customer", "customer"),
])
def test_optional_columns_are_detected_and_renamed(column, output):
    frame = pd.DataFrame({"case_id": ["T1"], "activity": ["a"],
                          "timestamp": ["2024-01-01 09:00"], column: ["v"]})
    log = load_log(frame)
    assert log.report.mapping[output] == column
    assert list(log.events.columns) == ["case:concept:name", "concept:name",
                                        "time:timestamp", output]


def test_optional_column_can_be_switched_off():
    frame = pd.DataFrame({"case_id": ["T1"], "activity": ["a"],
                          "timestamp": ["2024-01-01 09:00"], "channel": ["phone"]})
    log = load_log(frame, channel_column=False)
    assert "channel" not in log.report.mapping
    assert list(log.events.columns)[-1] == "channel_original"


def test_combined_activity_joins_with_plus():
    frame = pd.DataFrame({"case_id": ["T1", "T1", "T1"], "Status": ["Accepted", "Completed", None],
                          "Sub": ["In Progress", "Closed", "x"],
                          "timestamp": ["2024-01-01 09:00", "2024-01-01 10:00",
                                        "2024-01-01 11:00"]})
    log = load_log(frame, activity_column="Status+Sub")
    assert log.events["concept:name"].tolist() == ["Accepted+In Progress", "Completed+Closed"]
    assert log.report.rejected["reason"].tolist() == ["missing_activity"]
    assert log.report.mapping["concept:name"] == "Status+Sub"


def test_column_name_containing_plus_is_not_split():
    frame = pd.DataFrame({"id": ["T1"], "activity": ["a"], "Change Date+Time": ["2024-01-01"]})
    log = load_log(frame, case_column="id", timestamp_column="Change Date+Time")
    assert log.report.mapping["time:timestamp"] == "Change Date+Time"


def test_sub_status_in_a_combined_activity_is_not_lifecycle():
    log = load("sub_status.csv", activity_column="Status+lifecycle:transition")
    assert log.events["concept:name"].tolist() == ["Accepted+In Progress", "Completed+Closed"]
    assert "lifecycle:transition" not in log.events.columns
    assert log.report.warnings[0].endswith(
        ": used only in 'Status+lifecycle:transition', not as lifecycle")


def test_standard_lifecycle_is_mapped():
    log = load("lifecycle.csv")
    assert log.report.mapping["lifecycle:transition"] == "lifecycle:transition"
    assert log.events["lifecycle:transition"].tolist() == ["start", "complete"]
    assert log.report.warnings == []


def test_non_standard_lifecycle_is_reported_and_not_used():
    with pytest.warns(CsMiningWarning, match="not XES transitions"):
        log = load("sub_status.csv")
    assert "lifecycle:transition" not in log.report.mapping
    assert "lifecycle:transition" not in log.events.columns
    assert log.events["lifecycle:transition_original"].tolist() == ["In Progress", "Closed"]
    assert log.report.warnings == [
        "lifecycle column 'lifecycle:transition' holds values that are not XES transitions "
        "(e.g. 'Closed', 'In Progress'): kept as a plain column, not as lifecycle"]


# --------------------------------------------------------------------------- time

def test_mixed_offsets_become_the_right_utc_instants():
    events = load("mixed_offsets.csv").events
    # 01:30+01:00 = 00:30Z; 03:30+02:00 = 01:30Z; 02:00Z; 00:15-05:00 = 05:15Z
    assert rows(events) == [("T1", "open", "2016-03-27 00:30:00"),
                            ("T1", "triage", "2016-03-27 01:30:00"),
                            ("T1", "close", "2016-03-27 02:00:00"),
                            ("T2", "open", "2016-03-27 05:15:00")]
    assert str(events["time:timestamp"].dt.tz) == "UTC"


def test_dayfirst():
    events = load("dayfirst.csv", dayfirst=True).events
    assert [r[2] for r in rows(events)] == ["2016-02-29 01:16:00", "2016-03-01 09:05:00",
                                            "2016-03-12 23:59:00"]


def test_explicit_format():
    frame = pd.DataFrame({"case_id": ["T1"], "activity": ["a"], "timestamp": ["03.01.2024 7h05"]})
    events = load_log(frame, timestamp_format="%d.%m.%Y %Hh%M").events
    assert rows(events)[0][2] == "2024-01-03 07:05:00"


def test_naive_times_are_localised_in_the_given_timezone():
    frame = pd.DataFrame({"case_id": ["T1", "T1", "T1"], "activity": ["a", "b", "c"],
                          "timestamp": ["2024-01-15 09:00", "2024-07-15 09:00",
                                        "2024-07-15T09:00:00+00:00"]})
    events = load_log(frame, timezone="Europe/Rome").events
    # Rome is UTC+1 in January, UTC+2 in July; an explicit offset is kept
    assert [r[2] for r in rows(events)] == ["2024-01-15 08:00:00", "2024-07-15 07:00:00",
                                            "2024-07-15 09:00:00"]


def test_ties_keep_file_order():
    log = load("ties.csv")
    assert [r[1] for r in rows(log.events)] == ["c", "b", "a", "a", "z"]
    assert list(log.events.index) == [0, 1, 2, 3, 4]
    assert "1 case has events with equal timestamps: file order breaks ties" in \
        log.report.warnings


# --------------------------------------------------------------------------- report

def test_report_repr_str_html_and_json():
    report = load("bad_rows.csv").report
    assert repr(report) == "<LoadReport bad_rows.csv: 8 rows read, 2 kept, 6 rejected (see .rejected)>"
    text = str(report)
    assert "  rows read               8" in text and "    malformed_row         2" in text
    data = json.loads(report.to_json())
    assert data["schema_version"] == 1
    assert (data["rows_read"], data["events_kept"], data["rows_rejected"]) == (8, 2, 6)
    assert data["time_span"] == {"start": "2024-01-01T09:00:00+00:00",
                                 "end": "2024-01-01T10:00:00+00:00"}
    # 2 malformed rows, then one row each without case id, activity, timestamp, parsable time
    assert data["warnings"] == [
        "6 of 8 rows (75.0%) rejected and left out of the analysis (malformed_row 2, "
        "missing_case_id 1, missing_activity 1, missing_timestamp 1, unparsable_timestamp 1; "
        "first at row 3, column 'case_id' is empty); --rejected-out FILE or .report.rejected "
        "lists them"]


def test_html_escapes_names():
    frame = pd.DataFrame({"case_id": ["T1"], "<b>act</b>": ["a"], "timestamp": ["2024-01-01"]})
    log = load_log(frame, activity_column="<b>act</b>")
    assert "&lt;b&gt;act&lt;/b&gt;" in log._repr_html_() and "<b>act" not in log._repr_html_()
    assert repr(log) == "<LoadedLog DataFrame: 1 events, 1 cases, 1 activities>"
    assert isinstance(log, LoadedLog) and isinstance(log.report, LoadReport)


# --------------------------------------------------------------------------- as_events

def test_as_events_returns_the_same_frame_when_nothing_changes():
    events = load("small.csv").events
    assert as_events(events) is events
    assert as_events(load("small.csv")) is not None


def test_as_events_converts_and_sorts():
    frame = pd.DataFrame({"case:concept:name": ["T2", "T1", "T1"],
                          "concept:name": ["x", "close", "open"],
                          "time:timestamp": ["2024-01-01 08:00", "2024-01-01 10:00",
                                             "2024-01-01 09:00"]})
    events = as_events(frame)
    assert rows(events) == [("T1", "open", "2024-01-01 09:00:00"),
                            ("T1", "close", "2024-01-01 10:00:00"),
                            ("T2", "x", "2024-01-01 08:00:00")]
    assert str(events["time:timestamp"].dt.tz) == "UTC"
    assert frame["time:timestamp"].iloc[0] == "2024-01-01 08:00"  # input untouched


def test_as_events_names_the_missing_columns():
    with pytest.raises(LogError) as info:
        as_events(pd.DataFrame({"concept:name": ["a"]}))
    assert message(info) == ("DataFrame: missing column 'case:concept:name', 'time:timestamp' "
                             "(columns are 'concept:name'; use load_log() to map columns)")


# --------------------------------------------------------------------------- order and speed paths

def frame_of(text):
    """A DataFrame from 'case activity time [note]' lines (time as HH:MM on 2024-01-01)."""
    records = []
    for line in text.strip().splitlines():
        case, activity, time, *note = line.split()
        records.append({"case_id": case, "activity": activity,
                        "timestamp": f"2024-01-01 {time}", "note": note[0] if note else "x"})
    return pd.DataFrame(records)


def test_grouped_file_in_another_case_order_is_sorted_by_case_id():
    events = load_log(frame_of("""
        T2 open 08:00
        T2 close 09:00
        T10 open 07:00
        T10 close 07:30
        T1 open 10:00""")).events
    # Case ids sort as text: T1 < T10 < T2.
    assert rows(events) == [("T1", "open", "2024-01-01 10:00:00"),
                            ("T10", "open", "2024-01-01 07:00:00"),
                            ("T10", "close", "2024-01-01 07:30:00"),
                            ("T2", "open", "2024-01-01 08:00:00"),
                            ("T2", "close", "2024-01-01 09:00:00")]
    assert list(events.index) == [0, 1, 2, 3, 4]


def test_interleaved_cases_are_sorted_by_id_then_time_ties_in_file_order():
    events = load_log(frame_of("""
        T2 a 09:00
        T1 x 10:00
        T2 b 08:00
        T1 y 10:00
        T1 z 09:00""")).events
    assert rows(events) == [("T1", "z", "2024-01-01 09:00:00"),
                            ("T1", "x", "2024-01-01 10:00:00"),
                            ("T1", "y", "2024-01-01 10:00:00"),
                            ("T2", "b", "2024-01-01 08:00:00"),
                            ("T2", "a", "2024-01-01 09:00:00")]
    assert list(events.index) == [0, 1, 2, 3, 4]


def test_grouped_cases_out_of_time_order_are_sorted_by_id():
    events = load_log(frame_of("""
        T1 b 10:00
        T1 a 09:00
        T0 c 08:00""")).events
    assert [r[1] for r in rows(events)] == ["c", "a", "b"]


def test_rejected_rows_do_not_break_the_order_check():
    frame = frame_of("""
        T2 open 08:00
        T2 close 09:00
        T1 open 10:00""")
    frame.loc[1, "timestamp"] = "never"
    log = load_log(frame)
    assert rows(log.events) == [("T1", "open", "2024-01-01 10:00:00"),
                                ("T2", "open", "2024-01-01 08:00:00")]
    assert log.report.rejected[["row", "reason"]].values.tolist() == [[2, "unparsable_timestamp"]]


def test_file_already_sorted_by_case_and_time_keeps_its_rows():
    frame = frame_of("""
        T1 open 10:00
        T2 open 08:00
        T2 close 09:00""")
    log = load_log(frame)
    assert rows(log.events) == [("T1", "open", "2024-01-01 10:00:00"),
                                ("T2", "open", "2024-01-01 08:00:00"),
                                ("T2", "close", "2024-01-01 09:00:00")]


def test_near_duplicates_differing_in_a_non_key_column_are_not_duplicates():
    frame = frame_of("""
        T1 open 09:00 x
        T1 open 09:00 y
        T1 open 09:00 x
        T1 close 10:00 x
        T2 open 09:00 x
        T2 close 10:00 x
        T2 close 10:00 x
        T2 close 10:00 z""")
    # rows 3 and 7 (1-based) repeat rows 1 and 6 in every column; 2 and 8 differ in 'note'
    assert frame.duplicated().tolist() == [False, False, True, False, False, False, True, False]
    log = load_log(frame)
    assert log.report.duplicate_rows == 2 and log.report.events_kept == 8
    dropped = load_log(frame, drop_duplicates=True)
    assert dropped.report.rejected[["row", "reason"]].values.tolist() == [
        [3, "duplicate"], [7, "duplicate"]]
    assert dropped.events["note"].tolist() == ["x", "y", "x", "x", "x", "z"]
    assert "2 cases have events with equal timestamps: file order breaks ties" in \
        dropped.report.warnings


def test_duplicates_in_an_unsorted_log_are_found_and_the_first_in_file_order_kept():
    frame = frame_of("""
        T2 close 10:00 late
        T1 open 09:00 a
        T2 close 10:00 late
        T1 open 09:00 a""")
    log = load_log(frame, drop_duplicates=True)
    assert log.report.rejected["row"].tolist() == [3, 4]
    assert rows(log.events) == [("T1", "open", "2024-01-01 09:00:00"),
                                ("T2", "close", "2024-01-01 10:00:00")]


ROW = st.tuples(st.sampled_from(["T1", "T2", "T3"]), st.sampled_from(["a", "b"]),
                st.sampled_from(["09:00", "09:30", "10:00"]), st.sampled_from(["x", "y"]))


@settings(max_examples=80, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=25))
def test_duplicates_and_order_agree_with_pandas(table):
    frame = pd.DataFrame(table, columns=["case_id", "activity", "timestamp", "note"])
    frame["timestamp"] = "2024-01-01 " + frame["timestamp"]
    dup = frame.duplicated()
    log = load_log(frame)
    assert log.report.duplicate_rows == int(dup.sum())
    dropped = load_log(frame, drop_duplicates=True)
    assert dropped.report.rejected["row"].tolist() == [i + 1 for i in frame.index[dup]]
    # sorted by case id, then time, ties in file order, duplicates included,
    # so that dropping duplicates only removes rows
    kept = frame[~dup]
    expected = kept.sort_values(["case_id", "timestamp"], kind="stable")
    assert log.events["note"].tolist() == \
        frame.sort_values(["case_id", "timestamp"], kind="stable")["note"].tolist()
    assert dropped.events[["case:concept:name", "concept:name", "note"]].values.tolist() == \
        expected[["case_id", "activity", "note"]].values.tolist()


def test_repeated_timestamps_are_counted_by_row_when_choosing_a_format():
    # one text in format A on 10 rows, three texts in format B on one row each:
    # A parses more rows, so B's rows are the ones parsed one by one
    stamps = ["Jan 03 2024 10:00"] * 10 + ["01/04/2024 09:00", "01/05/2024 09:00",
                                          "01/06/2024 09:00"]
    frame = pd.DataFrame({"case_id": [f"T{i:02d}" for i in range(13)], "activity": "a",
                          "timestamp": stamps})
    log = load_log(frame)
    assert log.report.warnings == [
        "3 timestamp values matched no single format and were parsed one by one"]
    assert log.events["time:timestamp"].dt.strftime("%m-%d %H:%M").tolist() == \
        ["01-03 10:00"] * 10 + ["01-04 09:00", "01-05 09:00", "01-06 09:00"]


@pytest.mark.parametrize("timezone, expected", [
    ("UTC", ["01 09:00", "02 09:00", "03 11:00"]),
    ("Europe/Rome", ["01 08:00", "02 09:00", "03 11:00"]),  # naive 09:00 in Rome is 08:00Z
])
def test_repeated_and_distinct_timestamps_parse_alike(timezone, expected):
    texts = ["2024-01-01 09:00", "bad", "2024-01-02T10:00:00+01:00", " ", "2024-01-03 11:00Z"]

    def frame(times):
        return pd.DataFrame({"case_id": "T1", "activity": [f"a{i}" for i in range(len(times))],
                             "timestamp": times})

    repeated = load_log(frame(texts * 10), timezone=timezone)  # each text parsed once
    once = load_log(frame(texts), timezone=timezone)           # every value parsed
    assert repeated.report.rejected_by_reason["unparsable_timestamp"] == 10
    assert repeated.report.rejected_by_reason["missing_timestamp"] == 10
    for log in (repeated, once):
        assert sorted(set(log.events["time:timestamp"].dt.strftime("%d %H:%M"))) == expected


def test_date_only_values_are_localised_in_the_given_timezone():
    frame = pd.DataFrame({"case_id": ["T1", "T1"], "activity": ["a", "b"],
                          "timestamp": ["2024-01-01", "2024-01-01 10:00:00-05"]})
    events = load_log(frame, timezone="Europe/Rome").events
    # midnight in Rome (UTC+1) is 23:00 UTC the day before; an explicit -05 offset is kept
    assert [r[2] for r in rows(events)] == ["2023-12-31 23:00:00", "2024-01-01 15:00:00"]


def test_whitespace_only_ids_are_missing_in_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("case_id,activity,timestamp\n \t,a,2024-01-01 09:00\nT1, ,2024-01-01 09:00\n"
                    "T1,b,2024-01-01 10:00\n", encoding="utf-8")
    report = load_log(path).report
    assert report.rejected[["row", "reason"]].values.tolist() == [
        [2, "missing_case_id"], [3, "missing_activity"]]


def test_true_false_columns_become_booleans_only_when_every_value_is_one(tmp_path):
    path = tmp_path / "t.csv"
    flags = ["TRUE", "false"] * 150
    lines = [f"T{i:03d},a,2024-01-01 09:00,{f},{f if i < 299 else 'maybe'}"
             for i, f in enumerate(flags)]
    path.write_text("case_id,activity,timestamp,escalated,vip\n" + "\n".join(lines) + "\n",
                    encoding="utf-8")
    events = load_log(path).events
    assert events["escalated"].dtype == bool
    assert events["escalated"].tolist()[:3] == [True, False, True]
    assert events["vip"].tolist()[-1] == "maybe" and events["vip"].dtype != bool


def test_file_without_quotes_reports_line_numbers_past_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("case_id,activity,timestamp\nT1,a,2024-01-01 09:00\n\n\n"
                    "T1,b,never\nT1,c\nT2,a,2024-01-01 09:00\n", encoding="utf-8")
    report = load_log(path).report
    assert report.rejected[["row", "reason"]].values.tolist() == [
        [5, "unparsable_timestamp"], [6, "malformed_row"]]
    assert (report.rows_read, report.events_kept) == (4, 2)


def test_quoted_and_unquoted_files_read_alike(tmp_path):
    plain, quoted = tmp_path / "plain.csv", tmp_path / "quoted.csv"
    plain.write_text("case_id,activity,timestamp\nT2,open,2024-01-01 09:00\nT1,open,bad\n"
                     "T1,close,2024-01-01 10:00\nT3,x\n", encoding="utf-8")
    quoted.write_text('"case_id","activity","timestamp"\n"T2","open","2024-01-01 09:00"\n'
                      '"T1","open","bad"\n"T1","close","2024-01-01 10:00"\n"T3","x"\n',
                      encoding="utf-8")
    a, b = load_log(plain), load_log(quoted)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert rows(a.events) == [("T1", "close", "2024-01-01 10:00:00"),
                              ("T2", "open", "2024-01-01 09:00:00")]
    assert a.report.rejected[["row", "reason"]].values.tolist() == \
        b.report.rejected[["row", "reason"]].values.tolist() == [
            [3, "unparsable_timestamp"], [5, "malformed_row"]]


def test_declared_xes_classifier_is_pointed_out_when_not_used():
    path = DATA / "declared_classifier.xes"
    report = load_log(path).report
    assert report.warnings[0] == (
        "the file declares the classifier 'Activity classifier' = concept:name "
        "lifecycle:transition; activities here are 'concept:name' alone (use --activity-column "
        "'concept:name+lifecycle:transition' for the declared one)")
    used = load_log(path, activity_column="concept:name+lifecycle:transition")
    assert used.events["concept:name"].tolist() == ["Accepted+In Progress", "Completed+Closed"]
    assert not any("classifier" in w for w in used.report.warnings)


def test_a_guessed_day_month_order_is_reported():
    frame = pd.DataFrame({"case_id": ["T1", "T1", "T1"], "activity": ["a", "b", "c"],
                          "timestamp": ["2024-01-01 09:00", "01/02/2024 10:00",
                                        "2024-01-03 09:00"]})
    log = load_log(frame)
    assert log.report.warnings == [
        "1 timestamp value is not ISO 8601 and was read as '%m/%d/%Y %H:%M' (a guess: use "
        "--timestamp-format, or --dayfirst for day/month order, to be sure)"]
    assert str(log.events["time:timestamp"].iloc[1]) == "2024-01-02 10:00:00+00:00"
    first = load_log(frame, dayfirst=True)
    assert first.report.warnings == []
    assert sorted(first.events["time:timestamp"].astype(str))[-1] == "2024-02-01 10:00:00+00:00"


OFFSET_TEXTS = st.tuples(
    st.datetimes(min_value=__import__("datetime").datetime(1970, 1, 2),
                 max_value=__import__("datetime").datetime(2099, 12, 30)),
    st.integers(-14 * 60, 14 * 60), st.sampled_from(["T", " "]), st.booleans(),
    st.sampled_from(["+HH:MM", "+HHMM", "Z"]))


def _offset_text(naive, minutes, sep, fraction, style):
    body = naive.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (f".{naive.microsecond:06d}" if fraction else "")
    if style == "Z":
        return body + "Z", 0
    sign, hours, mins = "+" if minutes >= 0 else "-", abs(minutes) // 60, abs(minutes) % 60
    return body + (f"{sign}{hours:02d}:{mins:02d}" if style == "+HH:MM"
                   else f"{sign}{hours:02d}{mins:02d}"), minutes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OFFSET_TEXTS, min_size=1, max_size=30), st.booleans())
def test_iso_times_with_offsets_become_the_instants_they_name(values, with_naive):
    # All-offset columns take Arrow's fast path; one naive value sends the
    # column down the general path. Both must give the hand-computed instant.
    from datetime import timedelta, timezone

    texts, expected = [], []
    for naive, minutes, sep, fraction, style in values:
        text, offset = _offset_text(naive, minutes, sep, fraction, style)
        texts.append(text)
        instant = naive if fraction else naive.replace(microsecond=0)
        expected.append((instant - timedelta(minutes=offset)).replace(tzinfo=timezone.utc))
    if with_naive:
        texts.append("2024-05-06 07:08:09")
        expected.append(pd.Timestamp("2024-05-06 07:08:09", tz="UTC").to_pydatetime())
    frame = pd.DataFrame({"case_id": [f"T{i:03d}" for i in range(len(texts))],
                          "activity": "a", "timestamp": texts})
    events = load_log(frame).events.sort_values("case:concept:name")
    assert [t.to_pydatetime() for t in events["time:timestamp"]] == expected


def test_utf16_without_a_byte_order_mark_gets_an_encoding_hint(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes("case,activity,time\nC1,Open,2024-01-01 09:00\n".encode("utf-16-le"))
    with pytest.raises(LogError) as info:
        load_log(path)
    assert str(info.value) == (f"{path}: not a text file (NUL byte at byte 1) (it looks like "
                               "UTF-16: try --encoding utf-16-le or utf-16-be)")
    assert len(load_log(path, encoding="utf-16-le").events) == 1
