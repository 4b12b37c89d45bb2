"""Which batch configs are valid, and what exactly is wrong with one?

The keys a config accepts (``TOP_KEYS``, ``JOB_KEYS``, ...) and the kind of
value each takes, and a YAML loader that remembers the line of every mapping,
key and list item, so that every problem is reported at once as
``file:line: message`` with the nearest known key, format or file name ("did
you mean").  `cs_mining.batch.read_batch_config` builds its `BatchConfig` from
what is read here; the keys are described in its docstring and in
``docs/batch.md``.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ._yaml import _LineLoader, _Map
from .errors import ConfigError
from .flowchart.check import suggest

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


def _check_job(problems, job, index, line, base, names_seen) -> dict | None:
    """The fields of a `BatchJob`, or None when the job has a problem."""
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
    return dict(
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


def _read_config(source, base) -> dict:
    """The fields of a `BatchConfig`, its jobs as fields of `BatchJob`; else ConfigError."""
    text, shown, folder = _source(source, base)
    problems = _Problems(shown)
    try:
        data = yaml.load(text, Loader=_LineLoader)
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
    return dict(jobs=jobs, output=output, formats=tuple(checked),
                fail_under_fitness=threshold, base=folder, path=shown)


def _raise(problems: _Problems):
    lines = problems.lines()
    err = ConfigError("\n".join(lines))
    err.problems = lines
    err.path = problems.path
    raise err

