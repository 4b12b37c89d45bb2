"""The scheduled batch job: reports per job, index and summary, failures isolated, exit codes."""

import json
import textwrap

import pytest

import cs_mining
from cs_mining.batch import (COMPARE_KEYS, JOB_KEYS, BatchConfig, BatchJob, read_batch_config,
                             run_batch)
from cs_mining.cli import build_parser
from cs_mining.errors import ConfigError

from conftest import SAMPLES

pytestmark = pytest.mark.filterwarnings("ignore::cs_mining.errors.CsMiningWarning")

HELPDESK_MAPPING = {"case_column": "Case ID", "activity_column": "Activity",
                    "timestamp_column": "Complete Timestamp"}


def write_config(folder, text):
    path = folder / "reports.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def three_jobs(tmp_path_factory):
    """helpdesk (fitness 0.931, under 0.95), the phone sample, and a job with a wrong column."""
    folder = tmp_path_factory.mktemp("batch")
    path = write_config(folder, f"""
        output: reports/{{date}}
        formats: [html, json, markdown]
        fail_under_fitness: 0.95
        jobs:
          - name: helpdesk
            log: {SAMPLES / 'helpdesk.csv'}
            flowchart: {SAMPLES / 'helpdesk.yaml'}
            case_column: Case ID
            activity_column: Activity
            timestamp_column: Complete Timestamp
          - name: broken
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            case_column: ticket_id
          - name: phone
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            open_cases: true
        """)
    run = run_batch(read_batch_config(path), now="2024-05-06")
    return folder, run


def test_files_written_per_job_plus_index_and_summary(three_jobs):
    folder, run = three_jobs
    out = folder / "reports" / "2024-05-06"
    assert run.out_dir == out
    assert sorted(p.name for p in out.iterdir()) == [
        "helpdesk.html", "helpdesk.json", "helpdesk.md", "index.html",
        "phone.html", "phone.json", "phone.md", "summary.json"]


def test_summary_numbers_equal_compare_called_directly(three_jobs):
    folder, run = three_jobs
    summary = json.loads((run.out_dir / "summary.json").read_text(encoding="utf-8"))
    jobs = {j["name"]: j for j in summary["jobs"]}
    for name, log, chart, options, compare_options in [
            ("helpdesk", "helpdesk.csv", "helpdesk.yaml", HELPDESK_MAPPING, {}),
            ("phone", "service_request_phone.csv", "service_request_phone.yaml", {},
             {"open_cases": True})]:
        loaded = cs_mining.load_log(SAMPLES / log, **options)
        direct = cs_mining.compare(loaded, cs_mining.read_flowchart(SAMPLES / chart),
                                   **compare_options)
        job = jobs[name]
        assert job["events"] == len(loaded.events)
        assert job["cases"] == direct.conformance["cases"]
        assert job["rejected_rows"] == loaded.report.rows_rejected == 0
        assert job["fitness"] == direct.conformance["fitness"]
        assert job["conforming_case_share"] == direct.conformance["conforming_case_share"]
        assert job["deviations"] == len(direct.deviations)
        top = direct.deviations.iloc[0]
        assert {k: job["top_deviation"][k] for k in ("kind", "activity", "source", "target",
                                                      "cases")} == \
            {k: top[k] for k in ("kind", "activity", "source", "target", "cases")}
        assert json.loads((run.out_dir / f"{name}.json").read_text(encoding="utf-8")) == \
            direct.to_dict()
    # the Helpdesk log's size as published (sample_logs/README.md)
    assert (jobs["helpdesk"]["events"], jobs["helpdesk"]["cases"]) == (21348, 4580)


def test_a_failing_job_is_listed_and_the_others_still_run(three_jobs):
    _, run = three_jobs
    assert list(run.jobs["name"]) == ["helpdesk", "broken", "phone"]
    assert list(run.jobs["status"]) == ["below_threshold", "failed", "ok"]
    assert run.failed == ["broken"] and run.below_threshold == ["helpdesk"]
    message = run.jobs.loc[1, "message"]
    assert message.startswith(f"{SAMPLES / 'service_request_phone.csv'}: case column "
                              f"'ticket_id' not found; columns are ")
    assert "\n" not in message
    assert sorted(run.results) == ["helpdesk", "phone"]
    assert run.exit_code == 2
    text = str(run)
    assert f"  broken: {message}" in text.splitlines()
    assert "  helpdesk: fitness 0.931 is under 0.95" in text.splitlines()


