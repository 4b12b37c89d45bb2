"""The command line: every help ends with an example that runs; errors are one line, exit 2."""

import json
import shlex
import warnings

import jsonschema
import pytest

from cs_mining.cli import EXAMPLES, build_parser, main, run
from cs_mining.errors import CsMiningWarning
from cs_mining.report.json import SCHEMA_PATH

from conftest import ROOT, SAMPLES

DATA = ROOT / "tests" / "data"
HELPDESK = str(SAMPLES / "helpdesk.csv")
CHART = str(SAMPLES / "helpdesk.yaml")


def subcommands(parser, prefix=()):
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        for name, sub in action.choices.items():
            yield prefix + (name,), sub
            if sub._subparsers:
                yield from subcommands(sub, prefix + (name,))


LEAVES = [(path, sub) for path, sub in subcommands(build_parser())
          if not sub._subparsers]


@pytest.mark.parametrize("path,sub", LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_every_command_help_ends_with_an_example(path, sub):
    text = sub.format_help().rstrip()
    assert text.splitlines()[-2] == "Example:"
    assert text.splitlines()[-1].strip() == EXAMPLES[" ".join(path)]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_help_example_runs(name, tmp_path, monkeypatch, capsys):
    if name == "simulate":
        pytest.importorskip("cs_mining.simulate")
    (tmp_path / "sample_logs").symlink_to(SAMPLES)
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(EXAMPLES[name])[3:]  # drop "python -m cs_mining"
    assert main(argv) == 0, capsys.readouterr().err


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "discover", "compare", "flowchart", "simulate"):
        assert f"\n    {command}" in out


