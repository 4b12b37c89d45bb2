"""Command line: argument parsing, printing, exit codes; no analysis.

Exit codes: 0 done, 1 a requested threshold failed, 2 bad input or usage.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from .errors import ConfigError, CsMiningError

__all__ = ["main", "build_parser"]

EXAMPLES = {
    "validate": "python -m cs_mining validate sample_logs/helpdesk.csv",
    "discover": "python -m cs_mining discover sample_logs/helpdesk.csv",
    "compare": "python -m cs_mining compare sample_logs/helpdesk.csv "
               "--flowchart sample_logs/helpdesk.yaml",
    "flowchart check": "python -m cs_mining flowchart check sample_logs/helpdesk.yaml",
    "flowchart draw": "python -m cs_mining flowchart draw sample_logs/helpdesk.yaml "
                      "-o helpdesk.png",
    "flowchart convert": "python -m cs_mining flowchart convert tests/data/bpmn/camunda_order_out_of_stock.bpmn "
                         "-o order.yaml",
    "bottlenecks": "python -m cs_mining bottlenecks sample_logs/helpdesk.csv "
                   "--flowchart sample_logs/helpdesk.yaml --clock-stopped Wait",
    "batch": "python -m cs_mining batch sample_logs/batch.yaml",
    "simulate": "python -m cs_mining simulate sample_logs/helpdesk.yaml --cases 500 --seed 1 "
                "-o simulated.csv",
}

MAPPING_FLAGS = [
    ("case", "case or ticket id (combine columns with '+')"),
    ("activity", "activity name (e.g. 'concept:name+lifecycle:transition')"),
    ("timestamp", "event time (the completion time)"),
    ("resource", "agent or resource"),
    ("channel", "channel / touchpoint"),
    ("request-type", "request type"),
    ("team", "team or assignment group"),
    ("customer", "customer id"),
    ("priority", "priority"),
    ("satisfaction", "survey score or complaint flag"),
    ("lifecycle", "lifecycle transition (start/complete)"),
    ("start-timestamp", "start time of the event, when the log has one"),
]


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line: the full usage of compare runs to thirty lines."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=34)


def _example(name: str) -> str:
    return f"Example:\n  {EXAMPLES[name]}"


def _add_log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("log", help="event log: .csv, .csv.gz, .parquet, .xes or .xes.gz")
    g = p.add_argument_group("column mapping (detected from common names when omitted)")
    for flag, text in MAPPING_FLAGS:
        g.add_argument(f"--{flag}-column", metavar="COL", help=text)
    r = p.add_argument_group("reading")
    r.add_argument("--encoding", help="text encoding of a CSV (default: UTF-8, BOM or not)")
    r.add_argument("--delimiter", help="CSV field separator (default: sniffed)")
    r.add_argument("--timezone", default="UTC",
                   help="time zone of timestamps written without an offset (default: UTC)")
    r.add_argument("--timestamp-format", metavar="FMT",
                   help="strftime format of timestamps, e.g. '%%d/%%m/%%Y %%H:%%M'")
    r.add_argument("--dayfirst", action="store_true", help="read 1/2/2024 as 1 February")
    r.add_argument("--drop-duplicates", action="store_true",
                   help="set exact duplicate rows aside instead of keeping them")
    r.add_argument("--rejected-out", metavar="FILE", type=Path,
                   help="write rejected rows, with their reason, to this CSV")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json"], default=None,
                   help="text (default) or json (inferred from -o's suffix when omitted)")
    p.add_argument("-o", "--output", type=Path, help="write the result to this file")


def _add_wait_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("waiting time and targets")
    g.add_argument("--clock-stopped", action="append", metavar="NAME",
                   help="an activity that pauses the service clock (e.g. 'Wait - User'); its "
                        "time is not counted against targets; repeat, or give a regex")
    g.add_argument("--min-cases", type=_positive, metavar="N",
                   help="rank a transition only when at least N cases take it "
                        "(default: 1%% of cases, between 2 and 10)")
    g.add_argument("--hours", metavar="SPEC",
                   help="working hours, e.g. 'mon-fri=08:00-18:00;sat=09:00-12:00': waits are "
                        "then also measured in working time (in --timezone)")
    g.add_argument("--holidays", metavar="DATES", help="comma-separated dates, e.g. 2024-12-25")
    g.add_argument("--targets-in", choices=["calendar", "working"], default="calendar",
                   help="the clock that time targets are read in (default: calendar)")


def _wait_kwargs(args) -> dict:
    from .calendar import Calendar

    calendar = None
    if args.hours or args.holidays:
        hours = None
        if args.hours:
            hours = {}
            for part in filter(None, (p.strip() for p in args.hours.split(";"))):
                days, sep, spans = part.partition("=")
                if not sep:
                    raise ConfigError(f"--hours: {part!r} must look like 'mon-fri=08:00-18:00'")
                hours[days.strip()] = spans.strip()
        holidays = [d.strip() for d in (args.holidays or "").split(",") if d.strip()]
        calendar = Calendar(hours, holidays=holidays, timezone=args.timezone)
    if args.targets_in == "working" and calendar is None:
        raise ConfigError("--targets-in working needs working hours: add --hours, e.g. "
                          "--hours 'mon-fri=08:00-18:00'")
    clock = args.clock_stopped
    return {"clock_stopped": clock[0] if clock and len(clock) == 1 else clock,
            "min_cases": args.min_cases, "calendar": calendar, "targets_in": args.targets_in}


def _load_kwargs(args) -> dict:
    kwargs = {}
    for flag, _ in MAPPING_FLAGS:
        value = getattr(args, flag.replace("-", "_") + "_column")
        if value:
            kwargs[flag.replace("-", "_") + "_column"] = value
    for name in ("encoding", "timestamp_format", "delimiter"):
        if getattr(args, name):
            kwargs[name] = getattr(args, name)
    kwargs["timezone"] = args.timezone
    if args.dayfirst:
        kwargs["dayfirst"] = True
    if args.drop_duplicates:
        kwargs["drop_duplicates"] = True
    return kwargs


def _load(args):
    from .load import load_log

    loaded = load_log(args.log, **_load_kwargs(args))
    if args.rejected_out:
        loaded.report.write_rejected(args.rejected_out)
    return loaded


def _emit(text: str, output: Path | None, *, summary: str | None = None) -> None:
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    if summary:
        sys.stdout.write(summary + "\n")
    sys.stdout.write(f"Full report written to {output}\n")


_SUFFIXES = {".txt": "text", ".text": "text", ".json": "json", ".md": "markdown",
             ".markdown": "markdown", ".html": "html", ".htm": "html"}


def _format_of(args, allowed) -> str:
    fmt = args.format
    if fmt is None and getattr(args, "output", None):
        suffix = Path(args.output).suffix.lower()
        fmt = _SUFFIXES.get(suffix)
        ok = [s for s, f in _SUFFIXES.items() if f in allowed]
        if fmt not in allowed:
            raise ConfigError(f"-o {args.output}: cannot tell the format from {suffix or 'no'!r} "
                              f"suffix; use {', '.join(ok)} or --format")
    fmt = fmt or "text"
    if fmt not in allowed:
        raise ConfigError(f"--format must be one of {', '.join(allowed)}; got {fmt!r}")
    implied = _SUFFIXES.get(Path(args.output).suffix.lower()) if getattr(args, "output", None) \
        else None
    if implied and implied != fmt:
        print(f"warning: writing {fmt} to {args.output}, whose name says {implied}",
              file=sys.stderr)
    return fmt


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1 (0.9 means 90%); "
                                         f"got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1; got {text}")
    return value


def cmd_validate(args) -> int:
    loaded = _load(args)
    fmt = _format_of(args, ("text", "json"))
    text = loaded.report.to_json(indent=2) if fmt == "json" else str(loaded.report)
    _emit(text, args.output)
    return 0


def cmd_discover(args) -> int:
    from .discover import discover

    loaded = _load(args)
    flow = discover(loaded)
    fmt = _format_of(args, ("text", "json"))
    if fmt == "json":
        import json

        _emit(json.dumps(flow.to_dict(), ensure_ascii=False, indent=2), args.output)
    else:
        r = loaded.report
        head = (f"Event log {r.source}: {r.rows_read:,} rows read, {r.events_kept:,} kept, "
                f"{r.rows_rejected:,} rejected")
        _emit(f"{head}\n\n{flow}", args.output)
    return 0


def cmd_compare(args) -> int:
    from .compare import compare
    from .flowchart import read_flowchart

    fmt = _format_of(args, ("text", "json", "markdown", "html"))
    chart = read_flowchart(args.flowchart)
    loaded = _load(args)
    result = compare(loaded, chart, open_after=args.open_after, open_cases=args.open_cases,
                     alignments=args.alignments, max_variants=args.max_variants,
                     **_wait_kwargs(args))
    rendered = {"text": lambda: str(result), "json": lambda: result.to_json(indent=2),
                "markdown": result.to_markdown, "html": result.to_html}[fmt]()
    summary = str(result) if args.output and fmt != "text" else None
    _emit(rendered, args.output, summary=summary)
    if args.cases_out:
        args.cases_out.parent.mkdir(parents=True, exist_ok=True)
        result.case_table().to_csv(args.cases_out, index=False, encoding="utf-8")
        print(f"Cases written to {args.cases_out}", file=sys.stderr)
    if args.fail_under_fitness is not None and \
            result.conformance["fitness"] < args.fail_under_fitness:
        print(f"fitness {result.conformance['fitness']:.3f} is under "
              f"--fail-under-fitness {args.fail_under_fitness}", file=sys.stderr)
        return 1
    return 0


def cmd_bottlenecks(args) -> int:
    from .bottlenecks import bottlenecks
    from .flowchart import read_flowchart

    fmt = _format_of(args, ("text", "json"))
    chart = read_flowchart(args.flowchart) if args.flowchart else None
    loaded = _load(args)
    result = bottlenecks(loaded, chart, by=args.by, period=args.period, **_wait_kwargs(args))
    _emit(result.to_json(indent=2) if fmt == "json" else str(result), args.output)
    return 0


def cmd_flowchart_check(args) -> int:
    from .errors import FlowchartError
    from .flowchart import read_flowchart

    try:
        chart = read_flowchart(args.file)
    except FlowchartError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2
    print(f"{args.file}: OK ({len(chart.steps)} steps, {len(chart.arrows)} arrows)")
    return 0


def cmd_flowchart_draw(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from .flowchart import read_flowchart

    chart = read_flowchart(args.file)
    ax = chart.draw()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    ax.figure.savefig(args.output, bbox_inches="tight", dpi=args.dpi)
    print(f"Drawing written to {args.output}")
    return 0


def cmd_flowchart_convert(args) -> int:
    from .flowchart import read_flowchart, write_flowchart

    chart = read_flowchart(args.file)
    if args.output is None:
        sys.stdout.write(chart.to_yaml())
    else:
        write_flowchart(chart, args.output)
        print(f"Flowchart written to {args.output}")
    return 0


def cmd_batch(args) -> int:
    from .batch import read_batch_config, run_batch

    run = run_batch(read_batch_config(args.config), out_dir=args.out)
    print(run)
    return run.exit_code


def cmd_simulate(args) -> int:
    from .flowchart import read_flowchart
    from .simulate import simulate

    chart = read_flowchart(args.flowchart)
    sim = simulate(chart, cases=args.cases, seed=args.seed, plant=args.plant)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    log = sim.write(args.output)
    truth = sorted(log.parent.glob("*.truth.json"), key=lambda p: p.stat().st_mtime)[-1]
    print(f"Wrote {log}: {args.cases:,} cases, {len(sim.events):,} events, "
          f"{args.cases - sim.truth.conforming_cases:,} with a planted problem; "
          f"the truth is in {truth}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``cs_mining`` argument parser (one subcommand per verb)."""
    parser = _Parser(
        prog="python -m cs_mining", formatter_class=_Formatter,
        description="How a customer-service process really runs, compared with its flowchart.",
        epilog=textwrap.dedent(f"""\
            Start with `compare`: it loads the log, checks every row, and reports where cases
            leave the flowchart and what that costs.

            Example:
              {EXAMPLES['compare']}"""))
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="load a log, check every row, report what was kept",
                       formatter_class=_Formatter, epilog=_example("validate"),
                       description="Load an event log and report rows read, kept and rejected "
                                   "(by reason), the column mapping used, cases and time span.")
    _add_log_options(p)
    _add_output_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("discover", help="the actual flow: arrows with counts and waits, variants",
                       formatter_class=_Formatter, epilog=_example("discover"),
                       description="Discover the directly-follows graph (counts and waiting "
                                   "times per arrow) and the variants of a log.")
    _add_log_options(p)
    _add_output_options(p)
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("compare", help="deviations and conformance against a flowchart",
                       formatter_class=_Formatter, epilog=_example("compare"),
                       description=textwrap.dedent("""\
                           Compare a log with the team's flowchart: fitness, the share of cases
                           that follow it end to end, and deviations (unknown activities,
                           skipped steps, rework, unexpected transitions, wrong starts and ends,
                           unused paths), ranked by cases x time cost."""))
    _add_log_options(p)
    p.add_argument("--flowchart", required=True, type=Path, help="flowchart: .yaml or .bpmn")
    p.add_argument("--format", choices=["text", "json", "markdown", "html"], default=None,
                   help="text (default), json (schema in docs/), markdown, html; "
                        "inferred from --output's suffix when omitted")
    p.add_argument("-o", "--output", type=Path, help="write the report to this file")
    p.add_argument("--cases-out", type=Path, metavar="FILE",
                   help="write case id, variant and deviations per case to this CSV")
    p.add_argument("--open-after", metavar="TIMESTAMP",
                   help="cases whose last event is at or after this are still open "
                        "(incomplete_case, not wrong_end)")
    p.add_argument("--open-cases", action="store_true",
                   help="guess --open-after from the log: its end minus the 90th percentile "
                        "of conforming cases' duration")
    p.add_argument("--alignments", action="store_true",
                   help="also align variants with pm4py (precise, slower; progress bar)")
    p.add_argument("--max-variants", type=_positive, default=1000, metavar="N",
                   help="cap on aligned variants (default 1000)")
    p.add_argument("--fail-under-fitness", type=_share, metavar="X",
                   help="exit 1 when fitness is below X, a share from 0 to 1 (for schedulers)")
    _add_wait_options(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("bottlenecks", help="where cases wait, against the flowchart's targets",
                       formatter_class=_Formatter, epilog=_example("bottlenecks"),
                       description=textwrap.dedent("""\
                           Rank the transitions where cases wait by the waiting time above the
                           flowchart's targets (or above the log's usual wait where a step has
                           none), with breaches of every wait and case target; split by a
                           segment (--by channel) or period (--period M)."""))
    _add_log_options(p)
    p.add_argument("--flowchart", type=Path, help="flowchart with time targets: .yaml or .bpmn")
    p.add_argument("--by", metavar="COLUMN",
                   help="split by channel, request_type, team, priority, resource or a column")
    p.add_argument("--period", choices=["D", "W", "M"], help="split by day, week or month")
    _add_output_options(p)
    _add_wait_options(p)
    p.set_defaults(func=cmd_bottlenecks)

    fc = sub.add_parser("flowchart", help="check, draw or convert a flowchart",
                        description="Check a flowchart (YAML or BPMN) for every problem, draw it "
                                    "with standard symbols, or convert BPMN to the YAML format "
                                    "(docs/flowchart-format.md).",
                        formatter_class=_Formatter, epilog=_example("flowchart check"))
    fsub = fc.add_subparsers(dest="flowchart_command", metavar="ACTION")
    p = fsub.add_parser("check", help="list every problem of a flowchart, one line each",
                        formatter_class=_Formatter, epilog=_example("flowchart check"))
    p.add_argument("file", type=Path, help="the flowchart: .yaml, .yml or .bpmn")
    p.set_defaults(func=cmd_flowchart_check)
    p = fsub.add_parser("draw", help="draw a flowchart with standard symbols (PNG, SVG, PDF)",
                        formatter_class=_Formatter, epilog=_example("flowchart draw"))
    p.add_argument("file", type=Path, help="the flowchart: .yaml, .yml or .bpmn")
    p.add_argument("-o", "--output", type=Path, required=True, help="chart.png, .svg or .pdf")
    p.add_argument("--dpi", type=_positive, default=120,
                   help="resolution of PNG output (default 120)")
    p.set_defaults(func=cmd_flowchart_draw)
    p = fsub.add_parser("convert", help="convert a flowchart (e.g. BPMN) to YAML",
                        formatter_class=_Formatter, epilog=_example("flowchart convert"))
    p.add_argument("file", type=Path, help="the flowchart: .yaml, .yml or .bpmn")
    p.add_argument("-o", "--output", type=Path, help="YAML file (default: stdout)")
    p.set_defaults(func=cmd_flowchart_convert)

    p = sub.add_parser("batch", help="the scheduled report job: several logs, one folder of reports",
                       formatter_class=_Formatter, epilog=_example("batch"),
                       description="Run the jobs of a batch config (YAML, see docs/batch.md): per "
                                   "job HTML, JSON and Markdown reports and rejected rows; "
                                   "index.html and summary.json. Exit 2 when a job failed, 1 when "
                                   "one is under its fitness threshold.")
    p.add_argument("config", type=Path, help="batch config (YAML)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder instead of the config's output ({date} allowed)")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("simulate", help="play a flowchart out into a log with planted problems",
                       formatter_class=_Formatter, epilog=_example("simulate"),
                       description=textwrap.dedent("""\
                           Play a flowchart out into an event log (branch probabilities, lognormal
                           waits and durations, agents in teams, channels, repeat customers) and
                           plant known problems in chosen shares of cases. The truth (what was
                           planted, in which cases) is written next to the log as NAME.truth.json.

                           Plant kinds (comma-separated, share of cases after '='):
                             skip:STEP=0.05                 skip a step
                             rework:STEP=0.03               do a step twice in a row
                             rework:FROM->TO=0.03           jump back from FROM to TO and redo
                             unknown:NAME@STEP=0.04         insert an activity no step claims
                             unexpected:FROM->TO=0.02       a move the flowchart does not allow
                             wrong_end=0.03                 stop before a last step
                             slow:FROM->TO=x6               multiply the wait on an arrow
                             pingpong:0.05                  alternate teams 3+ times
                           STEP names a step by id or label."""))
    p.add_argument("flowchart", type=Path, help="the flowchart to play out (.yaml or .bpmn)")
    p.add_argument("--cases", type=_positive, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed: the same seed gives the same log (default 0)")
    p.add_argument("--plant", metavar="SPEC",
                   help="problems to plant, e.g. 'skip:record=0.05,rework:diagnose=0.03'")
    p.add_argument("-o", "--output", type=Path, required=True, help="LOG.csv or LOG.parquet")
    p.set_defaults(func=cmd_simulate)
    _debug_everywhere(parser)
    return parser


def _debug_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept --debug after the command too; given nowhere, it stays the top level's False."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for child in action.choices.values():
            child.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                               help="show tracebacks of errors")
            _debug_everywhere(child)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    import warnings

    warnings.showwarning = _show_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command == "flowchart":
            parser._subparsers._group_actions[0].choices["flowchart"].print_help(sys.stderr)
        else:
            parser.print_help(sys.stderr)
        return 2
    try:
        return args.func(args)
    except CsMiningError as err:
        if args.debug:
            raise
        for line in str(err).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2
    except FileNotFoundError as err:
        if args.debug:
            raise
        print(f"error: {err.filename}: file not found", file=sys.stderr)
        return 2
    except OSError as err:
        # Files the user named: a folder that cannot be written, a full disk.
        if args.debug:
            raise
        where = f"{err.filename}: " if err.filename else ""
        print(f"error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def run() -> None:
    """Run :func:`main` and end the process with its exit code, skipping the teardown.

    This is what ``python -m cs_mining`` and the ``cs-mining`` script call.
    By the time ``main`` returns, every report is written and its file
    closed; freeing a million-event log object by object would only add
    about 0.3 s before the shell gets its prompt back.  An exception still
    ends the process the usual way.
    """
    import os

    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