def test_index_links_every_report_and_names_the_failure(three_jobs):
    _, run = three_jobs
    page = (run.out_dir / "index.html").read_text(encoding="utf-8")
    for name in ("helpdesk.html", "helpdesk.json", "helpdesk.md", "phone.html", "summary.json"):
        assert f"href='{name}'" in page
    assert "case column &#x27;ticket_id&#x27; not found" in page


def test_summary_json_is_run_to_dict(three_jobs):
    _, run = three_jobs
    summary = json.loads((run.out_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary == run.to_dict() == json.loads(json.dumps(run.to_dict()))
    assert (summary["date"], summary["exit_code"], summary["fail_under_fitness"]) == \
        ("2024-05-06", 2, 0.95)
    broken = summary["jobs"][1]
    assert broken["status"] == "failed" and broken["reports"] == {} and broken["cases"] is None


def test_repr_is_one_line_and_str_a_table(three_jobs):
    _, run = three_jobs
    assert repr(run) == "<BatchRun 2024-05-06: 3 jobs, 1 ok, 1 below threshold, 1 failed, exit 2>"
    lines = str(run).splitlines()
    assert lines[0] == "Batch run 2024-05-06: 3 jobs, 1 ok, 1 below threshold, 1 failed (exit 2)"
    assert lines[2].split() == ["job", "status", "events", "cases", "rejected", "fitness",
                                "conforming", "deviations", "top", "deviation"]
    assert lines[3].split()[:5] == ["helpdesk", "below_threshold", "21,348", "4,580", "0"]


def run_phone(tmp_path, **top):
    job = BatchJob("phone", SAMPLES / "service_request_phone.csv",
                   SAMPLES / "service_request_phone.yaml",
                   fail_under_fitness=top.pop("job_threshold", None))
    return run_batch(BatchConfig(jobs=(job,), formats=(), **top), out_dir=tmp_path / "{date}",
                     now="2024-05-06")


@pytest.mark.parametrize("threshold,job_threshold,code", [
    (None, None, 0), (0.99, None, 0), (0.999, None, 1), (0.999, 0.5, 0), (None, 0.999, 1)])
def test_exit_code_follows_the_fitness_threshold(tmp_path, threshold, job_threshold, code):
    # the phone sample's fitness is 0.992 (between 0.99 and 0.999)
    run = run_phone(tmp_path, fail_under_fitness=threshold, job_threshold=job_threshold)
    assert run.exit_code == code
    assert sorted(p.name for p in (tmp_path / "2024-05-06").iterdir()) == \
        ["index.html", "summary.json"]


def test_rejected_rows_go_to_their_own_csv(tmp_path):
    (tmp_path / "tickets.csv").write_text(
        "ticket,step,when\nT1,Open,2024-01-01 09:00\nT1,Close,2024-01-01 10:00\n"
        "T2,Open,not a time\nT2,Close,2024-01-01 11:00\n", encoding="utf-8")
    (tmp_path / "tickets.yaml").write_text(
        "name: Tickets\nsteps:\n  - {id: s, kind: start}\n  - {id: open, label: Open}\n"
        "  - {id: close, label: Close}\n  - {id: e, kind: end}\narrows:\n"
        "  - s -> open -> close -> e\n", encoding="utf-8")
    path = write_config(tmp_path, """
        output: out
        formats: [text]
        jobs:
          - {name: tickets, log: tickets.csv, flowchart: tickets.yaml,
             activity_column: step, timestamp_column: when}
        """)
    run = run_batch(read_batch_config(path))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["index.html", "summary.json", "tickets.rejected.csv", "tickets.txt"]
    rejected = (tmp_path / "out" / "tickets.rejected.csv").read_text(encoding="utf-8")
    assert rejected.splitlines() == ["ticket,step,when,row,reason",
                                     "T2,Open,not a time,4,unparsable_timestamp"]
    record = run.to_dict()["jobs"][0]
    assert (record["events"], record["cases"], record["rejected_rows"]) == (3, 2, 1)
    assert record["reports"] == {"text": "tickets.txt", "rejected": "tickets.rejected.csv"}
    # T2 keeps only Close: it starts at a step that is not a designed first step
    assert record["top_deviation"]["kind"] == "wrong_start"
    assert (tmp_path / "out" / "tickets.txt").read_text(encoding="utf-8").startswith(
        "Comparison with flowchart 'Tickets'")


def test_html_escapes_messages(tmp_path):
    job = BatchJob("x", SAMPLES / "service_request_phone.csv",
                   SAMPLES / "service_request_phone.yaml", load_options={"case_column": "<b>&"})
    run = run_batch(BatchConfig(jobs=(job,), formats=()), out_dir=tmp_path)
    for page in (run._repr_html_(), (tmp_path / "index.html").read_text(encoding="utf-8")):
        assert "&#x27;&lt;b&gt;&amp;&#x27; not found" in page
        assert "<b>&" not in page


def test_output_folder_is_relative_to_the_config_file(tmp_path):
    (tmp_path / "conf").mkdir()
    path = write_config(tmp_path / "conf", f"""
        output: ../reports/{{date}}
        jobs:
          - name: phone
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
        """)
    config = read_batch_config(path)
    assert config.formats == ("html", "json", "markdown")
    assert config.output_dir("2024-05-06") == tmp_path / "reports" / "2024-05-06"


def test_logs_and_flowcharts_are_relative_to_the_config_file(tmp_path):
    config = read_batch_config(SAMPLES / "batch.yaml")
    helpdesk = config.jobs[0]
    assert (helpdesk.name, helpdesk.log, helpdesk.flowchart) == \
        ("helpdesk", SAMPLES / "helpdesk.csv", SAMPLES / "helpdesk.yaml")
    assert helpdesk.load_options == HELPDESK_MAPPING
    assert config.fail_under_fitness == 0.8


def test_job_keys_are_the_compare_command_flags():
    compare = next(a for a in build_parser()._subparsers._group_actions).choices["compare"]
    flags = {a.dest for a in compare._actions} - {"help", "debug", "format", "output", "cases_out",
                                                  "rejected_out"}
    assert set(JOB_KEYS) - {"name"} == flags
    assert set(COMPARE_KEYS) | {"calendar"} < set(cs_mining.compare.__code__.co_varnames)


def test_working_hours_make_a_calendar_and_bad_ones_are_reported(tmp_path):
    path = write_config(tmp_path, f"""
        jobs:
          - name: phone
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            timezone: Europe/London
            hours: {{mon-fri: "08:00-18:00"}}
            holidays: [2024-03-29]
            clock_stopped: [Put on waiting list]
            targets_in: working
          - name: cli_form
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            hours: mon-fri=08:00-18:00;sat=09:00-12:00
            holidays: 2024-12-25, 2024-12-26
        """)
    first, second = read_batch_config(path).jobs
    assert first.compare_options["calendar"].to_dict() == cs_mining.Calendar(
        {"mon-fri": "08:00-18:00"}, holidays=["2024-03-29"], timezone="Europe/London").to_dict()
    assert (first.compare_options["clock_stopped"], first.compare_options["targets_in"]) == \
        ("Put on waiting list", "working")
    assert second.compare_options["calendar"].to_dict() == cs_mining.Calendar(
        {"mon-fri": "08:00-18:00", "sat": "09:00-12:00"},
        holidays=["2024-12-25", "2024-12-26"]).to_dict()
    assert config_error(tmp_path, f"""
        jobs:
          - name: phone
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            hours: 8 to 6
            targets_in: office
            min_cases: many
        """) == [
        "reports.yaml:5: job 'phone': hours must map days to hours, e.g. {mon-fri: 08:00-18:00}; "
        "got '8 to 6'",
        "reports.yaml:6: job 'phone': targets_in must be one of 'calendar', 'working'; "
        "got 'office'",
        "reports.yaml:7: job 'phone': min_cases must be a whole number of at least 1; "
        "got 'many'",
    ]


# ----------------------------------------------------------------------------- config errors

def config_error(tmp_path, text):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        read_batch_config(path)
    assert str(err.value).splitlines() == err.value.problems
    return [line.replace(str(path), "reports.yaml") for line in err.value.problems]


def test_every_problem_is_reported_with_its_line(tmp_path):
    (tmp_path / "helpdesk.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "helpdesk.yaml").write_text("x\n", encoding="utf-8")
    assert config_error(tmp_path, """
        ouput: reports
        formats: [html, md, pdf]
        fail_under_fitness: 80
        jobs:
          - name: helpdesk
            log: helpdesk.cvs
            flowchart: helpdesk.yaml
            case-column: Case ID
            open_cases: yes please
            max_variants: 0
          - name: helpdesk
            log: helpdesk.csv
            flowchart: missing.yaml
            case: Case ID
          - name: other
            log: helpdesk.csv
          - just a string
        """) == [
        "reports.yaml:1: unknown key 'ouput' (did you mean 'output'?)",
        "reports.yaml:2: formats: unknown format 'md' (did you mean 'markdown'?) "
        "(formats: 'html', 'json', 'markdown', 'text')",
        "reports.yaml:2: formats: unknown format 'pdf' (formats: 'html', 'json', 'markdown', "
        "'text')",
        "reports.yaml:3: fail_under_fitness must be a number between 0 and 1; got 80",
        "reports.yaml:6: job 'helpdesk': log file 'helpdesk.cvs' not found "
        "(did you mean 'helpdesk.csv'?)",
        "reports.yaml:8: job 'helpdesk': unknown key 'case-column' (did you mean 'case_column'?)",
        "reports.yaml:9: job 'helpdesk': open_cases must be true or false; got 'yes please'",
        "reports.yaml:10: job 'helpdesk': max_variants must be a whole number of at least 1; "
        "got 0",
        "reports.yaml:11: job 'helpdesk': name used twice (also on line 5)",
        "reports.yaml:13: job 'helpdesk': flowchart file 'missing.yaml' not found",
        "reports.yaml:14: job 'helpdesk': unknown key 'case' (did you mean 'case_column'?)",
        "reports.yaml:15: job 'other': missing key 'flowchart'",
        "reports.yaml:17: job 4: must be a mapping with name, log and flowchart; "
        "got 'just a string'",
    ]


def test_jobs_missing_and_bad_placeholder(tmp_path):
    assert config_error(tmp_path, """
        output: reports/{day}
        """) == [
        "reports.yaml: missing key 'jobs' (a list of jobs, each with name, log and flowchart)",
        "reports.yaml:1: output: unknown placeholder '{day}' (only {date}, the run date)",
    ]


def test_invalid_yaml_names_its_line(tmp_path):
    problems = config_error(tmp_path, """
        jobs:
          - name: a
           log: b
        """)
    assert len(problems) == 1 and problems[0].startswith("reports.yaml:3: not valid YAML: ")
    problems = config_error(tmp_path, "jobs: [a\n")
    assert len(problems) == 1 and problems[0].startswith("reports.yaml:2: not valid YAML: ")


def test_duplicate_keys_and_bad_names(tmp_path):
    (tmp_path / "a.csv").write_text("x\n", encoding="utf-8")
    assert config_error(tmp_path, """
        jobs:
          - name: index
            log: a.csv
            flowchart: a.csv
            log: a.csv
          - {name: "my log", log: a.csv, flowchart: a.csv}
        """) == [
        "reports.yaml:2: job 'index': name must be letters, digits, '.', '_' or '-' and not "
        "'index' or 'summary' (it names the report files)",
        "reports.yaml:5: job 'index': key 'log' given twice",
        "reports.yaml:6: job 'my log': name must be letters, digits, '.', '_' or '-' and not "
        "'index' or 'summary' (it names the report files)",
    ]


def test_missing_config_file():
    with pytest.raises(ConfigError, match=r"^nowhere\.yaml: file not found$"):
        read_batch_config("nowhere.yaml")


def test_run_date_must_be_a_date(tmp_path):
    with pytest.raises(ConfigError, match=r"^run_batch\(\): now must be a date \(YYYY-MM-DD\); "
                                          r"got 'monday'$"):
        run_batch(BatchConfig(jobs=()), out_dir=tmp_path, now="monday")


def test_yaml_anchors_share_settings_between_jobs(tmp_path):
    path = write_config(tmp_path, f"""
        jobs:
          - &phone
            name: first
            log: {SAMPLES / 'service_request_phone.csv'}
            flowchart: {SAMPLES / 'service_request_phone.yaml'}
            case_column: case:concept:name
          - <<: *phone
            name: second
            open_cases: true
        """)
    first, second = read_batch_config(path).jobs
    assert (first.name, second.name) == ("first", "second")
    assert second.log == first.log and second.flowchart == first.flowchart
    assert second.load_options == {"case_column": "case:concept:name"}
    assert (first.compare_options, second.compare_options) == ({}, {"open_cases": True})