def test_compare_json_follows_the_schema(capsys):
    assert main(["compare", HELPDESK, "--flowchart", CHART, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    assert document["log"]["events"] == 21348 and document["log"]["cases"] == 4580


def test_compare_writes_report_and_cases(tmp_path, capsys):
    report, cases = tmp_path / "r.html", tmp_path / "cases.csv"
    assert main(["compare", HELPDESK, "--flowchart", CHART, "-o", str(report),
                 "--cases-out", str(cases)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(f"Full report written to {report}")
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    lines = cases.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "case_id,variant,conforming,deviations"
    assert len(lines) == 1 + 4580


def test_fail_under_fitness_exits_1(capsys):
    assert main(["compare", HELPDESK, "--flowchart", CHART, "--fail-under-fitness", "0.99"]) == 1
    assert "is under --fail-under-fitness 0.99" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["validate", "missing.csv"], "error: missing.csv: file not found"),
    (["validate", str(DATA / "load" / "missing_column.csv")],
     f"error: {DATA / 'load' / 'missing_column.csv'}: no activity column found; columns are "
     "'Ticket', 'Step', 'When' (use --activity-column)"),
    (["compare", HELPDESK, "--flowchart", str(DATA / "flowcharts" / "unknown_arrow_target.yaml")],
     f"error: {DATA / 'flowcharts' / 'unknown_arrow_target.yaml'}:9: arrow 'triage -> asign' "
     "points to unknown step 'asign' (did you mean 'assign'?)"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [message]
    assert "Traceback" not in err


def test_flowchart_check_prints_one_line_per_problem(capsys):
    path = DATA / "flowcharts" / "unknown_arrow_target.yaml"
    assert main(["flowchart", "check", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:9: arrow 'triage -> asign' points to unknown step 'asign' "
        "(did you mean 'assign'?)"]


def test_validate_writes_rejected_rows(tmp_path, capsys):
    out = tmp_path / "rejected.csv"
    assert main(["validate", str(DATA / "load" / "bad_rows.csv"), "--rejected-out", str(out),
                 "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rejected = out.read_text(encoding="utf-8").splitlines()
    assert report["rows_read"] == report["events_kept"] + report["rows_rejected"]
    assert len(rejected) == 1 + report["rows_rejected"]


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", HELPDESK])
    assert exit_.value.code == 2
    assert "--flowchart" in capsys.readouterr().err


def test_flowchart_convert_bpmn_to_yaml_round_trips(tmp_path, capsys):
    from cs_mining import read_flowchart

    source = DATA / "bpmn" / "camunda_order_out_of_stock.bpmn"
    out = tmp_path / "order.yaml"
    assert main(["flowchart", "convert", str(source), "-o", str(out)]) == 0
    original, converted = read_flowchart(source), read_flowchart(out)
    assert [(n.id, n.kind, n.label) for n in converted.node_list] == \
        [(n.id, n.kind, n.label) for n in original.node_list]
    assert [(a.source, a.target, a.label) for a in converted.arrows] == \
        [(a.source, a.target, a.label) for a in original.arrows]
    assert converted.allowed_transitions() == original.allowed_transitions()


@pytest.mark.parametrize("extra,message", [
    (["--open-after", "yesterday"],
     "error: compare(): open_after must be a date or time such as '2024-03-31' or "
     "'2024-03-31T18:00+02:00'; got 'yesterday'"),
    (["-o", "report.pdf"],
     "error: -o report.pdf: cannot tell the format from '.pdf' suffix; use .txt, .text, .json, "
     ".md, .markdown, .html, .htm or --format"),
    (["--targets-in", "working"],
     "error: --targets-in working needs working hours: add --hours, e.g. "
     "--hours 'mon-fri=08:00-18:00'"),
])
def test_bad_compare_options_are_one_line_and_exit_2(extra, message, capsys, tmp_path,
                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", HELPDESK, "--flowchart", CHART, *extra]) == 2
    err = [line for line in capsys.readouterr().err.splitlines()
           if not line.startswith("warning:")]
    assert err == [message]
    assert not (tmp_path / "report.pdf").exists()


def test_threshold_outside_zero_to_one_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", HELPDESK, "--flowchart", CHART, "--fail-under-fitness", "95"])
    assert exit_.value.code == 2
    assert "must be a share between 0 and 1" in capsys.readouterr().err


def test_flowchart_check_names_the_file_of_a_refused_bpmn(capsys):
    path = DATA / "bpmn" / "external_entity.bpmn"
    assert main(["flowchart", "check", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"{path}: refusing XML with a DOCTYPE")


def test_cs_mining_console_script_runs_the_same_main():
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "cs-mining"]
    assert script.value == "cs_mining.cli:run"
    assert script.load() is run


@pytest.mark.parametrize("how", ["python -m cs_mining", "cs-mining"])
def test_the_process_exits_with_mains_code_after_writing_everything(how):
    # run() ends the process with os._exit: the JSON must be complete on the
    # pipe and the exit code main's own.
    import subprocess
    import sys
    from pathlib import Path

    command = [sys.executable, "-m", "cs_mining"] if how.startswith("python") else \
        [str(Path(sys.executable).with_name("cs-mining"))]
    done = subprocess.run(command + ["compare", HELPDESK, "--flowchart", CHART, "--format",
                                     "json"], capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0
    assert json.loads(done.stdout)["log"]["events"] == 21348
    assert "129 cases have events with equal timestamps" in done.stderr
    failed = subprocess.run(command + ["compare", "no-such-log.csv", "--flowchart", CHART],
                            capture_output=True, text=True, encoding="utf-8")
    assert (failed.returncode, failed.stdout) == (2, "")
    assert failed.stderr.strip().splitlines()[-1] == "error: no-such-log.csv: file not found"


def test_compare_reports_the_clock_stopped_statuses_it_used(capsys):
    assert main(["compare", HELPDESK, "--flowchart", CHART, "--clock-stopped", "Wait",
                 "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["options"]["clock_stopped"] == "Wait"
    assert main(["compare", HELPDESK, "--flowchart", CHART, "--clock-stopped", "Wait"]) == 0
    # Ranked waits skip the paused status, so the report says how to read them.
    assert ("Clock stopped  in Wait: that time is not counted against targets, and waits are "
            "read with those statuses left out (A -> paused -> B is a wait of A -> B)") in \
        capsys.readouterr().out


def test_validate_writes_its_report_to_a_file(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["validate", HELPDESK, "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["rows_read"] == 21348


def test_usage_errors_are_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["compare", HELPDESK])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "python -m cs_mining compare: error: the following arguments are required: --flowchart "
        "(see python -m cs_mining compare --help)"]


def test_compare_warns_and_notes_when_part_of_the_log_is_rejected(tmp_path, capsys):
    lines = (SAMPLES / "helpdesk.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("Complete Timestamp")
    broken = [lines[0]]
    for i, line in enumerate(lines[1:101]):
        cells = line.split(",")
        if i % 4 == 0:  # 25 of the 100 rows
            cells[at] = "31/31/2012 99:99"
        broken.append(",".join(cells))
    path = tmp_path / "part_bad.csv"
    path.write_text("\n".join(broken) + "\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("always", CsMiningWarning)
        assert main(["compare", str(path), "--flowchart", CHART, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert (f"warning: {path}: 25 of 100 rows (25.0%) rejected and left out of the analysis "
            "(unparsable_timestamp 25; first at row 2, column 'Complete Timestamp' = "
            "'31/31/2012 99:99')") in captured.err
    notes = json.loads(captured.out)["notes"]
    assert notes[0].startswith("25 of 100 rows (25.0%) of the log were rejected when loading")


def test_debug_is_accepted_after_the_command_too(tmp_path):
    missing = str(tmp_path / "missing.csv")
    assert main(["compare", missing, "--flowchart", CHART]) == 2
    with pytest.raises(Exception, match="file not found"):
        main(["compare", missing, "--flowchart", CHART, "--debug"])
    with pytest.raises(Exception, match="file not found"):
        main(["--debug", "compare", missing, "--flowchart", CHART])


def test_a_yaml_list_is_named_as_a_list(tmp_path, capsys):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    assert main(["compare", HELPDESK, "--flowchart", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {path}: a flowchart is a mapping with keys name, steps and arrows; got a list")


def test_a_format_that_contradicts_the_file_name_is_warned_about(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["compare", HELPDESK, "--flowchart", CHART, "--format", "markdown",
                 "-o", str(out)]) == 0
    assert f"warning: writing markdown to {out}, whose name says json" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8").startswith("# Comparison with flowchart")
