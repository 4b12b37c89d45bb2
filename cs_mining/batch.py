"""The scheduled report job: several logs, each against its flowchart, one folder of reports.

A batch config (YAML, see ``docs/batch.md``) lists the jobs; its keys are the
command line's flags with underscores (``--case-column`` is ``case_column``).
:func:`run_batch` loads each log, compares it with its flowchart, and writes
``<name>.html``, ``<name>.json``, ``<name>.md`` (the formats asked for) and
``<name>.rejected.csv`` when rows were rejected, then ``index.html`` and
``summary.json`` over every job.  A job that fails with a
:class:`~cs_mining.errors.CsMiningError` is listed as failed with its message;
the other jobs still run.

Exit codes follow the command line: 2 when a job failed, 1 when a job's
fitness is under ``fail_under_fitness``, else 0.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import cs_mining
>>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
>>> config = read_batch_config('''
... formats: [json]
... fail_under_fitness: 0.95
... jobs:
...   - name: phone
...     log: service_request_phone.csv
...     flowchart: service_request_phone.yaml
...   - name: broken
...     log: service_request_phone.csv
...     flowchart: service_request_phone.yaml
...     case_column: ticket_id
... ''', base=samples)
>>> with tempfile.TemporaryDirectory() as folder:
...     run = run_batch(config, out_dir=folder, now="2024-05-06")
...     written = sorted(p.name for p in Path(folder).iterdir())
>>> run
<BatchRun 2024-05-06: 2 jobs, 1 ok, 0 below threshold, 1 failed, exit 2>
>>> written
['index.html', 'phone.json', 'summary.json']
>>> run.jobs[["name", "status", "cases", "deviations"]]
     name  status  cases  deviations
0   phone      ok   1000           3
1  broken  failed   <NA>        <NA>
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import yaml

from .errors import ConfigError, CsMiningError, check_choice
from .flowchart.check import suggest

__all__ = ["BatchConfig", "BatchJob", "BatchRun", "read_batch_config", "run_batch",
           "FORMATS"]

SCHEMA_VERSION = 1

#: Report formats and the suffix of their files.
FORMATS = {"html": ".html", "json": ".json", "markdown": ".md", "text": ".txt"}
_FORMAT_ALIASES = {"md": "markdown", "htm": "html", "txt": "text"}

TOP_KEYS = ("output", "formats", "fail_under_fitness", "jobs")
MAPPING_KEYS = ("case_column", "activity_column", "timestamp_column", "resource_column",
                "channel_column", "request_type_column", "team_column", "customer_column",
                "priority_column", "satisfaction_column", "lifecycle_column",
                "start_timestamp_column")
READ_KEYS = ("encoding", "delimiter", "timezone", "timestamp_format", "dayfirst",
             "drop_duplicates")
COMPARE_KEYS = ("open_after", "open_cases", "alignments", "max_variants", "clock_stopped",
                "min_cases", "targets_in")
CALENDAR_KEYS = ("hours", "holidays")
JOB_KEYS = ("name", "log", "flowchart", *MAPPING_KEYS, *READ_KEYS, *COMPARE_KEYS,
            *CALENDAR_KEYS, "fail_under_fitness")

_REQUIRED_COLUMNS = ("case_column", "activity_column", "timestamp_column")
_KIND = {**{k: "column" for k in MAPPING_KEYS},
         **{k: "text" for k in ("name", "log", "flowchart", "encoding", "delimiter",
                                "timezone", "timestamp_format")},
         **{k: "flag" for k in ("dayfirst", "drop_duplicates", "open_cases", "alignments")},
         "open_after": "instant", "max_variants": "count", "min_cases": "count",
         "fail_under_fitness": "share", "clock_stopped": "names", "targets_in": "clock",
         "hours": "hours", "holidays": "dates"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_RESERVED = {"index", "summary"}
_DEFAULT_OUTPUT = "reports/{date}"


# ----------------------------------------------------------------------------- config

@dataclass(frozen=True)
class BatchJob:
    """One log compared with one flowchart.

    Parameters
    ----------
    name : str
        Names the report files (``<name>.html``, ...): letters, digits,
        ``.``, ``_``, ``-``.
    log, flowchart : pathlib.Path
        The event log and the flowchart.
    load_options : dict
        Keyword arguments for :func:`cs_mining.load_log` (``case_column``, ...).
    compare_options : dict
        Keyword arguments for :func:`cs_mining.compare` (``open_cases``, ...).
    fail_under_fitness : float or None
        Overrides the config's threshold for this job.

    Examples
    --------
    >>> BatchJob("helpdesk", Path("helpdesk.csv"), Path("helpdesk.yaml"),
    ...          load_options={"case_column": "Case ID"})
    <BatchJob 'helpdesk': helpdesk.csv against helpdesk.yaml>
    """

    name: str
    log: Path
    flowchart: Path
    load_options: dict = field(default_factory=dict)
    compare_options: dict = field(default_factory=dict)
    fail_under_fitness: float | None = None

    def __repr__(self) -> str:
        return f"<BatchJob {self.name!r}: {self.log} against {self.flowchart}>"


@dataclass(frozen=True)
class BatchConfig:
    """A validated batch config: where reports go, in which formats, and the jobs.

    Read one with :func:`read_batch_config`; build one in code for tests.

    Parameters
    ----------
    jobs : tuple of BatchJob
    output : str, default="reports/{date}"
        Output folder; ``{date}`` becomes the run date (``YYYY-MM-DD``).  A
        relative folder is taken from ``base``.
    formats : tuple of str, default=("html", "json", "markdown")
        Any of ``html``, ``json``, ``markdown``, ``text``.
    fail_under_fitness : float or None
        A job whose fitness is under this makes the run exit 1.
    base : pathlib.Path, default=Path(".")
        Folder that relative paths are read from (the config file's folder).
    path : str or None
        The config file, for messages.

    Examples
    --------
    >>> config = BatchConfig(jobs=(BatchJob("a", Path("a.csv"), Path("a.yaml")),),
    ...                      base=Path("/srv/cs_mining"))
    >>> config
    <BatchConfig: 1 job, formats html, json, markdown, output reports/{date}>
    >>> config.output_dir("2024-05-06").as_posix()
    '/srv/cs_mining/reports/2024-05-06'
    """

    jobs: tuple
    output: str = _DEFAULT_OUTPUT
    formats: tuple = ("html", "json", "markdown")
    fail_under_fitness: float | None = None
    base: Path = Path(".")
    path: str | None = None

    def output_dir(self, date: str) -> Path:
        """The output folder of a run on ``date`` (``YYYY-MM-DD``)."""
        # '..' is taken from the config's folder as written, not from where a symlink points
        return Path(os.path.normpath(self.base / self.output.replace("{date}", date)))

    def __repr__(self) -> str:
        n = len(self.jobs)
        return (f"<BatchConfig{' ' + self.path if self.path else ''}: {n} job{'s' * (n != 1)}, "
                f"formats {', '.join(self.formats) or 'none'}, output {self.output}>")


class _Map(dict):
    line: int = 0
    key_lines: dict
    duplicates: list


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader, remembering the line of every mapping and key."""


def _construct_map(loader, node):
    data = _Map()
    data.line, data.key_lines, data.duplicates = node.start_mark.line + 1, {}, []
    yield data
    own = {id(k) for k, _ in node.value}
    loader.flatten_mapping(node)
    written = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            key = str(key)
        line = key_node.start_mark.line + 1
        # keys merged in with `<<: *anchor` may be overridden; keys written twice may not
        if id(key_node) in own:
            if key in written:
                data.duplicates.append((key, line))
            written.add(key)
        data[key] = loader.construct_object(value_node, deep=True)
        data.key_lines[key] = line


class _Seq(list):
    item_lines: list


def _construct_seq(loader, node):
    data = _Seq()
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_object(item, deep=True) for item in node.value)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_seq)


class _Problems(list):
    """(line, message) pairs; raised as lines ``path:line: message`` in line order."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def add(self, line, message):
        self.append((line or 0, message))

    def lines(self) -> list[str]:
        out = []
        for line, message in sorted(self, key=lambda p: p[0]):
            if self.path:
                where = f"{self.path}:{line}: " if line else f"{self.path}: "
            else:
                where = f"line {line}: " if line else ""
            out.append(where + message)
        return out


def _unknown_key(key, allowed) -> str:
    word = str(key).replace("-", "_").strip().lower()
    if word in allowed:
        hint = f" (did you mean {word!r}?)"
    elif word + "_column" in allowed:
        hint = f" (did you mean {word + '_column'!r}?)"
    else:
        hint = suggest(word, allowed)
    return f"unknown key {str(key)!r}{hint}"


def _check_value(kind: str, key: str, value) -> tuple[Any, str | None]:
    """The value as used, or a problem (``'key must be ...; got ...'``)."""
    if kind == "text" or (kind == "column" and key in _REQUIRED_COLUMNS):
        if isinstance(value, str) and value.strip():
            return value, None
        return None, f"{key} must be text; got {value!r}"
    if kind == "column":
        if value is False or (isinstance(value, str) and value.strip()):
            return value, None
        return None, f"{key} must be a column name or false; got {value!r}"
    if kind == "flag":
        if isinstance(value, bool):
            return value, None
        return None, f"{key} must be true or false; got {value!r}"
    if kind == "count":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value, None
        return None, f"{key} must be a whole number of at least 1; got {value!r}"
    if kind == "share":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value), None
        return None, f"{key} must be a number between 0 and 1; got {value!r}"
    if kind == "instant":
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat(), None
        if isinstance(value, str):
            try:
                pd.Timestamp(value)
            except (ValueError, TypeError):
                return None, f"{key} must be a date and time, e.g. '2024-05-01 00:00'; " \
                             f"got {value!r}"
            return value, None
        return None, f"{key} must be a date and time, e.g. '2024-05-01 00:00'; got {value!r}"
    if kind == "clock":
        if value in ("calendar", "working"):
            return value, None
        return None, f"{key} must be one of 'calendar', 'working'; got {value!r}"
    if kind == "names":
        names = [value] if isinstance(value, str) else value
        if isinstance(names, list) and names and all(isinstance(n, str) and n.strip()
                                                     for n in names):
            return (names[0] if len(names) == 1 else names), None
        return None, f"{key} must be an activity name or a list of names; got {value!r}"
    if kind == "hours":
        if isinstance(value, str):
            # the command line's form: 'mon-fri=08:00-18:00;sat=09:00-12:00'
            parts = [p.partition("=") for p in value.split(";") if p.strip()]
            if parts and all(sep for _, sep, _ in parts):
                return {d.strip(): h.strip() for d, _, h in parts}, None
        elif isinstance(value, dict) and value and all(
                isinstance(d, str) and (h is None or isinstance(h, str))
                for d, h in value.items()):
            return dict(value), None
        return None, f"{key} must map days to hours, e.g. {{mon-fri: 08:00-18:00}}; " \
                     f"got {value!r}"
    if kind == "dates":
        dates = [d.strip() for d in value.split(",") if d.strip()] \
            if isinstance(value, str) else value
        if isinstance(dates, list) and all(isinstance(d, (str, _dt.date)) for d in dates):
            return [d if isinstance(d, str) else d.isoformat() for d in dates], None
        return None, f"{key} must be a list of dates, e.g. [2024-12-25]; got {value!r}"
    raise AssertionError(kind)


def _check_file(problems, line, where, key, value, base: Path) -> Path:
    path = Path(value).expanduser()
    full = path if path.is_absolute() else base / path
    if not full.is_file():
        folder = full.parent
        siblings = [p.name for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
        problems.add(line, f"{where}{key} file {value!r} not found{suggest(path.name, siblings)}")
    return full


def _check_job(problems, job, index, line, base, names_seen) -> BatchJob | None:
    if not isinstance(job, _Map):
        problems.add(line, f"job {index}: must be a mapping with name, log and flowchart; "
                                f"got {job!r}")
        return None
    name = job.get("name")
    where = f"job {name!r}: " if isinstance(name, str) else f"job {index}: "
    for key, line in job.duplicates:
        problems.add(line, f"{where}key {str(key)!r} given twice")
    for key in job:
        if key not in JOB_KEYS:
            problems.add(job.key_lines[key], f"{where}{_unknown_key(key, JOB_KEYS)}")
    for key in ("name", "log", "flowchart"):
        if key not in job:
            problems.add(job.line, f"{where}missing key {key!r}")
    values = {}
    for key in JOB_KEYS:
        if key not in job:
            continue
        value, problem = _check_value(_KIND[key], key, job[key])
        if problem:
            problems.add(job.key_lines[key], where + problem)
        else:
            values[key] = value
    if "name" in values:
        if not _NAME.fullmatch(name) or name.lower() in _RESERVED:
            problems.add(job.key_lines["name"],
                         f"{where}name must be letters, digits, '.', '_' or '-' and not "
                         f"'index' or 'summary' (it names the report files)")
        elif name.casefold() in names_seen:
            problems.add(job.key_lines["name"], f"{where}name used twice (also on line "
                                                f"{names_seen[name.casefold()]})")
        else:
            names_seen[name.casefold()] = job.key_lines["name"]
    paths = {key: _check_file(problems, job.key_lines[key], where, key, values[key], base)
             for key in ("log", "flowchart") if key in values}
    compare_options = {k: values[k] for k in COMPARE_KEYS if k in values}
    if any(k in values for k in CALENDAR_KEYS):
        from .calendar import Calendar

        try:
            compare_options["calendar"] = Calendar(values.get("hours"),
                                                   holidays=values.get("holidays", ()),
                                                   timezone=values.get("timezone", "UTC"))
        except ConfigError as err:
            line = min(job.key_lines[k] for k in CALENDAR_KEYS if k in values)
            problems.add(line, f"{where}{err}")
    if len(values) < len(job) or len(paths) < 2 or "name" not in values:
        return None
    return BatchJob(
        name=values["name"], log=paths["log"], flowchart=paths["flowchart"],
        load_options={k: values[k] for k in (*MAPPING_KEYS, *READ_KEYS) if k in values},
        compare_options=compare_options, fail_under_fitness=values.get("fail_under_fitness"))


def _source(source, base):
    """(text, shown path, base folder) of a config given as a path or as YAML text."""
    if isinstance(source, str) and "\n" in source:
        return source, None, Path(base) if base is not None else Path(".")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError("file not found", path=source) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a batch config file", path=source) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 at byte {exc.start}", path=source) from None
    return text, str(source), Path(base) if base is not None else path.parent


def read_batch_config(source, *, base=None) -> BatchConfig:
    """Read and validate a batch config (YAML), reporting every problem at once.

    Parameters
    ----------
    source : str or pathlib.Path
        A YAML file, or YAML text (a string with a line break).
    base : str or pathlib.Path, optional
        Folder that the relative paths of ``output``, ``log`` and
        ``flowchart`` are read from.  Default: the config file's folder (the
        current folder for text).

    Returns
    -------
    BatchConfig

    Raises
    ------
    ConfigError
        Listing every problem, one line each, as ``file:line: message``:
        unknown keys (with the nearest known one), missing keys, values of
        the wrong type, unknown formats, log and flowchart files not found,
        job names used twice.  ``.problems`` holds the lines.

    Notes
    -----
    Top-level keys: ``output`` (default ``reports/{date}``), ``formats``
    (default ``[html, json, markdown]``), ``fail_under_fitness``, ``jobs``.
    Job keys: ``name``, ``log``, ``flowchart``, the column mapping
    (``case_column``, ``activity_column``, ... as :func:`cs_mining.load_log`),
    reading options (``encoding``, ``delimiter``, ``timezone``,
    ``timestamp_format``, ``dayfirst``, ``drop_duplicates``), compare options
    (``open_after``, ``open_cases``, ``alignments``, ``max_variants``,
    ``clock_stopped``, ``min_cases``, ``targets_in``), working time (``hours``,
    ``holidays``: a :class:`~cs_mining.Calendar` in the job's ``timezone``) and
    ``fail_under_fitness`` for that job alone.

    Examples
    --------
    >>> import cs_mining
    >>> from pathlib import Path
    >>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
    >>> config = read_batch_config('''
    ... jobs:
    ...   - name: helpdesk
    ...     log: helpdesk.csv
    ...     flowchart: helpdesk.yaml
    ...     case_column: Case ID
    ... ''', base=samples)
    >>> config.jobs[0].load_options
    {'case_column': 'Case ID'}
    >>> read_batch_config('''
    ... formats: [html, pdf]
    ... jobs:
    ...   - name: helpdesk
    ...     log: helpdesk.cvs
    ...     flowchart: helpdesk.yaml
    ...     case_colum: Case ID
    ... ''', base=samples)
    Traceback (most recent call last):
    ...
    cs_mining.errors.ConfigError: line 2: formats: unknown format 'pdf' (formats: 'html', 'json', 'markdown', 'text')
    line 5: job 'helpdesk': log file 'helpdesk.cvs' not found (did you mean 'helpdesk.csv'?)
    line 7: job 'helpdesk': unknown key 'case_colum' (did you mean 'case_column'?)
    """
    text, shown, folder = _source(source, base)
    problems = _Problems(shown)
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        problems.add(mark.line + 1 if mark else None, f"not valid YAML: {reason}")
        _raise(problems)
    if not isinstance(data, _Map):
        problems.add(None, "a batch config must be a mapping with 'jobs' (see docs/batch.md)")
        _raise(problems)

    for key, line in data.duplicates:
        problems.add(line, f"key {str(key)!r} given twice")
    for key in data:
        if key not in TOP_KEYS:
            problems.add(data.key_lines[key], _unknown_key(key, TOP_KEYS))
    line_of = data.key_lines.get

    output = data.get("output", _DEFAULT_OUTPUT)
    if not isinstance(output, str) or not output.strip():
        problems.add(line_of("output"), f"output must be a folder name; got {output!r}")
        output = _DEFAULT_OUTPUT
    for placeholder in re.findall(r"\{[^}]*\}", output):
        if placeholder != "{date}":
            problems.add(line_of("output"), f"output: unknown placeholder {placeholder!r} "
                                            "(only {date}, the run date)")

    formats = data.get("formats", ["html", "json", "markdown"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list):
        problems.add(line_of("formats"), f"formats must be a list, e.g. [html, json]; "
                                         f"got {formats!r}")
        formats = []
    checked = []
    for fmt in formats:
        if fmt in FORMATS:
            if fmt not in checked:
                checked.append(fmt)
            continue
        alias = _FORMAT_ALIASES.get(str(fmt).lower())
        hint = f" (did you mean {alias!r}?)" if alias else suggest(fmt, FORMATS)
        problems.add(line_of("formats"), f"formats: unknown format {fmt!r}{hint} "
                                         f"(formats: {', '.join(map(repr, FORMATS))})")

    threshold = None
    if "fail_under_fitness" in data:
        threshold, problem = _check_value("share", "fail_under_fitness",
                                          data["fail_under_fitness"])
        if problem:
            problems.add(line_of("fail_under_fitness"), problem)

    jobs_data = data.get("jobs")
    jobs = []
    if "jobs" not in data:
        problems.add(None, "missing key 'jobs' (a list of jobs, each with name, log and "
                           "flowchart)")
    elif not isinstance(jobs_data, list) or not jobs_data:
        problems.add(line_of("jobs"), f"jobs must be a list of jobs, each with name, log and "
                                      f"flowchart; got {jobs_data!r}")
    else:
        seen: dict = {}
        for i, (job, line) in enumerate(zip(jobs_data, jobs_data.item_lines), start=1):
            jobs.append(_check_job(problems, job, i, line, folder, seen))
    if problems:
        _raise(problems)
    return BatchConfig(jobs=tuple(jobs), output=output, formats=tuple(checked),
                       fail_under_fitness=threshold, base=folder, path=shown)


def _raise(problems: _Problems):
    lines = problems.lines()
    err = ConfigError("\n".join(lines))
    err.problems = lines
    err.path = problems.path
    raise err


# ----------------------------------------------------------------------------- run

def _top_deviation(result) -> dict | None:
    from .report.text import where

    if not len(result.deviations):
        return None
    row = result.deviations.iloc[0]
    return {"kind": row["kind"], "source": row["source"], "target": row["target"],
            "activity": row["activity"], "cases": int(row["cases"]),
            "case_share": float(row["case_share"]), "where": where(row)}


def _run_job(job: BatchJob, folder: Path, formats, threshold) -> tuple[dict, Any]:
    from .compare import compare
    from .flowchart import read_flowchart
    from .load import load_log

    record = {"name": job.name, "status": "failed", "message": None, "log": str(job.log),
              "flowchart": str(job.flowchart), "events": None, "cases": None,
              "rejected_rows": None, "fitness": None, "conforming_case_share": None,
              "deviations": None, "top_deviation": None, "fail_under_fitness": threshold,
              "warnings": [], "reports": {}, "duration_s": None}
    started = time.perf_counter()
    try:
        chart = read_flowchart(job.flowchart)
        loaded = load_log(job.log, **job.load_options)
        result = compare(loaded, chart, progress=False, **job.compare_options)
    except CsMiningError as err:
        record["message"] = str(err).splitlines()[0]
        record["duration_s"] = round(time.perf_counter() - started, 3)
        return record, None

    render = {"html": result.to_html, "json": lambda: result.to_json(indent=2),
              "markdown": result.to_markdown, "text": lambda: str(result) + "\n"}
    for fmt in formats:
        name = job.name + FORMATS[fmt]
        (folder / name).write_text(render[fmt](), encoding="utf-8")
        record["reports"][fmt] = name
    report = loaded.report
    if report.rows_rejected:
        name = f"{job.name}.rejected.csv"
        report.write_rejected(folder / name)
        record["reports"]["rejected"] = name
    c = result.conformance
    record.update(
        events=int(result.log_summary["events"]), cases=int(c["cases"]),
        rejected_rows=int(report.rows_rejected), fitness=float(c["fitness"]),
        conforming_case_share=float(c["conforming_case_share"]),
        deviations=int(len(result.deviations)), top_deviation=_top_deviation(result),
        warnings=list(report.warnings),
        status="below_threshold" if threshold is not None and c["fitness"] < threshold
        else "ok",
        duration_s=round(time.perf_counter() - started, 3))
    if record["status"] == "below_threshold":
        record["message"] = f"fitness {c['fitness']:.3f} is under {threshold:g}"
    return record, result


def _run_date(now) -> str:
    if now is None:
        return _dt.date.today().isoformat()
    if isinstance(now, (_dt.datetime, _dt.date)):
        return now.strftime("%Y-%m-%d")
    try:
        return _dt.date.fromisoformat(str(now)).isoformat()
    except ValueError:
        raise ConfigError(f"run_batch(): now must be a date (YYYY-MM-DD); got {now!r}") from None


def run_batch(config: BatchConfig, *, out_dir=None, now=None) -> "BatchRun":
    """Run every job of a batch config and write the reports, an index and a summary.

    Parameters
    ----------
    config : BatchConfig
        From :func:`read_batch_config`.
    out_dir : str or pathlib.Path, optional
        Output folder, instead of the config's ``output`` (``{date}`` is
        replaced here too).
    now : datetime.date, datetime.datetime or str, optional
        The run date (default: today), which names the folder.

    Returns
    -------
    BatchRun
        ``.exit_code`` is 2 when a job failed, 1 when a job's fitness is under
        its threshold, else 0.

    Raises
    ------
    ConfigError
        When ``config.formats`` holds an unknown format or ``now`` is not a date.

    Notes
    -----
    In the output folder: per job ``<name>.html``, ``.json``, ``.md``,
    ``.txt`` (the formats asked for) and ``<name>.rejected.csv`` when rows
    were rejected; ``index.html`` (a table of every job, linking its
    reports) and ``summary.json`` (:meth:`BatchRun.to_dict`).  Only
    :class:`~cs_mining.errors.CsMiningError` is caught per job; any other
    exception is a bug and stops the run.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cs_mining
    >>> samples = Path(cs_mining.__file__).parents[1] / "sample_logs"
    >>> job = BatchJob("phone", samples / "service_request_phone.csv",
    ...                samples / "service_request_phone.yaml")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     run = run_batch(BatchConfig(jobs=(job,), formats=("markdown",)), out_dir=folder,
    ...                     now="2024-05-06")
    ...     sorted(p.name for p in Path(folder).iterdir())
    ['index.html', 'phone.md', 'summary.json']
    >>> run.exit_code, round(float(run.jobs.loc[0, "fitness"]), 3)
    (0, 0.993)
    """
    for fmt in config.formats:
        check_choice("run_batch()", "format", fmt, FORMATS)
    date = _run_date(now)
    folder = Path(str(out_dir).replace("{date}", date)) if out_dir is not None \
        else config.output_dir(date)
    folder.mkdir(parents=True, exist_ok=True)
    records, results = [], {}
    for job in config.jobs:
        threshold = job.fail_under_fitness if job.fail_under_fitness is not None \
            else config.fail_under_fitness
        record, result = _run_job(job, folder, config.formats, threshold)
        records.append(record)
        if result is not None:
            results[job.name] = result
    run = BatchRun(date=date, out_dir=folder, formats=tuple(config.formats),
                   fail_under_fitness=config.fail_under_fitness, records=records,
                   results=results, config_path=config.path)
    (folder / "summary.json").write_text(json.dumps(run.to_dict(), ensure_ascii=False,
                                                    indent=2) + "\n", encoding="utf-8")
    (folder / "index.html").write_text(run.to_html(), encoding="utf-8")
    return run


# ----------------------------------------------------------------------------- result

_COLUMNS = ["name", "status", "events", "cases", "rejected_rows", "fitness",
            "conforming_case_share", "deviations", "top_deviation", "message"]

_STYLE = """<style>
.csm {font-family: system-ui, sans-serif; font-size: 14px}
.csm table {border-collapse: collapse; margin: 4px 0 12px}
.csm td, .csm th {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left}
.csm td.n {text-align: right; font-variant-numeric: tabular-nums}
.csm .failed {color: #b00020} .csm .below_threshold {color: #a15c00}
</style>"""


class BatchRun:
    """What :func:`run_batch` did: one row per job, the files written, the exit code.

    Attributes
    ----------
    date : str
        The run date, ``YYYY-MM-DD``.
    out_dir : pathlib.Path
        The folder the reports were written to.
    jobs : pandas.DataFrame
        One row per job, in config order: ``name``, ``status`` (``ok``,
        ``below_threshold``, ``failed``), ``events``, ``cases``,
        ``rejected_rows``, ``fitness``, ``conforming_case_share``,
        ``deviations``, ``top_deviation`` (in words), ``message`` (why a job
        failed or is below its threshold).
    results : dict
        Job name -> :class:`~cs_mining.Comparison`, for the jobs that ran.
    exit_code : int
        2 when a job failed, 1 when a job is below its fitness threshold, else 0.

    Examples
    --------
    >>> run = BatchRun(date="2024-05-06", out_dir=Path("reports/2024-05-06"),
    ...                formats=("html",), fail_under_fitness=None, records=[
    ...                    {"name": "phone", "status": "failed", "message": "phone.csv: file "
    ...                     "not found", "reports": {}}])
    >>> run
    <BatchRun 2024-05-06: 1 job, 0 ok, 0 below threshold, 1 failed, exit 2>
    >>> print(run)
    Batch run 2024-05-06: 1 job, 0 ok, 0 below threshold, 1 failed (exit 2)
    Reports in reports/2024-05-06
      job    status  events  cases  rejected  fitness  conforming  deviations  top deviation
      phone  failed       -      -         -        -           -           -  -
    Failed:
      phone: phone.csv: file not found
    """

    def __init__(self, *, date: str, out_dir: Path, formats: tuple,
                 fail_under_fitness: float | None, records: list[dict],
                 results: dict | None = None, config_path: str | None = None):
        self.date = date
        self.out_dir = Path(out_dir)
        self.formats = tuple(formats)
        self.fail_under_fitness = fail_under_fitness
        self.records = [dict(r) for r in records]
        self.results = dict(results or {})
        self.config_path = config_path

    @property
    def jobs(self) -> pd.DataFrame:
        rows = [{**{c: r.get(c) for c in _COLUMNS},
                 "top_deviation": _deviation_text(r.get("top_deviation"))}
                for r in self.records]
        frame = pd.DataFrame(rows, columns=_COLUMNS)
        return frame.astype({"events": "Int64", "cases": "Int64", "rejected_rows": "Int64",
                             "deviations": "Int64", "fitness": "Float64",
                             "conforming_case_share": "Float64"})

    def _count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.records)

    @property
    def failed(self) -> list[str]:
        """Names of the jobs that failed."""
        return [r["name"] for r in self.records if r["status"] == "failed"]

    @property
    def below_threshold(self) -> list[str]:
        """Names of the jobs whose fitness is under their threshold."""
        return [r["name"] for r in self.records if r["status"] == "below_threshold"]

    @property
    def exit_code(self) -> int:
        return 2 if self.failed else 1 if self.below_threshold else 0

    def _headline(self) -> str:
        n = len(self.records)
        return (f"{n} job{'s' * (n != 1)}, {self._count('ok')} ok, "
                f"{self._count('below_threshold')} below threshold, "
                f"{self._count('failed')} failed")

    def __repr__(self) -> str:
        return f"<BatchRun {self.date}: {self._headline()}, exit {self.exit_code}>"

    def _rows(self) -> list[list[str]]:
        def num(value, fmt):
            return "-" if value is None else format(value, fmt)

        return [[r["name"], r["status"], num(r.get("events"), ","), num(r.get("cases"), ","),
                 num(r.get("rejected_rows"), ","), num(r.get("fitness"), ".3f"),
                 num(r.get("conforming_case_share"), ".1%"), num(r.get("deviations"), ","),
                 _deviation_text(r.get("top_deviation")) or "-"] for r in self.records]

    _HEADER = ["job", "status", "events", "cases", "rejected", "fitness", "conforming",
               "deviations", "top deviation"]

    def __str__(self) -> str:
        from .report.text import table

        lines = [f"Batch run {self.date}: {self._headline()} (exit {self.exit_code})",
                 f"Reports in {self.out_dir}"]
        lines += table(self._HEADER, self._rows(), right=(2, 3, 4, 5, 6, 7))
        for title, status in (("Below threshold", "below_threshold"), ("Failed", "failed")):
            notes = [f"  {r['name']}: {r['message']}" for r in self.records
                     if r["status"] == status]
            if notes:
                lines += [f"{title}:"] + notes
        return "\n".join(lines)

    def _table_html(self, links: bool) -> str:
        e = html.escape
        head = "".join(f"<th>{e(h)}</th>" for h in self._HEADER + ["reports"])
        body = []
        for r, cells in zip(self.records, self._rows()):
            reports = r.get("reports", {})
            first = next(iter(reports.values()), None)
            name = (f"<a href='{e(quote(first))}'>{e(cells[0])}</a>" if links and first
                    else e(cells[0]))
            files = " ".join(f"<a href='{e(quote(f))}'>{e(k)}</a>" if links else e(f)
                             for k, f in reports.items())
            tds = [name, f"<span class='{e(r['status'])}'>{e(cells[1])}</span>"]
            tds += [e(c) for c in cells[2:8]]
            top = e(cells[8]) if r["status"] != "failed" else \
                f"<span class='failed'>{e(r.get('message') or '')}</span>"
            tds += [top, files]
            body.append("<tr>" + "".join(
                f"<td class='n'>{c}</td>" if 2 <= i <= 7 else f"<td>{c}</td>"
                for i, c in enumerate(tds)) + "</tr>")
        return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

    def _repr_html_(self) -> str:
        e = html.escape
        return (f"{_STYLE}<div class='csm'><strong>Batch run {e(self.date)}</strong>: "
                f"{e(self._headline())} (exit {self.exit_code}); reports in "
                f"<code>{e(str(self.out_dir))}</code>{self._table_html(links=False)}</div>")

    def to_html(self) -> str:
        """``index.html``: a whole page with a table of every job, linking its reports."""
        e = html.escape
        notes = "".join(
            f"<li>{e(r['name'])}: {e(r['message'])}</li>" for r in self.records
            if r["status"] == "below_threshold")
        return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                f"<title>cs_mining batch {e(self.date)}</title></head><body>\n{_STYLE}"
                f"<div class='csm'><h2>cs_mining reports, {e(self.date)}</h2>"
                f"<p>{e(self._headline())} (exit {self.exit_code})"
                + (f"; fitness threshold {self.fail_under_fitness:g}"
                   if self.fail_under_fitness is not None else "")
                + f"</p>{self._table_html(links=True)}"
                + (f"<h4>Below threshold</h4><ul>{notes}</ul>" if notes else "")
                + "<p>Summary as JSON: <a href='summary.json'>summary.json</a></p>"
                "</div>\n</body></html>\n")

    def to_dict(self) -> dict:
        """JSON-native summary (``summary.json``, ``schema_version`` 1)."""
        from .report.json import to_jsonable

        return to_jsonable({
            "schema_version": SCHEMA_VERSION, "date": self.date, "output": str(self.out_dir),
            "config": self.config_path, "formats": list(self.formats),
            "fail_under_fitness": self.fail_under_fitness, "exit_code": self.exit_code,
            "jobs": [{**r, "warnings": list(r.get("warnings", [])),
                      "reports": dict(r.get("reports", {}))} for r in self.records]})

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _deviation_text(top: dict | None) -> str | None:
    if not top:
        return None
    return f"{top['kind']}: {top['where']} ({top['cases']:,} cases)"
